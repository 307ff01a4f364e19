using System.Diagnostics;

namespace SeqLab.Reports;

/// <summary>
/// PNG export of report charts through a headless Chromium (Debian's <c>chromium</c>): each chart is drawn alone on a
/// page of its own size with the local plotly.js (without Plotly's toolbar), and Chromium's <c>--screenshot</c> writes the
/// image (4–5 s a chart).
/// </summary>
public static class ChartImages
{
    /// <summary>The browser to use: <c>SEQLAB_BROWSER</c>, else chromium, chromium-browser or google-chrome on the PATH; null when none is found.</summary>
    public static string? FindBrowser()
    {
        if (Environment.GetEnvironmentVariable("SEQLAB_BROWSER") is { Length: > 0 } configured) return File.Exists(configured) ? configured : null;
        var folders = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return new[] { "chromium", "chromium-browser", "google-chrome" }
            .SelectMany(name => folders.Select(folder => Path.Combine(folder, name)))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>Writes <paramref name="figure"/> as a PNG to <paramref name="pngPath"/> using <paramref name="browser"/>.</summary>
    public static void SavePng(ReportFigure figure, string pngPath, string browser, int width = ExperimentCharts.Width, int height = ExperimentCharts.Height)
    {
        string work = PrepareWorkFolder();
        try
        {
            Draw(figure, pngPath, browser, work, width, height);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Exports every chart of every finished experiment under <paramref name="batchFolder"/> into <c>&lt;experiment&gt;/charts/&lt;id&gt;.png</c>, and the batch charts into <c>charts/</c>.</summary>
    public static IReadOnlyList<string> ExportBatch(string batchFolder, string browser, Func<string, bool>? chartFilter = null)
    {
        var written = new List<string>();
        var experiments = ExperimentResults.LoadBatch(batchFolder);
        string work = PrepareWorkFolder(); // one copy of plotly.js for every chart
        try
        {
            void Export(IEnumerable<ReportFigure> figures, string folder)
            {
                foreach (var figure in figures.Where(f => chartFilter?.Invoke(f.Id) ?? true))
                {
                    string path = Path.Combine(folder, "charts", figure.Id + ".png");
                    Draw(figure, path, browser, work, ExperimentCharts.Width, ExperimentCharts.Height);
                    written.Add(path);
                }
            }
            foreach (var experiment in experiments) Export(ExperimentCharts.All(experiment), experiment.Folder);
            Export(BatchCharts.All(experiments), batchFolder);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        return written;
    }

    /// <summary>A temporary folder holding plotly.js, where chart pages are drawn.</summary>
    static string PrepareWorkFolder()
    {
        string work = Directory.CreateTempSubdirectory("seqlab-png-").FullName;
        File.WriteAllText(Path.Combine(work, HtmlReport.PlotlyFileName), HtmlReport.PlotlyJs());
        return work;
    }

    /// <summary>Draws one chart alone on a page in <paramref name="work"/> and screenshots it into <paramref name="pngPath"/>.</summary>
    static void Draw(ReportFigure figure, string pngPath, string browser, string work, int width, int height)
    {
        string page = Path.Combine(work, "chart.html");
        File.WriteAllText(page, $"""
            <!DOCTYPE html><html><head><meta charset="utf-8"><script src="{HtmlReport.PlotlyFileName}"></script>
            <style>body {"{"} margin: 0; background: white; {"}"} .modebar {"{"} display: none !important; {"}"}</style></head>
            <body>{HtmlReport.ChartHtml(figure.Chart, "chart-" + figure.Id)}</body></html>
            """);
        string temporary = Path.Combine(work, "chart.png");
        File.Delete(temporary);
        var start = new ProcessStartInfo(browser)
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-extensions",
            $"--user-data-dir={Path.Combine(work, "profile")}", "--virtual-time-budget=5000",
            $"--window-size={width},{height}", $"--screenshot={temporary}", new Uri(page).AbsoluteUri,
        }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {browser}");
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{browser} took more than 60 s to draw {figure.Id}");
        }
        if (process.ExitCode != 0 || !File.Exists(temporary))
            throw new InvalidOperationException($"{browser} could not draw {figure.Id} (exit code {process.ExitCode}): {errors.Result.Trim()}");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(pngPath))!);
        File.Move(temporary, pngPath, overwrite: true); // complete or absent: never half-written
    }
}
