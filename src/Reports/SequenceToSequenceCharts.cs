using System.Globalization;
using System.Text;
using Plotly.NET;
using Plotly.NET.CSharp;
using Plotly.NET.LayoutObjects;
using SeqLab.Data.Text;
using SeqLab.Data.TimeSeries;
using Chart = Plotly.NET.CSharp.Chart;
using static SeqLab.Reports.ExperimentCharts;

namespace SeqLab.Reports;

/// <summary>
/// The charts of sequence-to-sequence runs: where the decoder looked while it wrote each output token
/// (<c>attention_alignments.csv</c>), test scores against source length (<c>length_buckets.csv</c>, also overlaid over a
/// batch), the cross-attention monitor's entropy and maps over training (<c>cross_attention_entropy.csv</c>,
/// <c>cross_attention.csv</c>), and the decoded test pairs as a table (<c>translations.json</c>).
/// </summary>
public static class SequenceToSequenceCharts
{
    const int MaxAlignments = 4;
    const string ZeroWidthSpace = "\u200B";

    /// <summary>One heatmap per test pair of <c>attention_alignments.csv</c> (at most four): output tokens (rows, top to bottom as written) against source tokens (columns).</summary>
    public static IEnumerable<ReportFigure?> Alignments(ExperimentResults r)
    {
        if (r.Table("attention_alignments.csv") is not { Count: > 0 } table) yield break;
        foreach (var sentence in table.Rows.GroupBy(a => table.Integer(a, "sentence")).OrderBy(g => g.Key).Take(MaxAlignments))
            yield return Alignment(table, sentence.Key, sentence.ToList());
    }

    static ReportFigure Alignment(ResultsTable table, int sentence, List<CsvRecord> rows)
    {
        var steps = rows.GroupBy(a => table.Integer(a, "target_step")).OrderBy(g => g.Key).ToList();
        var positions = rows.GroupBy(a => table.Integer(a, "source_position")).OrderBy(g => g.Key).Select(g => (Position: g.Key, Token: table.Text(g.First(), "source_token"))).ToList();
        var column = positions.Select((p, i) => (p.Position, i)).ToDictionary(p => p.Position, p => p.i);
        var z = steps.Select(step =>
        {
            var weights = new double[positions.Count];
            foreach (var a in step) weights[column[table.Integer(a, "source_position")]] = table.Number(a, "weight");
            return weights;
        }).ToList();
        var sourceTokens = positions.Select(p => p.Token).ToList();
        var outputTokens = steps.Select(step => table.Text(step.First(), "target_token")).ToList();
        var chart = Chart.Heatmap<double, string, string, string>(zData: z, X: AxisLabels(sourceTokens), Y: AxisLabels(outputTokens), Name: "attention weight",
            ColorScale: StyleParam.Colorscale.YIGnBu, ReverseYAxis: true, ColorBar: ChartStyle.TitledColorBar("attention weight"));
        chart = WeightRange(chart);
        chart = chart.WithXAxisStyle<double, double, string>(TitleText: "source token (in order)", AxisType: StyleParam.AxisType.Category)
            .WithYAxisStyle<double, double, string>(TitleText: "output token (as written)", AxisType: StyleParam.AxisType.Category).WithSize(Width, Height);
        chart = EveryTick(EveryTick(chart, "xaxis"), "yaxis");
        return new ReportFigure($"alignment-{sentence}", $"Alignment, test pair {sentence}: {Shorten(Text(sourceTokens))} → {Shorten(Text(outputTokens.Where(t => t != TokenVocabulary.Reserved[(int)TokenVocabulary.End])))}",
            "Where the decoder looked (attention weight over the source tokens, columns) while greedy decoding wrote each output token (rows, top to bottom as written; a Transformer's weights are the mean over its layers and heads). "
            + "A monotone diagonal means the output follows the source in order (translation between similar word orders); an anti-diagonal, that it runs backwards (the reverse task); "
            + "dates give diagonal blocks in a new order — the year's digits written while looking at the year, the month's at the month name, the day's at the day's digits. A smeared row is a token written without looking anywhere in particular.",
            chart);
    }

