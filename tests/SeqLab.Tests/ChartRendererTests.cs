using System.Buffers.Binary;
using System.Diagnostics;
using Plotly.NET;
using Chart = Plotly.NET.CSharp.Chart;
using Plotly.NET.CSharp;
using SeqLab.Reports;

namespace SeqLab.Tests;

/// <summary>PNG pictures of charts from one browser kept open: sizes as asked, data Plotly.NET writes that JSON cannot (NaN), lists as one picture, the browser gone with the renderer.</summary>
public class ChartRendererTests
{
    static (int Width, int Height) Size(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    [Fact]
    public void Charts_draw_at_their_size_with_NaN_in_the_data_and_stack_into_one_picture_and_the_browser_ends_with_the_renderer()
    {
        string browser = ChartImages.FindBrowser() ?? throw new InvalidOperationException("the report tests need Debian's chromium (tests/prerequisites.sh installs it)");
        byte[] wide, small, stacked;
        string work;
        using (var renderer = ChartRenderer.Start(browser))
        {
            work = renderer.WorkFolder;
            Assert.True(renderer.IsAlive);
            Assert.True(Browsers(work) >= 1, "a browser runs with the renderer's profile");
            var line = Chart.Line<double, double, string>(x: [1, 2, 3, 4], y: [1, double.NaN, 1e-5, 1e-9], Name: "with a gap").WithSize(700, 300);
            wide = renderer.Png(line, title: "A title <drawn> in");
            Assert.Equal((700, 300), Size(wide));
            small = renderer.Png(line, 400, 250);
            Assert.Equal((400, 250), Size(small));
            Assert.True(wide.Length > 5_000, $"{wide.Length} bytes: no chart drawn");
            stacked = renderer.Stack([wide, small]);
            Assert.Equal((700, 550), Size(stacked));
        }
        var clock = Stopwatch.StartNew();
        while (Browsers(work) > 0 && clock.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(100);
        Assert.Equal(0, Browsers(work));
        Assert.False(Directory.Exists(work));
    }

    [Fact]
    public void A_program_that_is_no_browser_is_refused_in_seconds_naming_what_it_said()
    {
        var clock = Stopwatch.StartNew();
        var refused = Assert.Throws<InvalidOperationException>(() => ChartRenderer.Start("/bin/false"));
        Assert.Contains("did not open its DevTools port", refused.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"refused after {clock.Elapsed.TotalSeconds:F0} s: the renderer waited although the program had ended");
    }

    /// <summary>Processes whose command line names <paramref name="work"/> (the browser and its helpers), the shell beside it left out.</summary>
    static int Browsers(string work) => Directory.GetDirectories("/proc").Count(folder =>
    {
        try
        {
            string commandLine = File.ReadAllText(Path.Combine(folder, "cmdline"));
            return commandLine.Contains(work, StringComparison.Ordinal) && !commandLine.StartsWith("/bin/sh", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    });
}
