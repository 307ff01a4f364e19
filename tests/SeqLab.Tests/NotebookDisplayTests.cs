using SeqLab.Reports;

namespace SeqLab.Tests;

/// <summary>How notebooks (and reports) show numbers and tables: rounded, powers of ten where numbers are tiny or huge, never float noise.</summary>
public class NotebookDisplayTests
{
    [Theory]
    [InlineData(0.16666666666666666, "0.1667")]
    [InlineData(1234.5678, "1235")]
    [InlineData(2000.0, "2000")]
    [InlineData(0.00123456, "0.001235")]
    [InlineData(-3.14159, "-3.142")]
    [InlineData(2.5e-5, "2.5·10⁻⁵")]
    [InlineData(1.7e-13, "1.7·10⁻¹³")]
    [InlineData(9.9996e-4, "10⁻³")]
    [InlineData(-4.2e-7, "−4.2·10⁻⁷")]
    [InlineData(3.2e7, "3.2·10⁷")]
    [InlineData(0.0, "0")]
    [InlineData(double.PositiveInfinity, "∞")]
    public void Numbers_read_to_four_significant_digits_or_as_powers_of_ten(double value, string expected) =>
        Assert.Equal(expected, TableHtml.Number(value));

    [Fact]
    public void A_long_frame_shows_its_first_and_last_rows_rounded_with_the_count_between()
    {
        // As the notebooks' DataFrame formatter calls it: step (int), loss (double), model (text).
        string html = TableHtml.Html(["step", "loss", "model"], 30, (row, column) => column switch
        {
            0 => (int)row + 1,
            1 => 1.0 / (3 * (row + 1)),
            _ => row % 2 == 1 ? "LSTM" : "GRU <tanh>",
        });
        Assert.Contains("30 rows × 3 columns", html);
        Assert.Contains("… 10 more rows …", html);
        Assert.Contains("<td style=\"text-align:right;padding:2px 8px\">0.3333</td>", html); // row 1
        Assert.Contains(">0.01111<", html);                                                 // row 30: 1/90
        Assert.DoesNotContain(">11<", html);                                                // rows 11–20 left out
        Assert.Contains("GRU &lt;tanh&gt;", html);
        Assert.DoesNotMatch(@"\d\.\d{6,}", html);
        Assert.DoesNotContain("id=", html); // no time-stamped ids: two runs write the same table
    }
}
