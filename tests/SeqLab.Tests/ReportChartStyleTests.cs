using System.Text.Json;
using System.Text.RegularExpressions;
using Plotly.NET;
using Plotly.NET.CSharp;
using SeqLab.Reports;
using Chart = Plotly.NET.CSharp.Chart;

namespace SeqLab.Tests;

/// <summary>What every chart's layout must say to read well, checked on its figure JSON (what plotly.js is given).</summary>
static partial class ChartLayoutChecks
{
    /// <summary>A parameter path as the monitors write it: <c>weight_hh_l0</c>, <c>encoder.recurrent.…</c>, <c>head.weight</c>.</summary>
    [GeneratedRegex(@"(weight|bias)_(ih|hh)|_l\d|[A-Za-z]\.[A-Za-z]")]
    private static partial Regex ParameterPath();

    static JsonElement Json(GenericChart chart) => JsonDocument.Parse(GenericChart.toFigureJson(chart)).RootElement;

    static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    static string? TitleText(JsonElement holder) =>
        holder.TryGetProperty("title", out var title) ? title.ValueKind == JsonValueKind.String ? title.GetString() : Text(title, "text") : null;

    /// <summary>Every <c>exponentformat</c> anywhere in <paramref name="element"/>, with its JSON path.</summary>
    static IEnumerable<(string Path, string? Format)> Formats(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.Object)
            foreach (var property in element.EnumerateObject().Where(p => p.Name != "template")) // plotly's theme: defaults that explicit settings override
            {
                if (property.Name == "exponentformat") yield return (path, property.Value.GetString());
                foreach (var found in Formats(property.Value, $"{path}.{property.Name}")) yield return found;
            }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var item in element.EnumerateArray())
                foreach (var found in Formats(item, $"{path}[{i++}]")) yield return found;
        }
    }

    /// <summary>Every colour bar anywhere in <paramref name="element"/> (a trace's, its marker's, a colour axis's), with its JSON path.</summary>
    static IEnumerable<(string Path, JsonElement Bar)> ColourBars(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.Object)
            foreach (var property in element.EnumerateObject().Where(p => p.Name != "template"))
            {
                if (property.Name == "colorbar") yield return ($"{path}.colorbar", property.Value);
                foreach (var found in ColourBars(property.Value, $"{path}.{property.Name}")) yield return found;
            }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var item in element.EnumerateArray())
                foreach (var found in ColourBars(item, $"{path}[{i++}]")) yield return found;
        }
    }

    /// <summary>
    /// What is wrong with <paramref name="figure"/>'s chart as drawn (after the shared style, as <see cref="HtmlReport.ChartHtml"/>
    /// applies it): an axis or colour bar without powers of ten (an SI prefix anywhere), a log axis among them; a heatmap
    /// without a titled colour bar; an x or y axis without a title; a legend entry or category label that is a parameter path.
    /// </summary>
    public static List<string> Problems(ReportFigure figure)
    {
        var problems = new List<string>();
        var json = Json(ChartStyle.Apply(figure.Chart));
        var layout = json.GetProperty("layout");
        var axes = layout.EnumerateObject().Where(p => Regex.IsMatch(p.Name, @"^[xy]axis\d*$")).ToList();
        foreach (string required in new[] { "xaxis", "yaxis" })
            if (!axes.Any(a => a.Name == required)) problems.Add($"{figure.Id}: no {required} in the layout (plotly's default ticks use SI prefixes)");
        foreach (var axis in axes)
        {
            string? format = Text(axis.Value, "exponentformat"), type = Text(axis.Value, "type") ?? "linear";
            if (format != "power") problems.Add($"{figure.Id}: {axis.Name} ({type}) has exponentformat {format ?? "(plotly's default, SI prefixes)"}");
            if (string.IsNullOrWhiteSpace(TitleText(axis.Value)) && axis.Name is "xaxis" or "yaxis") problems.Add($"{figure.Id}: {axis.Name} has no title");
        }
        foreach (var (path, format) in Formats(json, "figure"))
            if (format is "SI" or "B") problems.Add($"{figure.Id}: {path} writes SI prefixes ({format})");
        foreach (var (path, bar) in ColourBars(json, "figure"))
        {
            if (Text(bar, "exponentformat") != "power") problems.Add($"{figure.Id}: {path} has exponentformat {Text(bar, "exponentformat") ?? "(default)"}");
            if (string.IsNullOrWhiteSpace(TitleText(bar))) problems.Add($"{figure.Id}: {path} has no title");
        }
        int index = 0;
        foreach (var trace in json.GetProperty("data").EnumerateArray())
        {
            string where = $"{figure.Id}: trace {index++}";
            if (Text(trace, "type") == "heatmap" && !trace.TryGetProperty("colorbar", out _) && !trace.TryGetProperty("coloraxis", out _))
                problems.Add($"{where} is a heatmap without a colour bar");
            if (Text(trace, "name") is { } name && ParameterPath().IsMatch(name)) problems.Add($"{where}: legend name \"{name}\" is a parameter path");
            if (Text(trace, "type") == "bar" && trace.TryGetProperty("x", out var keys) && keys.ValueKind == JsonValueKind.Array)
                foreach (var key in keys.EnumerateArray().Where(k => k.ValueKind == JsonValueKind.String && ParameterPath().IsMatch(k.GetString()!)))
                    problems.Add($"{where}: category \"{key.GetString()}\" is a parameter path");
        }
        return problems;
    }

    /// <summary>The figure JSON of <paramref name="figure"/>.</summary>
    public static JsonElement Figure(ReportFigure figure) => Json(figure.Chart);

    /// <summary>The title of <paramref name="axis"/> in <paramref name="figure"/>'s layout.</summary>
    public static string? AxisTitle(ReportFigure figure, string axis) => TitleText(Figure(figure).GetProperty("layout").GetProperty(axis));
}

/// <summary>
/// The shared chart style (<see cref="ChartStyle"/>) and the chart builders' layouts: powers of ten, never SI prefixes, on
/// every axis and colour bar of every chart the reports draw; titled colour bars; human names in legends; one direction of time.
/// </summary>
public class ReportChartStyleTests
{
    [Fact]
    public void No_chart_of_any_report_has_SI_prefixed_ticks_an_untitled_colour_bar_or_a_parameter_path_in_its_legend()
    {
        var (batch, expected) = ReportTests.Batch.Value;
        var experiments = ExperimentResults.LoadBatch(batch);
        var figures = experiments.SelectMany(ExperimentCharts.All).Concat(BatchCharts.All(experiments)).ToList();
        // Every chart id the report tests expect is among those checked here: every builder of the registry and the batch.
        Assert.Empty(expected.Values.SelectMany(ids => ids).Distinct().Except(figures.Select(f => f.Id)));
        Assert.Contains(figures, f => f.Id == "spectrum");
        Assert.Empty(figures.SelectMany(ChartLayoutChecks.Problems));

        // Log axes are among them (gradient norms, ratios, losses), and their numbers span many decades.
        var logAxes = figures.Where(f => ChartLayoutChecks.Figure(f).GetProperty("layout").GetProperty("yaxis").TryGetProperty("type", out var type) && type.GetString() == "log").ToList();
        Assert.Contains(logAxes, f => f.Id == "gradient-over-time");
        Assert.Contains(logAxes, f => f.Id == "profiles-end");
    }

    [Fact]
    public void Legends_name_the_layer_and_gate_and_loss_axes_name_the_loss()
    {
        var (batch, _) = ReportTests.Batch.Value;
        var lstm = ExperimentResults.Load(Path.Combine(batch, "lstm-2-layers"))!;
        var figures = ExperimentCharts.All(lstm).ToDictionary(f => f.Id);
        List<string> Names(string id) => ChartLayoutChecks.Figure(figures[id]).GetProperty("data").EnumerateArray()
            .Select(t => t.TryGetProperty("name", out var n) ? n.GetString()! : "").ToList();

        // Two LSTM layers: four blocks of W_hh each, in PyTorch's order i, f, g, o.
        Assert.Equal(["layer 1 · input gate (W_hi)", "layer 1 · forget gate (W_hf)", "layer 1 · cell candidate g (tanh) (W_hg)", "layer 1 · output gate (W_ho)",
            "layer 2 · input gate (W_hi)", "layer 2 · forget gate (W_hf)", "layer 2 · cell candidate g (tanh) (W_hg)", "layer 2 · output gate (W_ho)", "1 (= 1/γ for tanh)"],
            Names("spectrum"));
        Assert.Contains("layer 1 W_hh", Names("update-ratio"));
        Assert.Contains("output head W", Names("update-ratio"));
        Assert.Contains("layer 1 · forget gate", Names("gate-activation"));
        Assert.Contains("layer 2 · cell candidate g (tanh)", Names("gate-activation"));
        Assert.DoesNotContain(Names("gate-saturation"), name => name.Contains("candidate", StringComparison.Ordinal)); // a tanh in (−1, 1): not a gate
        Assert.Contains("layer 1 · forget gate > 0.9", Names("gate-saturation"));
        Assert.Equal("MSE", ChartLayoutChecks.AxisTitle(figures["loss"], "yaxis")); // the adding problem's loss

        var gru = ExperimentCharts.All(ExperimentResults.Load(Path.Combine(batch, "order-gru"))!).ToDictionary(f => f.Id);
        Assert.Equal("cross-entropy (nats)", ChartLayoutChecks.AxisTitle(gru["loss"], "yaxis")); // one class per sequence
        var spectrum = ChartLayoutChecks.Figure(gru["spectrum"]).GetProperty("data").EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Equal(["layer 1 · reset gate (W_hr)", "layer 1 · update gate (W_hz)", "layer 1 · candidate n (tanh) (W_hn)", "1 (= 1/γ for tanh)"], spectrum);
        var text = ExperimentCharts.All(ExperimentResults.Load(Path.Combine(batch, "text-lstm"))!).Single(f => f.Id == "loss");
        Assert.Equal("cross-entropy (nats/token)", ChartLayoutChecks.AxisTitle(text, "yaxis"));
    }

    [Fact]
    public void The_confusion_matrix_writes_each_count_in_its_cell()
    {
        var (batch, _) = ReportTests.Batch.Value;
        var results = ExperimentResults.Load(Path.Combine(batch, "order-gru"))!;
        var figure = ExperimentCharts.All(results).Single(f => f.Id == "confusion");
        var trace = ChartLayoutChecks.Figure(figure).GetProperty("data")[0];
        Assert.Equal("%{z:d}", trace.GetProperty("texttemplate").GetString());
        double total = trace.GetProperty("z").EnumerateArray().SelectMany(row => row.EnumerateArray()).Sum(v => v.GetDouble());
        Assert.Equal(32, total); // the 32 test sequences, each counted once
        Assert.Equal("count (test sequences)", trace.GetProperty("colorbar").GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public void Time_runs_left_to_right_in_every_chart_the_batch_overlay_included()
    {
        var (batch, _) = ReportTests.Batch.Value;
        var experiments = ExperimentResults.LoadBatch(batch);
        foreach (var figure in BatchCharts.All(experiments).Where(f => f.Id.StartsWith("profiles-", StringComparison.Ordinal)))
        {
            Assert.Equal("time step relative to the end, t − T", ChartLayoutChecks.AxisTitle(figure, "xaxis"));
            Assert.Contains("earliest steps are on the left", figure.Caption);
            foreach (var trace in ChartLayoutChecks.Figure(figure).GetProperty("data").EnumerateArray())
            {
                var x = trace.GetProperty("x").EnumerateArray().Select(v => v.GetDouble()).ToList();
                var y = trace.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()).ToList();
                Assert.Equal(0, x[^1]); // the last step, where the ratio is 1 by construction
                Assert.Equal(1, y[^1], 12);
                Assert.True(x.Zip(x.Skip(1)).All(p => p.First < p.Second), "the earliest step first, on the left");
                Assert.True(x[0] < 0);
            }
        }
        // The experiment charts of time say "time step t" and run from t = 1 upwards.
        var lstm = ExperimentCharts.All(ExperimentResults.Load(Path.Combine(batch, "lstm-2-layers"))!).Single(f => f.Id == "gradient-over-time");
        Assert.Equal("time step t", ChartLayoutChecks.AxisTitle(lstm, "xaxis"));
        Assert.Equal(1, ChartLayoutChecks.Figure(lstm).GetProperty("data")[0].GetProperty("x")[0].GetDouble());
    }

    [Fact]
    public void A_notebooks_own_chart_gets_the_shared_style_where_it_is_drawn_keeping_its_own_settings()
    {
        // As a notebook builds it: no axis styled, a heatmap without a colour bar, a second y axis, an explicit plain-number axis.
        var line = Chart.Line<double, double, string>(x: [1.0, 2.0, 3.0], y: [1e-9, 1e-6, 1e-3], Name: "ratio");
        var heatmap = Chart.Heatmap<double, int, int, string>(zData: new[] { new[] { 1.0, 2.0 }, new[] { 3.0, 4.0 } }, X: new[] { 1, 2 }, Y: new[] { 1, 2 }, Name: "weight");
        foreach (var trace in GenericChart.getTraces(heatmap)) trace.SetProperty("yaxis", "y2");
        var chart = Chart.Combine([line, heatmap]).WithXAxisStyle<double, double, string>(TitleText: "step", AxisType: StyleParam.AxisType.Log);
        var layout = GenericChart.getLayout(chart);
        var plain = new Plotly.NET.LayoutObjects.LinearAxis();
        plain.SetProperty("exponentformat", "none");
        var count = new Title();
        count.SetProperty("text", "count");
        plain.SetProperty("title", count);
        layout.SetProperty("yaxis3", plain);

        string html = HtmlReport.ChartHtml(chart, "chart-notebook");
        var json = JsonDocument.Parse(GenericChart.toFigureJson(chart)).RootElement; // ChartHtml styled the chart it drew
        var drawn = json.GetProperty("layout");
        Assert.Equal("power", drawn.GetProperty("xaxis").GetProperty("exponentformat").GetString());
        Assert.Equal("log", drawn.GetProperty("xaxis").GetProperty("type").GetString()); // kept
        Assert.Equal("step", drawn.GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString()); // kept
        Assert.Equal("power", drawn.GetProperty("yaxis").GetProperty("exponentformat").GetString());
        Assert.Equal("power", drawn.GetProperty("yaxis2").GetProperty("exponentformat").GetString()); // the axis a trace refers to
        Assert.Equal("none", drawn.GetProperty("yaxis3").GetProperty("exponentformat").GetString()); // an explicit choice without SI prefixes stays
        var bar = json.GetProperty("data")[1].GetProperty("colorbar");
        Assert.Equal("power", bar.GetProperty("exponentformat").GetString());
        Assert.Equal("weight", bar.GetProperty("title").GetProperty("text").GetString()); // the trace's name where it had no title
        Assert.Contains("\"exponentformat\":\"power\"", html);
        Assert.Equal(html, HtmlReport.ChartHtml(chart, "chart-notebook")); // applying it again changes nothing

        // An SI format set by hand is replaced: the one style for every chart.
        var si = Chart.Line<double, double, string>(x: [1.0, 2.0], y: [1e-6, 1e-3]).WithYAxisStyle<double, double, string>(TitleText: "ratio");
        GenericChart.getLayout(si).TryGetTypedPropertyValue<Plotly.NET.LayoutObjects.LinearAxis>("yaxis").Value.SetProperty("exponentformat", "SI");
        Assert.Contains("\"exponentformat\":\"power\"", HtmlReport.ChartHtml(si, "chart-si"));
        Assert.DoesNotContain("\"exponentformat\":\"SI\"", HtmlReport.ChartHtml(si, "chart-si"));
    }

    [Fact]
    public void Report_tables_show_rounded_numbers_never_a_float_with_all_its_digits()
    {
        var (batch, _) = ReportTests.Batch.Value;
        HtmlReport.WriteBatch(batch);
        foreach (string page in Directory.GetFiles(batch, "*.html", SearchOption.AllDirectories))
        {
            string text = Regex.Replace(File.ReadAllText(page), "<script.*?</script>|<pre>.*?</pre>", "", RegexOptions.Singleline); // chart data and config.yaml as written
            Assert.DoesNotMatch(@"\d\.\d{6,}", text);
            Assert.DoesNotMatch(@"\dE[+-]\d", text);
        }
        Assert.Contains("last finite gradient norm", File.ReadAllText(Path.Combine(batch, "index.html"))); // the diverged run's message, its number rounded
        Assert.Equal("3.3·10⁻⁵", HtmlReport.Number(3.3e-5));
        Assert.Equal("10⁻⁶", HtmlReport.Number(1e-6));
        Assert.Equal("2.63", HtmlReport.Number(2.6337377976521745));
        Assert.Equal("0.00371", HtmlReport.Number(0.0037123));
        Assert.Equal("1.235·10⁶", HtmlReport.Number(1_234_567, 4));
        Assert.Equal("gradient norm 2.634 (step 3).", HtmlReport.Rounded("gradient norm 2.6337377976521745 (step 3)."));
        Assert.Equal("ratio = 10⁻⁶ < 0.001 at step 100; 5000 > 1000", HtmlReport.Rounded("ratio = 1E-06 < 0.001 at step 100; 5E+03 > 1E+03"));
    }

    [Theory]
    [InlineData(new[] { "encoder.recurrent.weight_hh_l0" }, "encoder.recurrent.weight_hh_l0", "layer 1 W_hh")]
    [InlineData(new[] { "encoder.recurrent.bias_ih_l1_reverse" }, "encoder.recurrent.bias_ih_l1_reverse", "layer 2 backward b_ih")]
    [InlineData(new[] { "head.weight" }, "head.weight", "output head W")]
    [InlineData(new[] { "embedding.weight" }, "embedding.weight", "embedding")]
    [InlineData(new[] { "encoder.blocks.0.attention.query.weight" }, "encoder.blocks.0.attention.query.weight", "layer 1 attention W_Q")]
    [InlineData(new[] { "encoder.blocks.1.attention.output.bias" }, "encoder.blocks.1.attention.output.bias", "layer 2 attention b_O")]
    [InlineData(new[] { "encoder.blocks.1.feedForwardNorm.weight" }, "encoder.blocks.1.feedForwardNorm.weight", "layer 2 feed-forward LayerNorm gain γ")]
    [InlineData(new[] { "encoder.recurrent.weight_hh_l0", "decoder.recurrent.weight_hh_l0" }, "encoder.recurrent.weight_hh_l0", "encoder layer 1 W_hh")]
    [InlineData(new[] { "encoder.recurrent.weight_hh_l0", "decoder.recurrent.weight_hh_l0" }, "decoder.recurrent.weight_hh_l0", "decoder layer 1 W_hh")]
    [InlineData(new[] { "encoder.blocks.0.attention.key.weight", "blocks.0.crossAttention.key.weight" }, "blocks.0.crossAttention.key.weight", "decoder layer 1 cross-attention W_K")]
    public void Parameter_paths_read_as_layer_and_tensor(string[] model, string path, string expected) =>
        Assert.Equal(expected, ParameterNames.For(model)(path));

    [Fact]
    public void Gate_blocks_are_named_in_PyTorchs_order()
    {
        Assert.Equal("layer 1 · forget gate (W_hf)", ParameterNames.Block("encoder.recurrent.weight_hh_l0", 1, 4));
        Assert.Equal("layer 2 · cell candidate g (tanh) (W_hg)", ParameterNames.Block("encoder.recurrent.weight_hh_l1", 2, 4));
        Assert.Equal("layer 1 · update gate (W_hz)", ParameterNames.Block("encoder.recurrent.weight_hh_l0", 1, 3));
        Assert.Equal("layer 1 W_hh", ParameterNames.Block("encoder.recurrent.weight_hh_l0", 0, 1));
        Assert.Equal("cell candidate g (tanh)", ParameterNames.Gate("candidate", lstm: true));
        Assert.Equal("candidate n (tanh)", ParameterNames.Gate("candidate", lstm: false));
        Assert.Equal("forget gate", ParameterNames.Gate("forget", lstm: true));
    }
}