    /// <summary>Test exact match, and BLEU where the task has it, against source length in buckets of five tokens, greedy and beam search as two lines (<c>length_buckets.csv</c>).</summary>
    public static IEnumerable<ReportFigure?> LengthScores(ExperimentResults r)
    {
        if (r.Table("length_buckets.csv") is not { Count: > 0 } table) yield break;
        yield return LengthScore(r, table, "exact_match");
        if (table.Rows.Any(b => !double.IsNaN(table.Number(b, "bleu")))) yield return LengthScore(r, table, "bleu");
    }

    static ReportFigure LengthScore(ExperimentResults r, ResultsTable table, string metric)
    {
        var buckets = Buckets([table]);
        // The bucket's sentences under its label, so the reader sees how much each point rests on.
        var sentences = table.Rows.GroupBy(b => BucketLabel(table, b)).ToDictionary(g => g.Key, g => table.Integer(g.First(), "sentences"));
        string Label(string bucket) => $"{bucket}<br>n = {sentences[bucket]}";
        string width = r.Settings.GetValueOrDefault("dataset.beam_width", "") is { Length: > 0 } w ? $" (width {w})" : "";
        var charts = new List<GenericChart>();
        foreach (var (search, name, dash) in new[] { ("beam", $"beam search{width}", (StyleParam.DrawingStyle?)null), ("greedy", "greedy decoding", StyleParam.DrawingStyle.Dash) })
        {
            var rows = table.Rows.Where(b => table.Text(b, "search") == search && !double.IsNaN(table.Number(b, metric))).OrderBy(b => table.Integer(b, "min_source_length")).ToList();
            if (rows.Count == 0) continue;
            var x = rows.Select(b => Label(BucketLabel(table, b))).ToList();
            var y = rows.Select(b => table.Number(b, metric)).ToList();
            var hover = rows.Select(b => $"{table.Integer(b, "sentences")} sentences").ToList();
            charts.Add(dash is null
                ? Chart.Line<string, double, string>(x: x, y: y, Name: name, ShowMarkers: true, MultiText: hover)
                : Chart.Line<string, double, string>(x: x, y: y, Name: name, ShowMarkers: true, MultiText: hover, LineDash: dash));
        }
        bool bleu = metric == "bleu";
        var chart = Chart.Combine(charts)
            .WithXAxisStyle<double, double, string>(TitleText: "source length (tokens, buckets of 5; n = test sentences)", AxisType: StyleParam.AxisType.Category,
                CategoryOrder: StyleParam.CategoryOrder.Array, CategoryArray: buckets.Select(Label).ToList())
            .WithYAxisStyle<double, double, string>(TitleText: bleu ? "BLEU (0–100)" : "exact match (share of sentences)",
                MinMax: bleu ? Tuple.Create(0.0, 102.0) : Tuple.Create(0.0, 1.02))
            .WithSize(Width, Height);
        string test = r.Summary.TestMetrics.TryGetValue(bleu ? "bleu" : "exact_match", out double all) ? $" On the whole test set: {all.ToString(bleu ? "0.0" : "0.000", CultureInfo.InvariantCulture)}." : "";
        return new ReportFigure(bleu ? "length-bleu" : "length-exact-match", bleu ? "BLEU against source length" : "Exact match against source length",
            $"{(bleu ? "Corpus BLEU" : "The share of test outputs exactly equal to the reference")} in buckets of five source tokens, for beam search (solid) and greedy decoding (dashed); n under each bucket is its number of test sentences. "
            + $"Bahdanau et al. (2015, Fig. 2) found the encoder–decoder without attention falling off as sources grow and attention holding up; read off here whether this run does.{test}",
            chart);
    }

