using System.Net;
using Plotly.NET;
using SeqLab.Reports;

namespace SeqLab.Notebooks;

/// <summary>
/// A chart as notebook HTML that draws without a network: the first chart of a kernel session carries plotly.js itself
/// (3.6 MB, once per notebook, as Python's offline plotly does), later ones use it. Element ids count up from 1, so the
/// outputs of two runs of a notebook are the same text.
/// </summary>
public static class InlineChart
{
    static int count;

    /// <summary>A chart's HTML.</summary>
    public static string Html(GenericChart chart) => Html(chart, null);

    /// <summary>A report figure's HTML: title, chart and the caption that says how to read it.</summary>
    public static string Html(ReportFigure figure) =>
        Html(figure.Chart, $"<h4>{WebUtility.HtmlEncode(figure.Title)}</h4><p style=\"color:#555;max-width:60em\">{WebUtility.HtmlEncode(figure.Caption)}</p>");

    static string Html(GenericChart chart, string? heading)
    {
        int number = Interlocked.Increment(ref count);
        string library = number == 1
            ? $"<script type=\"text/javascript\">{HtmlReport.PlotlyJs().Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase)}</script>\n"
            : "";
        string id = $"seqlab-chart-{number}", render = $"renderPlotly_seqlab_chart_{number}";
        // Outputs may be inserted before the one carrying plotly.js has run: wait for it (up to 20 s) instead of failing.
        string html = HtmlReport.ChartHtml(chart, id).Replace($"{render}();",
            $"(function draw(tries) {{ if (window.Plotly) {render}(); else if (tries > 0) setTimeout(function () {{ draw(tries - 1); }}, 100); }})(200);");
        return $"<div class=\"seqlab-figure\">{heading}\n{library}{html}</div>";
    }
}
