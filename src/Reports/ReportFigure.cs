using Plotly.NET;

namespace SeqLab.Reports;

/// <summary>One chart of a report: a stable id (also the PNG file name), a title and a caption saying how to read it.</summary>
/// <param name="Id">Short identifier, e.g. <c>gradient-over-time</c>.</param>
/// <param name="Title">Heading shown above the chart.</param>
/// <param name="Caption">What the chart shows and what to look for.</param>
/// <param name="Chart">The Plotly.NET chart; it gets the shared <see cref="ChartStyle"/>.</param>
public sealed record ReportFigure(string Id, string Title, string Caption, GenericChart Chart)
{
    /// <summary>The chart in the shared style (powers of ten, never SI prefixes), so that its figure JSON is what is drawn.</summary>
    public GenericChart Chart { get; init => field = ChartStyle.Apply(value); } = ChartStyle.Apply(Chart);
}