    /// <summary>Mean cross-attention entropy over heads, per decoder layer, against training step, beside uniform attention's (<c>cross_attention_entropy.csv</c>).</summary>
    public static ReportFigure? CrossAttentionEntropy(ExperimentResults r)
    {
        if (r.Table("cross_attention_entropy.csv") is not { Count: > 0 } table) return null;
        var charts = new List<GenericChart>();
        string end = "";
        foreach (var layer in table.Rows.GroupBy(e => table.Integer(e, "layer")).OrderBy(g => g.Key))
        {
            int heads = layer.Select(e => table.Integer(e, "head")).Distinct().Count();
            var steps = Thin(layer.GroupBy(e => table.Integer(e, "step")).OrderBy(g => g.Key)
                .Select(g => (Step: (double)g.Key, Entropy: g.Average(e => table.Number(e, "entropy")), Uniform: table.Number(g.First(), "uniform_entropy"))).ToList());
            charts.Add(Line(steps.Select(s => s.Step), steps.Select(s => s.Entropy), heads > 1 ? $"decoder layer {layer.Key} (mean of {heads} heads)" : $"decoder layer {layer.Key}", markers: true));
            if (layer.Key == 1 && steps[^1].Uniform > 0)
                end = $" At the last monitored step (step {steps[^1].Step:0}) the first layer's entropy is {(steps[^1].Entropy / steps[^1].Uniform).ToString("P0", CultureInfo.InvariantCulture)} of uniform attention's.";
        }
        var uniform = Thin(table.Rows.GroupBy(e => table.Integer(e, "step")).OrderBy(g => g.Key).Select(g => (Step: (double)g.Key, Value: table.Number(g.First(), "uniform_entropy"))).ToList());
        charts.Add(Line(uniform.Select(u => u.Step), uniform.Select(u => u.Value), "uniform attention over the source", dash: StyleParam.DrawingStyle.Dash));
        return new ReportFigure("cross-attention-entropy", "Cross-attention entropy over training",
            "Mean entropy (nats) of the decoder's attention over source positions on the monitoring batch, per decoder layer (mean over its heads), at each monitored step; the dashed line is attention spread evenly over the same source positions. "
            + $"A line that falls far below it means each output token looks at a few source positions: the model has learned to align.{end}",
            Styled(Chart.Combine(charts), "step", "entropy (nats)"));
    }

    /// <summary>The first decoder layer's cross-attention (mean over heads) on the monitoring batch's first pair, at the first and the latest monitored step (<c>cross_attention.csv</c>).</summary>
    public static IEnumerable<ReportFigure?> CrossAttentionMaps(ExperimentResults r)
    {
        if (r.Table("cross_attention.csv") is not { Count: > 0 } table) yield break;
        var layer = table.Rows.Where(w => table.Integer(w, "layer") == table.Rows.Min(x => table.Integer(x, "layer"))).ToList();
        var steps = layer.Select(w => table.Integer(w, "step")).Distinct().Order().ToList();
        foreach (var (step, which) in new[] { (steps[0], "first"), (steps[^1], "last") }.DistinctBy(s => s.Item1))
        {
            var rows = layer.Where(w => table.Integer(w, "step") == step).ToList();
            int heads = rows.Select(w => table.Integer(w, "head")).Distinct().Count();
            int targets = rows.Max(w => table.Integer(w, "target_step")), sources = rows.Max(w => table.Integer(w, "source_position"));
            var z = new double[targets][];
            for (int t = 0; t < targets; t++) z[t] = new double[sources];
            foreach (var w in rows) z[table.Integer(w, "target_step") - 1][table.Integer(w, "source_position") - 1] += table.Number(w, "weight") / heads;
            var chart = Chart.Heatmap<double, int, int, string>(zData: z, X: Enumerable.Range(1, sources).ToList(), Y: Enumerable.Range(1, targets).ToList(), Name: "attention weight",
                ColorScale: StyleParam.Colorscale.YIGnBu, ReverseYAxis: true, ColorBar: ChartStyle.TitledColorBar(heads > 1 ? "attention weight (mean of heads)" : "attention weight"));
            chart = WeightRange(chart).WithXAxisStyle<double, double, string>(TitleText: "source position").WithYAxisStyle<double, double, string>(TitleText: "target step (teacher forcing)").WithSize(Width, Height);
            if (sources <= 40) chart = EveryTick(chart, "xaxis");
            if (targets <= 20) chart = EveryTick(chart, "yaxis");
            yield return new ReportFigure($"cross-attention-{which}", $"Cross-attention, step {step} ({(which == "first" ? "first" : "latest")} monitored step)",
                $"The first decoder layer's attention{(heads > 1 ? $" (mean of its {heads} heads)" : "")} from each target step (rows, the reference fed in) to each source position (columns) for the monitoring batch's first pair. "
                + "At the first monitored step it is spread out; a trained model's map concentrates on a path — a diagonal where output and source run in the same order.",
                chart);
        }
    }

