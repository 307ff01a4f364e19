using SeqLab.Runtime.Files;
using SeqLab.Training.Monitors;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Plotly.NET;
using SeqLab.Reports;

namespace SeqLab.Reports;

/// <summary>Where the reports of a batch were written.</summary>
/// <param name="Index">The batch's <c>index.html</c>.</param>
/// <param name="Experiments">Each finished experiment's <c>report.html</c>.</param>
public sealed record ReportFiles(string Index, IReadOnlyList<string> Experiments);

/// <summary>
/// Writes the HTML reports: <c>report.html</c> per experiment and <c>index.html</c> per batch, drawn by Plotly.NET and
/// readable offline. By default a batch's reports share one copy of plotly.js in the batch folder (3.6 MB once, instead
/// of in every file — a 50-experiment sweep would otherwise write 180 MB); <c>selfContained</c> embeds it in every page
/// so a single file can be mailed. All text from configs and results is HTML-escaped, also inside chart data.
/// </summary>
public static partial class HtmlReport
{
    /// <summary>The plotly.js file Plotly.NET ships, written beside a batch's reports.</summary>
    public const string PlotlyFileName = "plotly-2.28.0.min.js";

    static readonly Lazy<string> Plotly = new(() =>
    {
        var assembly = typeof(GenericChart).Assembly;
        using var stream = assembly.GetManifestResourceStream("Plotly.NET." + PlotlyFileName)
            ?? throw new InvalidOperationException($"Plotly.NET {assembly.GetName().Version} does not embed {PlotlyFileName}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    });

    /// <summary>The plotly.js source embedded in Plotly.NET (read once per process).</summary>
    public static string PlotlyJs() => Plotly.Value;

    /// <summary>Writes every finished experiment's <c>report.html</c> and the batch's <c>index.html</c> under <paramref name="batchFolder"/>.</summary>
    public static ReportFiles WriteBatch(string batchFolder, bool selfContained = false)
    {
        var experiments = ExperimentResults.LoadBatch(batchFolder);
        string? script = selfContained ? null : PlotlyFileName;
        if (!selfContained) AtomicFile.WriteAllText(Path.Combine(batchFolder, PlotlyFileName), PlotlyJs());
        var pages = new List<string>();
        foreach (var experiment in experiments)
        {
            string path = Path.Combine(experiment.Folder, "report.html");
            AtomicFile.WriteAllText(path, ExperimentPage(experiment, script is null ? null : "../" + script, "../index.html"));
            pages.Add(path);
        }
        string index = Path.Combine(batchFolder, "index.html");
        AtomicFile.WriteAllText(index, BatchPage(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(batchFolder))), experiments, script)); // "runs/batch/" names the batch too
        return new ReportFiles(index, pages);
    }

    /// <summary>
    /// Writes one experiment's <c>report.html</c> in <paramref name="experimentFolder"/>: loading the batch's shared plotly.js
    /// when the parent folder has it, embedding it otherwise. Returns the path, or null when the experiment has not finished.
    /// </summary>
    public static string? WriteExperiment(string experimentFolder)
    {
        if (ExperimentResults.Load(experimentFolder) is not { } results) return null;
        string parent = Path.GetDirectoryName(Path.GetFullPath(experimentFolder))!;
        bool shared = File.Exists(Path.Combine(parent, PlotlyFileName));
        string path = Path.Combine(experimentFolder, "report.html");
        AtomicFile.WriteAllText(path, ExperimentPage(results, shared ? "../" + PlotlyFileName : null, File.Exists(Path.Combine(parent, "index.html")) ? "../index.html" : null));
        return path;
    }

    /// <summary>One experiment's page. <paramref name="plotlyScript"/> is a relative path to plotly.js, or null to embed it.</summary>
    public static string ExperimentPage(ExperimentResults results, string? plotlyScript, string? backLink = null)
    {
        var s = results.Summary;
        var figures = ExperimentCharts.All(results);
        var body = new StringBuilder();
        if (backLink is not null) body.Append($"<p class=\"back\"><a href=\"{Escape(backLink)}\">← batch</a></p>\n");
        body.Append($"<h1>{Escape(s.Name)}</h1>\n<p class=\"lead\">{Escape(s.Description)} · {Escape(s.Dataset)} · {Escape(s.Task)} · {s.Parameters:N0} parameters</p>\n");
        body.Append($"<p class=\"verdict {Escape(s.Verdict)}\"><strong>{Escape(s.Verdict.Length > 0 ? s.Verdict : s.Status)}</strong> — {Escape(Rounded(s.VerdictEvidence.Length > 0 ? s.VerdictEvidence : s.Message ?? ""))}</p>\n");
        body.Append(KeyNumbers(s));
        body.Append(TimeTable(s));
        if (figures.Count > 0)
            body.Append("<nav><ul>").AppendJoin("", figures.Select(f => $"<li><a href=\"#{f.Id}\">{Escape(f.Title)}</a></li>")).Append("</ul></nav>\n");
        foreach (var figure in figures) body.Append(Figure(figure));
        if (results.Samples.Count > 0)
        {
            body.Append("<section id=\"samples\"><h2>Generated text</h2><p class=\"caption\">Continuations of prompts from the test text (prompt in bold), sampled at the temperature shown.</p>\n");
            foreach (var sample in results.Samples)
                body.Append($"<pre class=\"sample\"><b>{Escape(sample.Prompt)}</b>{Escape(sample.Continuation)}</pre><p class=\"caption\">temperature {sample.Temperature.ToString(CultureInfo.InvariantCulture)}</p>\n");
            body.Append("</section>\n");
        }
        body.Append(SequenceToSequenceCharts.TranslationTable(results.Translations));
        body.Append($"<section id=\"config\"><h2>Configuration</h2><p class=\"caption\">config.yaml — run it again with <code>seqlab run config.yaml</code>.</p><pre>{Escape(results.ConfigYaml)}</pre></section>\n");
        return Page($"{s.Name} — SeqLab report", body.ToString(), plotlyScript);
    }

    /// <summary>The batch's page: the comparison charts and a table linking every experiment's report.</summary>
    public static string BatchPage(string batchName, IReadOnlyList<ExperimentResults> experiments, string? plotlyScript)
    {
        var body = new StringBuilder($"<h1>{Escape(batchName)}</h1>\n<p class=\"lead\">{experiments.Count} experiment{(experiments.Count == 1 ? "" : "s")}</p>\n");
        body.Append("<table class=\"summary\"><thead><tr><th>experiment</th><th>model</th><th>data</th><th>status</th><th>verdict</th><th>test loss</th><th>baseline</th>")
            .Append("<th>‖∂L/∂x₁‖/‖∂L/∂x_T‖ first → last</th><th>half-life first → last</th><th>clipped</th><th>seconds</th><th>evidence</th></tr></thead><tbody>\n");
        foreach (var e in experiments)
        {
            var s = e.Summary;
            body.Append($"<tr><td><a href=\"{Escape(Uri.EscapeDataString(Path.GetFileName(e.Folder)))}/report.html\">{Escape(s.Name)}</a></td><td>{Escape(s.Description)}</td><td>{Escape(s.Dataset)}</td>")
                .Append($"<td>{Escape(s.Status)}</td><td class=\"verdict {Escape(s.Verdict)}\">{Escape(s.Verdict)}</td><td>{Number(s.TestLoss)}</td><td>{Number(s.BaselineLoss)}</td>")
                .Append($"<td>{Number(s.Diagnostic("gradient_ratio_first"))} → {Number(s.Diagnostic("gradient_ratio_last"))}</td><td>{Number(s.Diagnostic("gradient_half_life_first"))} → {Number(s.Diagnostic("gradient_half_life_last"))}</td>")
                .Append($"<td>{s.ClipFraction.ToString("P0", CultureInfo.InvariantCulture)}</td><td>{s.WallSeconds.ToString("0", CultureInfo.InvariantCulture)}</td><td class=\"evidence\">{Escape(Rounded(s.VerdictEvidence.Length > 0 ? s.VerdictEvidence : s.Message ?? ""))}</td></tr>\n");
        }
        body.Append("</tbody></table>\n");
        body.Append(GroupTable(SeedGroups.Of(experiments)));
        foreach (var figure in BatchCharts.All(experiments)) body.Append(Figure(figure));
        return Page($"{batchName} — SeqLab batch report", body.ToString(), plotlyScript);
    }

    /// <summary>
    /// A chart's HTML in the shared <see cref="ChartStyle"/> (reports, notebooks and PNGs all draw through here): Plotly.NET's
    /// div and script with a stable element id (so reports of identical runs are identical) and every <c>&lt;/</c> inside the
    /// script written as <c>&lt;\/</c>, so no string in the chart data can close the script.
    /// </summary>
    public static string ChartHtml(GenericChart chart, string id)
    {
        string html = GenericChart.toChartHTML(ChartStyle.Apply(chart));
        var guid = GuidPattern().Match(html);
        if (guid.Success)
            html = html.Replace(guid.Value, id).Replace(guid.Value.Replace("-", ""), id.Replace("-", "_"));
        const string open = "<script type=\"text/javascript\">", close = "</script>";
        int start = html.IndexOf(open, StringComparison.Ordinal), end = html.LastIndexOf(close, StringComparison.Ordinal);
        if (start < 0 || end < start) throw new InvalidOperationException("unexpected chart HTML from Plotly.NET: no script element");
        start += open.Length;
        string script = html[start..end].Replace("</", "<\\/", StringComparison.Ordinal).Replace("<!--", "<\\!--", StringComparison.Ordinal);
        return html[..start] + script + html[end..];
    }

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex GuidPattern();

    static string Figure(ReportFigure figure) =>
        $"<section class=\"figure\" id=\"{Escape(figure.Id)}\"><h2>{Escape(figure.Title)}</h2><p class=\"caption\">{Escape(figure.Caption)}</p>\n{ChartHtml(figure.Chart, "chart-" + figure.Id)}\n</section>\n";

    /// <summary>The seed groups (experiments that differ only in their seed): test loss with its 95 % interval and the success rate; empty when every group has one run.</summary>
    static string GroupTable(IReadOnlyList<SeedGroup> groups)
    {
        if (groups.All(g => g.Runs.Count < 2)) return "";
        var html = new StringBuilder("<h2>Over seeds</h2>\n<p class=\"caption\">Experiments that differ only in their seed, as one group: mean test loss with the 95 % t-interval of the mean, and the share of seeds that met the task's success criterion (95 % Wilson interval). Also in <code>groups.csv</code>.</p>\n");
        html.Append("<table class=\"groups\"><thead><tr><th>group</th><th>seeds</th><th>completed</th><th>test loss mean</th><th>95 % interval</th><th>success criterion</th><th>success rate</th></tr></thead><tbody>\n");
        foreach (var g in groups)
        {
            var loss = g.TestLoss;
            var rate = g.SuccessRate;
            html.Append($"<tr><td>{Escape(g.Name)}</td><td>{Escape(string.Join(" ", g.Seeds))}</td><td>{loss?.Count ?? 0} of {g.Runs.Count}</td><td>{Number(loss?.Mean)}</td>")
                .Append($"<td>{(loss is { Count: > 1 } ? $"{Number(loss.Low)} – {Number(loss.High)}" : "–")}</td><td>{Escape(g.SuccessCriterion)}</td>")
                .Append($"<td>{(rate is { } r ? $"{g.Successes}/{g.Judged} = {r.Rate.ToString("P0", CultureInfo.InvariantCulture)} [{r.Low.ToString("P0", CultureInfo.InvariantCulture)}, {r.High.ToString("P0", CultureInfo.InvariantCulture)}]" : "–")}</td></tr>\n");
        }
        return html.Append("</tbody></table>\n").ToString();
    }

    static string KeyNumbers(ExperimentSummary s)
    {
        var rows = new List<(string, string)>
        {
            ("status", s.Status), ("steps", s.Steps.ToString(CultureInfo.InvariantCulture)), ("test loss", Number(s.TestLoss)),
            ("baseline", $"{Number(s.BaselineLoss)} ({s.BaselineName})"), ("final validation loss", Number(s.FinalValidationLoss)),
        };
        // The monitors' headline numbers: x_first and x_last as one "first → last" row, each under the monitor's label.
        var labels = MonitorRegistry.HeadlineLabels();
        foreach (var group in s.Diagnostics.Keys.GroupBy(HeadlineStem))
        {
            var keys = group.ToList();
            if (keys.All(key => s.Diagnostic(key) is null)) continue;
            string label = labels.GetValueOrDefault(group.Key, group.Key.Replace('_', ' '));
            rows.Add(keys.Count == 2 && keys.Contains(group.Key + "_first") && keys.Contains(group.Key + "_last")
                ? ($"{label} first → last", $"{Number(s.Diagnostic(group.Key + "_first"))} → {Number(s.Diagnostic(group.Key + "_last"))}")
                : ($"{label}{(keys[0].EndsWith("_last", StringComparison.Ordinal) ? " at the end" : "")}", Number(s.Diagnostic(keys[0]))));
        }
        rows.Add(("clipped steps", s.ClipFraction.ToString("P1", CultureInfo.InvariantCulture)));
        rows.Add(("wall time", $"{s.WallSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s"));
        rows.AddRange(s.TestMetrics.Select(m => ($"test {m.Key}", Number(m.Value, 4))));
        return "<table class=\"numbers\"><tbody>" + string.Concat(rows.Select(r => $"<tr><th>{Escape(r.Item1)}</th><td>{Escape(r.Item2)}</td></tr>")) + "</tbody></table>\n";
    }

    /// <summary>Where the wall time went, phase by phase with its share; empty for summaries that did not measure it.</summary>
    static string TimeTable(ExperimentSummary s)
    {
        if (s.TimeSeconds is not { Count: > 0 } time) return "";
        double total = time.Values.Sum();
        var html = new StringBuilder("<section id=\"time\"><h2>Where the time went</h2><p class=\"caption\">Wall time by phase (seconds and share): the trainer's own phases, each monitor, and writing the results folder. Also <code>time_seconds</code> in summary.json.</p>\n");
        html.Append("<table class=\"numbers\"><tbody>");
        foreach (var (phase, seconds) in time)
            html.Append($"<tr><th>{Escape(phase)}</th><td>{seconds.ToString("0.00", CultureInfo.InvariantCulture)} s</td><td>{(total > 0 ? seconds / total : 0).ToString("P1", CultureInfo.InvariantCulture)}</td></tr>");
        return html.Append("</tbody></table></section>\n").ToString();
    }

    /// <summary>"gradient_ratio_first" → "gradient_ratio": the name a first/last pair shares.</summary>
    static string HeadlineStem(string key) =>
        key.EndsWith("_first", StringComparison.Ordinal) ? key[..^6] : key.EndsWith("_last", StringComparison.Ordinal) ? key[..^5] : key;

    /// <summary>
    /// A number for a table, to <paramref name="digits"/> significant digits: 0.00371, 2.63, 1234; below 10⁻³ and from 10⁶
    /// as a power of ten (3.3·10⁻⁵), as the charts write it; "–" for none.
    /// </summary>
    internal static string Number(double? value, int digits = 3) => value is double v ? TableHtml.Number(v, digits) : "–";

    /// <summary>Free text (a verdict's evidence, a divergence message) with every long decimal and every 1E-06 in it written as <see cref="Number"/> writes it (four significant digits).</summary>
    internal static string Rounded(string text) => LongDecimal().Replace(text, match =>
        double.TryParse(match.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? Number(value, 4) : match.Value);

    [GeneratedRegex(@"(?<![\w.])-?\d+(?:\.\d{5,}(?:[eE][+-]?\d+)?|(?:\.\d+)?[eE][+-]?\d+)(?!\w)(?!\.\d)")]
    private static partial Regex LongDecimal();

    /// <summary>HTML-escapes text (also quotes, for attributes).</summary>
    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    const string Style = """
        body { font-family: "Liberation Sans", Arial, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
        h1 { margin-bottom: 0.2em; } .lead { color: #555; margin-top: 0; }
        .verdict.healthy { color: #1a7f37; } .verdict.vanishing { color: #b35900; } .verdict.exploding, .verdict.diverged { color: #c62828; }
        table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; } th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
        td.evidence { font-size: 0.85em; color: #555; max-width: 28em; }
        nav ul { columns: 2; padding-left: 1.2em; } .caption { color: #555; max-width: 60em; }
        pre { background: #f6f8fa; padding: 1em; overflow-x: auto; white-space: pre-wrap; } section { margin-top: 2em; }
        """;

    static string Page(string title, string body, string? plotlyScript)
    {
        // The charset must come first: with it after the (large) script, Chromium guesses windows-1252 and garbles − and ‖.
        string script = plotlyScript is null
            ? $"<script type=\"text/javascript\">{PlotlyJs().Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase)}</script>"
            : $"<script type=\"text/javascript\" src=\"{Escape(plotlyScript)}\"></script>";
        return $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="SeqLab">
            <title>{Escape(title)}</title>
            <style>{Style}</style>
            {script}
            </head>
            <body>
            {body}
            <footer><p class="caption">Written by SeqLab from the files in this folder; charts by Plotly.NET (plotly.js 2.28, offline).</p></footer>
            </body>
            </html>

            """;
    }
}
