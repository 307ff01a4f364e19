using SeqLab.Runtime.Files;

namespace SeqLab.Reports;

/// <summary>
/// PNG export of report charts through a headless Chromium (Debian's <c>chromium</c>), kept open for the process
/// (<see cref="ChartRenderer"/>): each chart is drawn alone at its own size with the local plotly.js, without Plotly's
/// toolbar.
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

    static readonly Dictionary<string, ChartRenderer> Renderers = [];
    static readonly Dictionary<string, string> Problems = [];

    /// <summary>
    /// The process's renderer for <paramref name="browser"/> (default: <see cref="FindBrowser"/>'s), started on first use and
    /// ended when the process exits; null when there is no browser or it could not start — <see cref="Problem"/> says why.
    /// </summary>
    public static ChartRenderer? Renderer(string? browser = null)
    {
        lock (Renderers)
        {
            browser ??= FindBrowser();
            if (browser is null) return null;
            if (Renderers.TryGetValue(browser, out var running))
            {
                if (running.IsAlive) return running;
                running.Dispose(); // crashed, or its connection closed on a timed-out chart: start a new one
                Renderers.Remove(browser);
            }
            if (Problems.ContainsKey(browser)) return null;
            try
            {
                var renderer = ChartRenderer.Start(browser);
                Renderers[browser] = renderer;
                if (Renderers.Count == 1) AppDomain.CurrentDomain.ProcessExit += (_, _) => { lock (Renderers) foreach (var r in Renderers.Values) r.Dispose(); };
                return renderer;
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception or System.Net.WebSockets.WebSocketException
                or OperationCanceledException or System.Text.Json.JsonException or HttpRequestException)
            {
                Problems[browser] = $"{browser} could not draw charts: {e.Message}";
                return null;
            }
        }
    }

    /// <summary>Why <see cref="Renderer"/> returned null for <paramref name="browser"/> (default: <see cref="FindBrowser"/>'s).</summary>
    public static string Problem(string? browser = null)
    {
        browser ??= FindBrowser();
        if (browser is null) return "no Chromium found: install chromium (Debian) or set SEQLAB_BROWSER";
        lock (Renderers) return Problems.GetValueOrDefault(browser, "");
    }

    /// <summary>Writes <paramref name="figure"/> as a PNG to <paramref name="pngPath"/>, drawn by <paramref name="browser"/> at the chart's size unless given.</summary>
    public static void SavePng(ReportFigure figure, string pngPath, string browser, int? width = null, int? height = null)
    {
        var renderer = Renderer(browser) ?? throw new InvalidOperationException(Problem(browser));
        AtomicFile.WriteAllBytes(pngPath, renderer.Png(figure.Chart, width, height)); // complete or absent: never half-written
    }

    /// <summary>Exports every chart of every finished experiment under <paramref name="batchFolder"/> into <c>&lt;experiment&gt;/charts/&lt;id&gt;.png</c>, and the batch charts into <c>charts/</c>.</summary>
    public static IReadOnlyList<string> ExportBatch(string batchFolder, string browser, Func<string, bool>? chartFilter = null)
    {
        var written = new List<string>();
        void Export(IEnumerable<ReportFigure> figures, string folder)
        {
            foreach (var figure in figures.Where(f => chartFilter?.Invoke(f.Id) ?? true))
            {
                string path = Path.Combine(folder, "charts", figure.Id + ".png");
                SavePng(figure, path, browser);
                written.Add(path);
            }
        }
        var experiments = ExperimentResults.LoadBatch(batchFolder);
        foreach (var experiment in experiments) Export(ExperimentCharts.All(experiment), experiment.Folder);
        Export(BatchCharts.All(experiments), batchFolder);
        return written;
    }
}