    /// <summary>
    /// The batch's figures of Bahdanau et al. (2015, Fig. 2): beam-search scores against source length for every experiment
    /// that wrote <c>length_buckets.csv</c>. Experiments with BLEU (translation) share <c>length-scores</c>; those without
    /// (dates, reverse, sort) get exact match — in <c>length-scores</c> when no experiment has BLEU, else in
    /// <c>length-scores-exact-match</c>, so that no task is drawn on another's scale. Runs that differ only in their seed are
    /// one line: the mean over seeds with its 95 % t-interval as a band.
    /// </summary>
    public static IEnumerable<ReportFigure> LengthComparison(IReadOnlyList<ExperimentResults> experiments)
    {
        var tables = experiments.Select(e => (Experiment: e, Table: e.Table("length_buckets.csv"))).Where(e => e.Table is { Count: > 0 })
            .Select(e => (e.Experiment, Table: e.Table!)).ToList();
        bool HasBleu((ExperimentResults Experiment, ResultsTable Table) e) =>
            e.Table.Rows.Where(b => e.Table.Text(b, "search") == "beam").Any(b => !double.IsNaN(e.Table.Number(b, "bleu")));
        var withBleu = tables.Where(HasBleu).ToList();
        var without = tables.Where(e => !HasBleu(e)).ToList();
        if (withBleu.Count > 0) yield return LengthFigure("length-scores", withBleu, bleu: true);
        if (without.Count > 0) yield return LengthFigure(withBleu.Count > 0 ? "length-scores-exact-match" : "length-scores", without, bleu: false);
    }

