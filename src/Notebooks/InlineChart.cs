using System.Net;
using System.Runtime.CompilerServices;
using Plotly.NET;
using SeqLab.Reports;

namespace SeqLab.Notebooks;

/// <summary>
/// A chart as notebook output that draws without a network and shows without scripts: the HTML carries the interactive
/// chart (the first chart of a kernel session carries plotly.js itself, 3.6 MB once per notebook, as Python's offline
/// plotly does) and a PNG of it that stands in wherever scripts do not run (GitHub, nbviewer, a mail); the same PNG is the
/// output's <c>image/png</c>. Element ids count up from 1, so two runs of a notebook write the same HTML around the pictures.
/// </summary>
public static class InlineChart
{
    static int count;
    static readonly ConditionalWeakTable<object, string> Pictures = new();

    /// <summary>Whether charts get a PNG (a Chromium was found and started); <see cref="PictureProblem"/> says why not.</summary>
    public static bool DrawsPictures => ChartImages.Renderer() is not null;

    /// <summary>Why charts get no PNG; empty when they do.</summary>
    public static string PictureProblem => DrawsPictures ? "" : ChartImages.Problem();

    /// <summary>A chart's HTML.</summary>
    public static string Html(GenericChart chart) => Html(chart, null, null, Png(chart));

    /// <summary>A report figure's HTML: title, chart and the caption that says how to read it.</summary>
    public static string Html(ReportFigure figure) =>
        Html(figure.Chart, figure.Title, figure.Caption, Png(figure));

    /// <summary>The chart's picture as base64 PNG, or null without a browser; drawn once per chart object.</summary>
    public static string? Png(GenericChart chart) => Picture(chart, renderer => renderer.Png(chart));

    /// <summary>The figure's picture as base64 PNG with its title drawn in (a picture shown alone still says what it is), or null without a browser.</summary>
    public static string? Png(ReportFigure figure) => Picture(figure, renderer => renderer.Png(figure.Chart, title: figure.Title));

    /// <summary>The figures' pictures one above another as one base64 PNG, or null without a browser.</summary>
    public static string? Png(IReadOnlyList<ReportFigure> figures)
    {
        if (ChartImages.Renderer() is not { } renderer) return null;
        var pictures = figures.Select(Png).OfType<string>().Select(Convert.FromBase64String).ToList();
        return pictures.Count == 0 ? null : Convert.ToBase64String(renderer.Stack(pictures));
    }

    static string? Picture(object key, Func<ChartRenderer, byte[]> draw)
    {
        if (Pictures.TryGetValue(key, out var drawn)) return drawn;
        if (ChartImages.Renderer() is not { } renderer) return null;
        try
        {
            string picture = Convert.ToBase64String(draw(renderer));
            Pictures.AddOrUpdate(key, picture);
            return picture;
        }
        catch (Exception e) when (e is InvalidOperationException or System.Net.WebSockets.WebSocketException or OperationCanceledException or System.Text.Json.JsonException)
        {
            // The chart is still shown (interactive); the missing picture is said, where the cell's output shows it.
            Console.Error.WriteLine($"SeqLab: no PNG copy of this chart: {e.Message}");
            return null;
        }
    }

    static string Html(GenericChart chart, string? title, string? caption, string? png)
    {
        string heading = title is null ? "" : $"<h4>{WebUtility.HtmlEncode(title)}</h4><p style=\"color:#555;max-width:60em\">{WebUtility.HtmlEncode(caption)}</p>";
        int number = Interlocked.Increment(ref count);
        string library = number == 1
            ? $"<script type=\"text/javascript\">{HtmlReport.PlotlyJs().Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase)}</script>\n"
            : "";
        string id = $"seqlab-chart-{number}", render = $"renderPlotly_seqlab_chart_{number}";
        // Outputs may be inserted before the one carrying plotly.js has run: wait for it (up to 20 s) instead of failing.
        // Once plotly.js is there, the interactive chart takes the picture's place; without scripts the picture stays.
        string html = HtmlReport.ChartHtml(chart, id).Replace($"{render}();",
            $"(function draw(tries) {{ if (window.Plotly) {{ var live = document.getElementById('{id}').closest('.seqlab-live'); if (live) {{ live.style.display = ''; var picture = live.previousElementSibling; if (picture && picture.classList.contains('seqlab-static')) picture.remove(); }} {render}(); }} else if (tries > 0) setTimeout(function () {{ draw(tries - 1); }}, 100); }})(200);");
        if (png is null) return $"<div class=\"seqlab-figure\">{heading}\n{library}{html}</div>";
        return $"<div class=\"seqlab-figure\">{heading}\n<img class=\"seqlab-static\" alt=\"{WebUtility.HtmlEncode(title ?? "chart")}\" style=\"max-width:100%\" src=\"data:image/png;base64,{png}\">\n<div class=\"seqlab-live\" style=\"display:none\">{library}{html}</div></div>";
    }
}
