using System.Globalization;
using System.Net;
using System.Text;

namespace SeqLab.Reports;

/// <summary>
/// A table as small HTML that reads like the text around it: numbers to four significant digits (powers of ten for very
/// small or large ones, as on the charts' log axes), the first and last rows of a long table with the count between them,
/// and no time-stamped element ids (two runs of a notebook write the same table).
/// </summary>
public static class TableHtml
{
    /// <summary>
    /// The table's HTML: <paramref name="columns"/> as the header, <paramref name="cell"/>(row, column) as each cell, at most
    /// <paramref name="maxRows"/> of the <paramref name="rows"/> rows shown (half from the top, half from the bottom).
    /// </summary>
    public static string Html(IReadOnlyList<string> columns, long rows, Func<long, int, object?> cell, int maxRows = 20)
    {
        var shown = rows <= maxRows
            ? Enumerable.Range(0, (int)rows).Select(i => (long)i).ToList()
            : Enumerable.Range(0, maxRows / 2).Select(i => (long)i).Concat(Enumerable.Range(0, maxRows - maxRows / 2).Select(i => rows - (maxRows - maxRows / 2) + i)).ToList();
        var html = new StringBuilder("<table style=\"border-collapse:collapse\">");
        html.Append($"<caption style=\"text-align:left;color:#555\">{rows.ToString("N0", CultureInfo.InvariantCulture)} rows × {columns.Count} columns</caption><thead><tr>");
        foreach (var column in columns) html.Append($"<th style=\"text-align:right;padding:2px 8px\">{WebUtility.HtmlEncode(column)}</th>");
        html.Append("</tr></thead><tbody>");
        long? previous = null;
        foreach (long row in shown)
        {
            if (previous is long p && row != p + 1)
                html.Append($"<tr><td colspan=\"{columns.Count}\" style=\"text-align:center;color:#777\">… {(row - p - 1).ToString("N0", CultureInfo.InvariantCulture)} more rows …</td></tr>");
            html.Append("<tr>");
            for (int column = 0; column < columns.Count; column++) html.Append($"<td style=\"text-align:right;padding:2px 8px\">{WebUtility.HtmlEncode(Cell(cell(row, column)))}</td>");
            html.Append("</tr>");
            previous = row;
        }
        return html.Append("</tbody></table>").ToString();
    }

    /// <summary>A cell as text: numbers by <see cref="Number"/>, anything else as it is.</summary>
    public static string Cell(object? value) => value switch
    {
        null => "",
        double d => Number(d),
        float f => Number(f),
        decimal m => Number((double)m),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>
    /// <paramref name="digits"/> significant digits; below 10⁻³ and from 10⁶ on as a power of ten (2.5·10⁻⁵, 10⁻³), never an
    /// SI prefix and never a run of float digits. Whole numbers below 10⁶ stay whole. Reports and notebooks write numbers so.
    /// </summary>
    public static string Number(double value, int digits = 4)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsInfinity(value)) return value > 0 ? "∞" : "−∞";
        if (value == 0) return "0";
        double magnitude = Math.Abs(value);
        if (magnitude >= 1e-3 && magnitude < 1e6)
        {
            if (value == Math.Round(value)) return value.ToString("0", CultureInfo.InvariantCulture);
            int decimals = Math.Max(0, digits - 1 - (int)Math.Floor(Math.Log10(magnitude)));
            return Math.Round(value, decimals, MidpointRounding.AwayFromZero).ToString("0." + new string('#', Math.Max(1, decimals)), CultureInfo.InvariantCulture);
        }
        int exponent = (int)Math.Floor(Math.Log10(magnitude));
        double mantissa = Math.Round(value / Math.Pow(10, exponent), digits - 1, MidpointRounding.AwayFromZero);
        if (Math.Abs(mantissa) >= 10) (mantissa, exponent) = (mantissa / 10, exponent + 1); // 9.999 rounded up to 10
        string power = "10" + Superscript(exponent);
        return mantissa switch { 1 => power, -1 => "−" + power, _ => $"{mantissa.ToString(CultureInfo.InvariantCulture).Replace("-", "−")}·{power}" };
    }

    static string Superscript(int exponent) => string.Concat(exponent.ToString(CultureInfo.InvariantCulture).Select(c => c switch
    {
        '-' => '⁻', '0' => '⁰', '1' => '¹', '2' => '²', '3' => '³', '4' => '⁴', '5' => '⁵', '6' => '⁶', '7' => '⁷', '8' => '⁸', _ => '⁹',
    }));
}