    static ReportFigure LengthFigure(string id, List<(ExperimentResults Experiment, ResultsTable Table)> tables, bool bleu)
    {
        string metric = bleu ? "bleu" : "exact_match";
        // Experiments on the same test set have the same sentences per bucket: then each bucket's label says how many.
        var counts = tables.SelectMany(e => e.Table.Rows.Select(b => (Bucket: BucketLabel(e.Table, b), Sentences: e.Table.Integer(b, "sentences")))).Distinct().ToList();
        bool shared = counts.GroupBy(c => c.Bucket).All(g => g.Count() == 1) && tables.All(e => e.Table.Rows.Select(b => BucketLabel(e.Table, b)).Distinct().Count() == counts.Count);
        string Label(string bucket) => shared ? $"{bucket}<br>n = {counts.First(c => c.Bucket == bucket).Sentences}" : bucket;
        var buckets = Buckets(tables.Select(e => e.Table)).Select(Label).ToList();
        // Seed groups: the same settings and the same name once its seed part is taken out.
        var groups = SeedGroups.Of(tables.Select(e => e.Experiment).ToList())
            .SelectMany(g => g.Runs.GroupBy(r => SeedGroups.WithoutSeed(r.Summary.Name)).Select(runs => (Name: runs.Key, Runs: runs.ToList()))).ToList();
        var charts = new List<GenericChart>();
        bool banded = false;
        double highest = 0; // BLEU's axis ends a little above the highest value drawn: short-budget BLEU in the teens would be a flat line on 0–100
        foreach (var (name, runs) in groups)
        {
            // bucket label → that bucket's score in every run of the group
            var scores = new Dictionary<string, List<double>>(StringComparer.Ordinal);
            foreach (var run in runs)
            {
                var table = tables.First(e => ReferenceEquals(e.Experiment, run)).Table;
                foreach (var b in table.Rows.Where(b => table.Text(b, "search") == "beam" && !double.IsNaN(table.Number(b, metric))))
                {
                    string label = Label(BucketLabel(table, b));
                    if (!scores.TryGetValue(label, out var list)) scores[label] = list = [];
                    list.Add(table.Number(b, metric));
                }
            }
            var x = buckets.Where(scores.ContainsKey).ToList();
            if (x.Count == 0) continue;
            highest = Math.Max(highest, scores.Values.SelectMany(v => v).Max());
            if (runs.Count == 1)
            {
                var table = tables.First(e => ReferenceEquals(e.Experiment, runs[0])).Table;
                var sentences = table.Rows.Where(b => table.Text(b, "search") == "beam").ToDictionary(b => Label(BucketLabel(table, b)), b => table.Integer(b, "sentences"));
                charts.Add(Chart.Line<string, double, string>(x: x, y: x.Select(b => scores[b][0]).ToList(), Name: PlotlyText(runs[0].Summary.Name), ShowMarkers: true,
                    MultiText: x.Select(b => $"{sentences.GetValueOrDefault(b)} sentences").ToList()));
                continue;
            }
            double top = bleu ? 100 : 1;
            var intervals = x.Select(b => Interval.Of(scores[b])!).Select(i => i with { Low = Math.Max(0, i.Low), High = Math.Min(top, i.High) }).ToList();
            highest = Math.Max(highest, intervals.Max(i => i.High));
            charts.AddRange(BatchCharts.Band(x, intervals, $"{PlotlyText(name)} ({runs.Count} seeds)", groups.FindIndex(g => g.Name == name)));
            banded = true;
        }
        var chart = Chart.Combine(charts)
            .WithXAxisStyle<double, double, string>(TitleText: shared ? "source length (tokens, buckets of 5; n = test sentences)" : "source length (tokens, buckets of 5)", AxisType: StyleParam.AxisType.Category,
                CategoryOrder: StyleParam.CategoryOrder.Array, CategoryArray: buckets)
            .WithYAxisStyle<double, double, string>(TitleText: bleu ? "BLEU (0–100), beam search" : "exact match (share of sentences), beam search",
                MinMax: bleu ? Tuple.Create(0.0, Math.Min(102.0, Math.Max(10.0, 5 * Math.Ceiling(highest * 1.1 / 5)))) : Tuple.Create(0.0, 1.02))
            .WithSize(Width, Height);
        string lines = banded ? "one line per model: the mean over its seeds, the band its 95 % t-interval (one line per run where a model has one seed)" : "one line per experiment";
        return new ReportFigure(id, bleu ? "BLEU against source length" : "Exact match against source length",
            $"Beam search's test {(bleu ? "BLEU" : "exact match")} in buckets of five source tokens, {lines}{(shared ? "; n under each bucket is its number of test sentences" : " (hover for each bucket's number of test sentences)")}. "
            + "Bahdanau et al. (2015, Fig. 2) found the encoder–decoder without attention falling off as sources grow and attention holding up; compare the lines here.",
            chart);
    }

    /// <summary>
    /// The decoded test pairs as an HTML table (source, reference, greedy, beam; outputs equal to the reference in green),
    /// every text HTML-escaped; empty when there are none.
    /// </summary>
    internal static string TranslationTable(IReadOnlyList<TranslationSample> translations)
    {
        if (translations.Count == 0) return "";
        static string Output(string text, string reference) =>
            text == reference ? $"<td style=\"color:#1a7f37\">{HtmlReport.Escape(text)}</td>" : $"<td>{HtmlReport.Escape(text)}</td>";
        var html = new StringBuilder("<section id=\"translations\"><h2>Decoded test pairs</h2><p class=\"caption\">The first test pairs: source, reference, and what greedy decoding and beam search wrote (green: exactly the reference). Also in <code>translations.json</code>, with each output's log probability.</p>\n");
        html.Append("<table class=\"translations\"><thead><tr><th>source</th><th>reference</th><th>greedy</th><th>beam</th></tr></thead><tbody>\n");
        foreach (var t in translations)
            html.Append($"<tr><td>{HtmlReport.Escape(t.Source)}</td><td>{HtmlReport.Escape(t.Reference)}</td>{Output(t.Greedy, t.Reference)}{Output(t.Beam, t.Reference)}</tr>\n");
        return html.Append("</tbody></table></section>\n").ToString();
    }

    /// <summary>
    /// Category labels for <paramref name="tokens"/> in order: each token as plotly shows it (a space as ␣, an empty token
    /// as ∅, &amp; &lt; &gt; as entities so that a token such as <c>&lt;/s&gt;</c> is not read as markup), a repeated token
    /// made distinct by zero-width spaces after it (plotly would merge equal categories).
    /// </summary>
    internal static List<string> AxisLabels(IEnumerable<string> tokens)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var labels = new List<string>();
        foreach (string token in tokens)
        {
            string shown = PlotlyText(token switch { "" => "∅", _ => token.Replace(" ", "␣").Replace("\t", "⇥").Replace("\n", "↵") });
            int before = seen.GetValueOrDefault(shown);
            seen[shown] = before + 1;
            labels.Add(shown + string.Concat(Enumerable.Repeat(ZeroWidthSpace, before)));
        }
        return labels;
    }

