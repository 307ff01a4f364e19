using Plotly.NET;
using Plotly.NET.CSharp;
using SeqLab.Reports;

namespace SeqLab.Notebooks;

/// <summary>A notebook's own charts in the reports' form.</summary>
public static class ChartExtensions
{
    /// <summary>The chart as a figure with a title and a caption, at the reports' size (960 × 420 unless given).</summary>
    public static ReportFigure Titled(this GenericChart chart, string title, string caption = "", int width = 960, int height = 420) =>
        new(string.Concat(title.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-')), title, caption, chart.WithSize(width, height));

    /// <summary>Writes the figure's chart as a PNG (drawn by a headless Chromium, as <c>seqlab report --png</c> does) and returns the path.</summary>
    public static string SavePng(this ReportFigure figure, string path, int width = 960, int height = 420)
    {
        ChartImages.SavePng(figure, path, ChartImages.FindBrowser() ?? throw new InvalidOperationException(ChartImages.Problem()), width, height);
        return path;
    }
}
