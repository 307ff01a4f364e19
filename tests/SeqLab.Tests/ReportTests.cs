using System.Globalization;
using System.Text;
using Microsoft.Playwright;
using SeqLab.Experiments.Cli;
using SeqLab.Reports;
using Xunit.Abstractions;

namespace SeqLab.Tests;

/// <summary>
/// The HTML reports opened in headless Chromium (Debian's chromium, installed by .ci/run) with the network off: every chart
/// draws (Plotly's SVG is there and holds traces), no script errors, no request leaves the machine, hostile text stays text.
/// </summary>
public class ReportTests(ITestOutputHelper output)
{
    /// <summary>A column name and a file name that would run script if any report forgot to escape them.</summary>
    const string HostileColumn = "</script><img src=x onerror=alert(1)>";
    const string HostileFile = "<img src=y onerror=alert(2)>.txt";

    static readonly string[] CommonCharts = ["loss", "gradient-norm", "layer-flow", "depth-flow", "update-ratio"];
    static readonly string[] TimeCharts = ["gradient-over-time", "gradient-heatmap"];

    /// <summary>The batch, run once for the tests of this class.</summary>
    internal static readonly Lazy<(string Batch, Dictionary<string, string[]> Charts)> Batch = new(RunBatch);

    /// <summary>Five small experiments that between them produce every kind of chart, and a sixth that diverges.</summary>
    static (string Batch, Dictionary<string, string[]> Charts) RunBatch()
    {
        string folder = NativeFiles.TemporaryFolder();
        var csv = new StringBuilder($"Date,{HostileColumn}\n");
        var day = new DateTime(2020, 1, 1);
        for (int i = 0; i < 240; i++)
            csv.Append(CultureInfo.InvariantCulture, $"{day.AddDays(i):yyyy-MM-dd},{20 + 5 * Math.Sin(i / 9.0) + 0.01 * i:F3}\n");
        File.WriteAllText(Path.Combine(folder, "series.csv"), csv.ToString());
        File.WriteAllText(Path.Combine(folder, HostileFile), string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 60)));
        File.WriteAllText(Path.Combine(folder, "reports.yaml"), $$"""
            batch: reports
            defaults:
              training: {steps: 12, batch_size: 16, learning_rate: 0.01, clip_grad_norm: 0.5, seed: 2, threads: 1, eval_every: 6}
              monitoring: {log_every: 4, expensive_every: 6, monitor_batch_size: 8}
            experiments:
              - name: lstm-2-layers
                dataset: {type: adding, length: 10, validation_size: 32, test_size: 32}
                model: {type: lstm, hidden_size: 8, layers: 2}
              - name: transformer
                dataset: {type: adding, length: 10, validation_size: 32, test_size: 32}
                model: {type: transformer, model_size: 8, heads: 2, layers: 2}
              - name: order-gru
                dataset: {type: temporal_order, length: 12, validation_size: 32, test_size: 32}
                model: {type: gru, hidden_size: 8}
              - name: forecast-gru
                dataset: {type: forecast, path: series.csv, date_column: Date, target_column: "{{HostileColumn}}", feature_columns: ["{{HostileColumn}}"], target: level, feature_transform: level, window: 10}
                model: {type: gru, hidden_size: 8}
              - name: text-lstm
                dataset: {type: text, path: "{{HostileFile}}", tokenizer: char, context: 16}
                model: {type: lstm, hidden_size: 16, embedding_size: 8}
              - name: diverging
                dataset: {type: adding, length: 10, validation_size: 32, test_size: 32}
                model: {type: rnn_relu, hidden_size: 16}
                training: {learning_rate: 1.0e+6, clip_grad_norm: null}
              - name: sweep
                dataset: {type: adding, validation_size: 32, test_size: 32}
                model: {type: rnn, hidden_size: 8}
                grid: {dataset.length: [6, 10]}
                seeds: [1, 2]
            """);
        var writer = new StringWriter();
        int exitCode = SeqLabCli.Invoke(["run", Path.Combine(folder, "reports.yaml"), "--output", Path.Combine(folder, "runs")], writer);
        Assert.True(exitCode == 0, writer.ToString());
        string[] With(params string[] extra) => [.. CommonCharts, .. extra];
        var charts = new Dictionary<string, string[]>
        {
            ["lstm-2-layers"] = With([.. TimeCharts, "hidden-gradient", "hidden-heatmap", "spectrum", "gate-saturation", "gate-activation", "activation-saturation", "activation-over-time"]),
            ["transformer"] = With([.. TimeCharts, "attention-entropy", "attention-l1-h1", "attention-l1-h2", "attention-l2-h1", "attention-l2-h2"]),
            ["order-gru"] = With([.. TimeCharts, "hidden-gradient", "hidden-heatmap", "spectrum", "gate-saturation", "gate-activation", "activation-saturation", "activation-over-time", "confusion"]),
            ["forecast-gru"] = With([.. TimeCharts, "hidden-gradient", "hidden-heatmap", "spectrum", "gate-saturation", "gate-activation", "activation-saturation", "activation-over-time", "forecast"]),
            ["text-lstm"] = With([.. TimeCharts, "hidden-gradient", "hidden-heatmap", "spectrum", "gate-saturation", "gate-activation", "activation-saturation", "activation-over-time"]),
            ["diverging"] = With([.. TimeCharts, "hidden-gradient", "hidden-heatmap", "spectrum", "activation-saturation", "activation-over-time"]), // NaN and ∞ in its logs must not break the page
            ["sweep-length6-seed1"] = With([.. TimeCharts, "hidden-gradient", "hidden-heatmap", "spectrum", "activation-saturation", "activation-over-time"]),
            [""] = ["profiles-end", "profiles-start", "validation-loss", "test-loss", "sweep-dataset-length-test-loss", "sweep-dataset-length-success"],
        };
        return (Path.Combine(folder, "runs", "reports"), charts);
    }

    static string Browser() => ChartImages.FindBrowser()
        ?? throw new InvalidOperationException("the report tests need Debian's chromium: bash .ci/run installs it (apt-get install chromium fonts-liberation)");

    sealed record PageCheck(string[] Figures, int[] Traces, string Charset, string Text);

    /// <summary>Opens <paramref name="path"/> offline, waits for Plotly, and returns what it drew; records errors, dialogs and outgoing requests.</summary>
    static async Task<PageCheck> Open(IBrowserContext context, string path, List<string> problems, string screenshot)
    {
        var page = await context.NewPageAsync();
        page.PageError += (_, error) => problems.Add($"{Path.GetFileName(path)}: script error {error}");
        page.Console += (_, message) => { if (message.Type == "error") problems.Add($"{Path.GetFileName(path)}: console error {message.Text}"); };
        page.Dialog += (_, dialog) => { problems.Add($"{Path.GetFileName(path)}: a dialog opened: {dialog.Message}"); _ = dialog.DismissAsync(); };
        await page.GotoAsync(new Uri(path).AbsoluteUri, new() { WaitUntil = WaitUntilState.Load });
        int expected = await page.EvaluateAsync<int>("document.querySelectorAll('section.figure').length");
        await page.WaitForFunctionAsync($"() => document.querySelectorAll('section.figure .js-plotly-plot svg.main-svg').length >= {expected}", null, new() { Timeout = 30_000 });
        var figures = await page.EvaluateAsync<string[]>("Array.from(document.querySelectorAll('section.figure')).map(s => s.id)");
        var traces = await page.EvaluateAsync<int[]>(
            "Array.from(document.querySelectorAll('section.figure')).map(s => { const p = s.querySelector('.js-plotly-plot'); return p && p.querySelector('svg.main-svg') && p.data ? p.data.length : -1; })");
        string charset = await page.EvaluateAsync<string>("document.characterSet");
        string text = await page.EvaluateAsync<string>("document.body.innerText");
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        await page.CloseAsync();
        return new PageCheck(figures, traces, charset, text);
    }

    [Fact]
    public async Task Every_chart_of_every_report_draws_offline_and_config_text_stays_text()
    {
        var (batch, expectedCharts) = Batch.Value;
        string shots = Path.Combine(AppContext.BaseDirectory, "report-screenshots");
        Directory.CreateDirectory(shots);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Browser(), Headless = true, Args = ["--no-sandbox"] });
        await using var context = await browser.NewContextAsync(new() { Offline = true, ViewportSize = new() { Width = 1100, Height = 900 } });
        var problems = new List<string>();
        await context.RouteAsync("**/*", async route =>
        {
            if (route.Request.Url.StartsWith("file:", StringComparison.Ordinal)) await route.ContinueAsync();
            else
            {
                problems.Add($"request to {route.Request.Url}");
                await route.AbortAsync();
            }
        });

        foreach (var (experiment, charts) in expectedCharts)
        {
            string path = experiment.Length == 0 ? Path.Combine(batch, "index.html") : Path.Combine(batch, experiment, "report.html");
            string shot = Path.Combine(shots, (experiment.Length == 0 ? "index" : experiment) + ".png");
            var check = await Open(context, path, problems, shot);
            Assert.Equal(charts, check.Figures);
            Assert.All(check.Traces, count => Assert.True(count >= 1, $"{experiment}: a chart drew no traces: [{string.Join(", ", check.Traces)}]"));
            Assert.Equal("UTF-8", check.Charset);
            output.WriteLine($"{experiment,-14} {check.Figures.Length} charts, traces [{string.Join(", ", check.Traces)}], screenshot {shot}");
            if (experiment == "forecast-gru")
            {
                Assert.Contains(HostileColumn, check.Text); // shown as text in the config
                Assert.Contains("naive (no change)", check.Text + string.Join(" ", check.Figures)); // caption or legend
            }
            if (experiment == "text-lstm")
            {
                Assert.Contains("Generated text", check.Text);
                Assert.Contains(HostileFile, check.Text);
            }
            if (experiment == "lstm-2-layers") Assert.Contains("‖∂L/∂x_t‖", check.Text);
            if (experiment == "diverging") Assert.Contains("diverged", check.Text);
            if (experiment.Length == 0) Assert.Contains("Over seeds", check.Text); // the seed groups of the sweep
        }
        Assert.Empty(problems);
    }

    [Fact]
    public void A_chart_exports_to_a_PNG_of_its_size_and_a_self_contained_report_needs_no_other_file()
    {
        var (batch, _) = Batch.Value;
        var results = ExperimentResults.Load(Path.Combine(batch, "lstm-2-layers"))!;
        var figure = ExperimentCharts.All(results).Single(f => f.Id == "gradient-over-time");
        string png = Path.Combine(AppContext.BaseDirectory, "report-screenshots", "gradient-over-time.png");
        ChartImages.SavePng(figure, png, Browser());
        var bytes = File.ReadAllBytes(png);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        int width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
        Assert.Equal((960, 420), (width, height));
        Assert.True(bytes.Length > 10_000, $"a drawn chart is more than a blank image ({bytes.Length} bytes)");

        var writer = new StringWriter();
        Assert.Equal(0, SeqLabCli.Invoke(["report", batch, "--self-contained"], writer));
        string html = File.ReadAllText(Path.Combine(batch, "lstm-2-layers", "report.html"));
        Assert.DoesNotContain($"src=\"../{HtmlReport.PlotlyFileName}\"", html);
        Assert.True(html.Length > 3_000_000, "plotly.js is embedded");
        Assert.True(html.IndexOf("<meta charset=\"utf-8\">", StringComparison.Ordinal) < html.IndexOf("<script", StringComparison.Ordinal));
    }

    [Fact]
    public void An_experiment_folder_on_its_own_gets_a_report_that_embeds_plotly()
    {
        var (batch, _) = Batch.Value;
        string alone = Path.Combine(NativeFiles.TemporaryFolder(), "forecast-gru");
        Directory.CreateDirectory(alone);
        foreach (var file in Directory.GetFiles(Path.Combine(batch, "forecast-gru"))) File.Copy(file, Path.Combine(alone, Path.GetFileName(file)));
        File.Delete(Path.Combine(alone, "report.html"));
        var writer = new StringWriter();
        Assert.Equal(0, SeqLabCli.Invoke(["report", alone], writer));
        string html = File.ReadAllText(Path.Combine(alone, "report.html"));
        Assert.True(html.Length > 3_000_000, "no shared plotly.js beside it, so it is embedded");
        Assert.DoesNotContain("../index.html", html);
        Assert.Contains("id=\"chart-forecast\"", html);
    }

    [Theory]
    [InlineData("12,3\n", "expected 4 fields")]
    [InlineData("12,3,9,lots\n", "field 'grad_norm': expected a number, found 'lots'")]
    public void A_malformed_results_file_is_reported_with_its_file_line_and_field(string badRow, string reason)
    {
        var (batch, _) = Batch.Value;
        string copy = Path.Combine(NativeFiles.TemporaryFolder(), "copy");
        string experiment = Path.Combine(copy, "order-gru");
        Directory.CreateDirectory(experiment);
        foreach (var file in Directory.GetFiles(Path.Combine(batch, "order-gru"))) File.Copy(file, Path.Combine(experiment, Path.GetFileName(file)));
        string table = Path.Combine(experiment, "grad_time.csv");
        int line = File.ReadAllLines(table).Length + 1;
        File.AppendAllText(table, badRow);
        File.Delete(Path.Combine(experiment, "report.html"));

        var writer = new StringWriter();
        Assert.Equal(SeqLabCli.ExperimentFailed, SeqLabCli.Invoke(["report", copy], writer));
        Assert.Contains($"grad_time.csv:{line}: ", writer.ToString());
        Assert.Contains(reason, writer.ToString());
        Assert.False(File.Exists(Path.Combine(experiment, "report.html"))); // nothing half-written
        Assert.Empty(Directory.GetFiles(copy, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Long_runs_are_thinned_for_drawing_keeping_the_first_and_last_points()
    {
        var steps = Enumerable.Range(1, 100_000).Select(i => new object()).ToList();
        var kept = ExperimentCharts.Thin(steps);
        Assert.InRange(kept.Count, 1_000, 2_001);
        Assert.Same(steps[0], kept[0]);
        Assert.Same(steps[^1], kept[^1]);
        Assert.Equal(steps.Take(10).ToList(), ExperimentCharts.Thin(steps.Take(10).ToList())); // short series stay whole
    }

    [Fact]
    public void Text_that_would_close_a_script_is_escaped_inside_chart_data()
    {
        var chart = Plotly.NET.CSharp.Chart.Line<double, double, string>(x: new[] { 1.0, 2.0 }, y: new[] { 1.0, 2.0 }, Name: "</script><script>alert(3)</script><!--");
        string html = HtmlReport.ChartHtml(chart, "chart-test");
        // Only the real end tag closes the script; "<script" inside it is harmless once "<!--" cannot start a comment.
        Assert.Equal(html.LastIndexOf("</script>", StringComparison.Ordinal), html.IndexOf("</script>", StringComparison.Ordinal));
        Assert.Contains("<\\/script><script>alert(3)<\\/script><\\!--", html);
        Assert.Contains("id=\"chart-test\"", html);
        Assert.Equal(html, HtmlReport.ChartHtml(chart, "chart-test")); // stable ids: the same chart gives the same HTML
    }
}