    /// <summary>Text from data as plotly should show it: the characters its pseudo-HTML would read as markup written as entities, which it decodes for display.</summary>
    internal static string PlotlyText(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>Tokens as a reader would write them: characters joined as they are (reserved tokens such as &lt;unk&gt; among them), longer pieces with spaces between.</summary>
    static string Text(IEnumerable<string> tokens)
    {
        var list = tokens.ToList();
        return list.All(t => t.Length <= 1 || TokenVocabulary.Reserved.Contains(t)) ? string.Concat(list) : string.Join(" ", list);
    }

    static string Shorten(string text) => text.Length <= 40 ? $"“{text}”" : $"“{text[..39]}…”";

    /// <summary>"6–10": a bucket's source lengths.</summary>
    static string BucketLabel(ResultsTable table, CsvRecord bucket) => $"{table.Integer(bucket, "min_source_length")}–{table.Integer(bucket, "max_source_length")}";

    /// <summary>Every bucket of <paramref name="tables"/>, shortest sources first.</summary>
    static List<string> Buckets(IEnumerable<ResultsTable> tables) =>
        tables.SelectMany(t => t.Rows.Select(b => (Min: t.Integer(b, "min_source_length"), Label: BucketLabel(t, b)))).Distinct().OrderBy(b => b.Min).Select(b => b.Label).ToList();

    /// <summary>The heatmap's colours span the weights' whole range 0–1, so maps of different steps and models compare.</summary>
    static GenericChart WeightRange(GenericChart chart)
    {
        foreach (var trace in GenericChart.getTraces(chart))
        {
            trace.SetProperty("zmin", 0.0);
            trace.SetProperty("zmax", 1.0);
        }
        return chart;
    }

    /// <summary>A label at every category of <paramref name="axis"/> (plotly would drop some on a crowded axis; each token matters here).</summary>
    static GenericChart EveryTick(GenericChart chart, string axis) => WithAxis(chart, axis, ("dtick", 1), ("tickangle", 0));

    /// <summary>Sets <paramref name="properties"/> on the layout's <paramref name="axis"/>, keeping what was styled before.</summary>
    static GenericChart WithAxis(GenericChart chart, string axis, params (string Key, object Value)[] properties)
    {
        var layout = GenericChart.getLayout(chart);
        var existing = layout.TryGetTypedPropertyValue<LinearAxis>(axis);
        var target = existing is null ? new LinearAxis() : existing.Value;
        foreach (var (key, value) in properties) target.SetProperty(key, value);
        if (existing is null) layout.SetProperty(axis, target);
        return chart;
    }
}
