using Plotly.NET;
using Plotly.NET.CSharp;
using Chart = Plotly.NET.CSharp.Chart;

namespace SeqLab.Reports;

/// <summary>The charts of one experiment's report, each built only where its monitor wrote data.</summary>
public static class ExperimentCharts
{
    internal const int Width = 960, Height = 420;
    const int MaxPoints = 2000, MaxHeatmapRows = 300; // a page stays a few MB however long the run

    /// <summary>Every chart that applies to <paramref name="results"/>, in reading order (see <see cref="ChartRegistry"/>).</summary>
    public static IReadOnlyList<ReportFigure> All(ExperimentResults results) => ChartRegistry.For(results);

    /// <summary>Every n-th row so that at most <paramref name="max"/> remain (always keeping the last).</summary>
    internal static List<T> Thin<T>(IReadOnlyList<T> rows, int max = MaxPoints)
    {
        if (rows.Count <= max) return rows.ToList();
        int stride = (int)Math.Ceiling(rows.Count / (double)max);
        var kept = rows.Where((_, i) => i % stride == 0).ToList();
        if (!ReferenceEquals(kept[^1], rows[^1])) kept.Add(rows[^1]);
        return kept;
    }

    /// <summary>Axis titles, an optional log y axis and the standard size; axis types are otherwise left to plotly (dates and categories stay what they are).</summary>
    internal static GenericChart Styled(GenericChart chart, string xTitle, string yTitle, bool logY = false)
    {
        var styled = chart.WithXAxisStyle<double, double, string>(TitleText: xTitle);
        styled = logY
            ? styled.WithYAxisStyle<double, double, string>(TitleText: yTitle, AxisType: StyleParam.AxisType.Log)
            : styled.WithYAxisStyle<double, double, string>(TitleText: yTitle);
        return styled.WithSize(Width, Height);
    }

    internal static GenericChart Line(IEnumerable<double> x, IEnumerable<double> y, string name, bool markers = false, StyleParam.DrawingStyle? dash = null) =>
        dash is null
            ? Chart.Line<double, double, string>(x: x, y: y, Name: name, ShowMarkers: markers)
            : Chart.Line<double, double, string>(x: x, y: y, Name: name, ShowMarkers: markers, LineDash: dash);

    /// <summary>Whether <paramref name="table"/> (a monitor's, with a <c>direction</c> column) has both directions: only then do legends name them.</summary>
    internal static bool Bidirectional(ResultsTable table) => table.Rows.Any(row => table.Text(row, "direction") != "forward");

    /// <summary>A horizontal reference line across [from, to].</summary>
    internal static GenericChart Reference(double from, double to, double value, string name) =>
        Line([from, to], [value, value], name, dash: StyleParam.DrawingStyle.Dash);

    internal static ReportFigure? Loss(ExperimentResults r)
    {
        if (r.Table("metrics.csv") is not { Count: > 0 } metrics) return null;
        var rows = Thin(metrics.Rows);
        var charts = new List<GenericChart> { Line(rows.Select(m => metrics.Number(m, "step")), rows.Select(m => metrics.Number(m, "train_loss")), "train (mini-batch)") };
        if (r.Table("evaluation.csv") is { } evaluation)
        {
            var validation = evaluation.Rows.Where(e => evaluation.Text(e, "split") == "validation" && evaluation.Text(e, "metric") == "loss").ToList();
            if (validation.Count > 0)
                charts.Add(Line(validation.Select(e => evaluation.Number(e, "step")), validation.Select(e => evaluation.Number(e, "value")), "validation", markers: true));
        }
        double last = metrics.Number(metrics.Rows[^1], "step");
        if (r.Summary.BaselineLoss is double baseline) charts.Add(Reference(1, last, baseline, "baseline"));
        if (r.Summary.TestLoss is double test) charts.Add(Chart.Scatter<double, double, string>(x: [last], y: [test], mode: StyleParam.Mode.Markers, Name: "test (end)"));
        bool positive = rows.All(m => metrics.Number(m, "train_loss") > 0);
        return new ReportFigure("loss", "Loss", $"Training loss ({r.LossName}) per step, validation loss at each evaluation and the test loss at the end, against the baseline ({r.Summary.BaselineName}).",
            Styled(Chart.Combine(charts), "training step", r.LossName, logY: positive));
    }

    internal static ReportFigure? GradientNorm(ExperimentResults r)
    {
        if (r.Table("metrics.csv") is not { Count: > 0 } metrics) return null;
        var rows = Thin(metrics.Rows);
        var steps = rows.Select(m => metrics.Number(m, "step")).ToList();
        var charts = new List<GenericChart> { Line(steps, rows.Select(m => metrics.Number(m, "grad_norm")), "before clipping") };
        if (metrics.Has("grad_norm_clipped") && metrics.Rows.Any(m => metrics.Text(m, "clipped") == "true"))
            charts.Add(Line(steps, rows.Select(m => metrics.Number(m, "grad_norm_clipped")), "after clipping"));
        if (r.ClipThreshold is double threshold) charts.Add(Reference(steps[0], steps[^1], threshold, "clip threshold"));
        return new ReportFigure("gradient-norm", "Global gradient norm",
            $"‖g‖₂ over all parameters before and after clipping; clipping rescaled {r.Summary.ClipFraction:P1} of the steps. Spikes are exploding gradients; a norm stuck near zero, a stalled run.",
            Styled(Chart.Combine(charts), "training step", "‖g‖₂ over all parameters", logY: true));
    }

    internal static ReportFigure? LayerFlow(ExperimentResults r)
    {
        if (r.Table("grad_params.csv") is not { Count: > 0 } table || !table.Has("grad_mean_abs")) return null;
        int last = table.Rows.Max(p => table.Integer(p, "step")), first = table.Rows.Min(p => table.Integer(p, "step"));
        var charts = new List<GenericChart>();
        var human = ParameterNames.For(table.Rows.Select(p => table.Text(p, "parameter")));
        foreach (var (step, label) in new[] { (first, "first logged step"), (last, "last logged step") }.Distinct())
        {
            var rows = table.Rows.Where(p => table.Integer(p, "step") == step).ToList();
            var names = rows.Select(p => human(table.Text(p, "parameter"))).ToList();
            charts.Add(Chart.Column<double, string, string>(values: rows.Select(p => table.Number(p, "grad_max_abs")), Keys: names, Name: $"max |g|, step {step} ({label})"));
            charts.Add(Chart.Column<double, string, string>(values: rows.Select(p => table.Number(p, "grad_mean_abs")), Keys: names, Name: $"mean |g|, step {step} ({label})"));
        }
        return new ReportFigure("layer-flow", "Gradient flow through the layers",
            "Mean and largest |g| of every parameter tensor, input side on the left and output on the right, at the first and the last logged step. Bars that shrink towards the input mean the gradient vanishes through depth.",
            Chart.Combine(charts).WithXAxisStyle<double, double, string>(TitleText: "parameter tensor (input side → output side)")
                .WithYAxisStyle<double, double, string>(TitleText: "|∂L/∂w| per element", AxisType: StyleParam.AxisType.Log).WithSize(Width, 520));
    }

    internal static ReportFigure? DepthFlow(ExperimentResults r)
    {
        if (r.Table("grad_layers.csv") is not { Count: > 0 } table) return null;
        var charts = table.Rows.GroupBy(l => (Layer: table.Integer(l, "layer"), Depth: table.Text(l, "depth"))).OrderBy(g => g.Key.Layer)
            .Select(g => Thin(g.ToList())).Select(g => Line(g.Select(l => table.Number(l, "step")), g.Select(l => table.Number(l, "grad_norm")), table.Text(g[0], "depth"), markers: true)).ToList();
        string ratio = r.Summary.Diagnostic("depth_ratio_last") is double d ? $" At the end, ‖g layer 1‖/‖g layer L‖ = {d:G3}." : "";
        return new ReportFigure("depth-flow", "Gradient norm by depth over training",
            $"√Σ‖g‖² of each layer's tensors (input, encoder layers, output) on every logged step.{ratio}",
            Styled(Chart.Combine(charts), "training step", "‖g‖₂ of the layer's tensors", logY: true));
    }

    internal static ReportFigure? UpdateRatios(ExperimentResults r)
    {
        if (r.Table("grad_params.csv") is not { Count: > 0 } table || !table.Has("update_ratio")) return null;
        var human = ParameterNames.For(table.Rows.Select(p => table.Text(p, "parameter")));
        var charts = table.Rows.GroupBy(p => table.Text(p, "parameter")).Select(g => (g.Key, Rows: Thin(g.ToList())))
            .Select(g => Line(g.Rows.Select(p => table.Number(p, "step")), g.Rows.Select(p => table.Number(p, "update_ratio")), human(g.Key))).ToList();
        double first = table.Rows.Min(p => table.Number(p, "step")), last = table.Rows.Max(p => table.Number(p, "step"));
        charts.Add(Reference(first, last, 1e-3, "10⁻³ (rule of thumb)"));
        return new ReportFigure("update-ratio", "Update-to-weight ratio",
            "‖Δw‖/‖w‖ of each step's update per parameter tensor. Around 10⁻³ is the usual healthy order; far below, that tensor barely learns; far above, training is unstable.",
            Styled(Chart.Combine(charts), "training step", "‖Δw‖/‖w‖ (update / weight)", logY: true));
    }

    /// <summary>The logged steps to draw as profiles: the first, the last and up to three in between.</summary>
    internal static List<int> ProfileSteps(IEnumerable<int> steps)
    {
        var all = steps.Distinct().Order().ToList();
        if (all.Count <= 5) return all;
        return new[] { 0, all.Count / 4, all.Count / 2, 3 * all.Count / 4, all.Count - 1 }.Select(i => all[i]).Distinct().ToList();
    }

    internal static ReportFigure? TimeProfile(ExperimentResults r)
    {
        if (r.Table("grad_time.csv") is not { Count: > 0 } table) return null;
        var byStep = table.Rows.GroupBy(g => table.Integer(g, "step")).ToDictionary(g => g.Key, g => g.OrderBy(x => table.Integer(x, "time_step")).ToList());
        var charts = ProfileSteps(byStep.Keys).Select(step =>
            Line(byStep[step].Select(g => table.Number(g, "time_step")), byStep[step].Select(g => table.Number(g, "grad_norm")), $"training step {step}")).ToList();
        string halfLife = r.Summary.Diagnostic("gradient_half_life_last") is double h ? $" Gradient half-life at the end: {(double.IsInfinity(h) ? "no decay" : $"{h:G3} steps")}." : "";
        return new ReportFigure("gradient-over-time", "Gradient over time: ‖∂L/∂x_t‖",
            $"How much of the loss gradient reaches the input at each time step t (mean over the batch), at several points of training. A line that falls steeply to the left is a vanishing gradient: early inputs cannot be learned from.{halfLife}",
            Styled(Chart.Combine(charts), "time step t", "‖∂L/∂x_t‖", logY: true));
    }

    internal static ReportFigure? TimeHeatmap(ExperimentResults r)
    {
        if (r.Table("grad_time.csv") is not { Count: > 0 } table) return null;
        var byStep = Thin(table.Rows.GroupBy(g => table.Integer(g, "step")).OrderBy(g => g.Key).ToList(), MaxHeatmapRows);
        var times = byStep[0].Select(g => table.Integer(g, "time_step")).Order().ToList();
        var z = byStep.Select(g => g.OrderBy(x => table.Integer(x, "time_step")).Select(x => table.Number(x, "grad_norm")).Select(v => v > 0 ? Math.Log10(v) : double.NaN).ToList()).ToList();
        var chart = Chart.Heatmap<double, int, int, string>(zData: z, X: times, Y: byStep.Select(g => g.Key).ToList(), Name: "log₁₀ ‖∂L/∂x_t‖", ColorScale: StyleParam.Colorscale.Viridis,
            ColorBar: ChartStyle.TitledColorBar("log₁₀ ‖∂L/∂x_t‖"));
        return new ReportFigure("gradient-heatmap", "Gradient over time and training",
            "log₁₀ ‖∂L/∂x_t‖ for every time step (x) on every logged training step (y): watch the dark region on the left shrink as a gated model learns to carry gradient back in time — or stay for a vanilla RNN.",
            Styled(chart, "time step t", "training step"));
    }

    internal static ReportFigure? HiddenProfile(ExperimentResults r)
    {
        if (r.Table("grad_hidden.csv") is not { Count: > 0 } table) return null;
        var steps = table.Rows.Select(h => table.Integer(h, "step")).Distinct().Order().ToList();
        var charts = new List<GenericChart>();
        bool bidirectional = Bidirectional(table);
        foreach (int step in new[] { steps[0], steps[^1] }.Distinct())
            foreach (var series in table.Rows.Where(h => table.Integer(h, "step") == step).GroupBy(h => (Layer: table.Integer(h, "layer"), Direction: table.Text(h, "direction"))))
                charts.Add(Line(series.Select(h => table.Number(h, "time_step")), series.Select(h => table.Number(h, "grad_norm")),
                    $"training step {step}, {ParameterNames.Layer(series.Key.Layer, series.Key.Direction, bidirectional)}", dash: step == steps[0] ? StyleParam.DrawingStyle.Dot : null));
        return new ReportFigure("hidden-gradient", "Gradient over time: ‖∂L/∂h_t‖ per layer",
            "‖∂L/∂h_t‖ including the recurrent path, through the unrolled twin on the monitoring batch (padded steps left out), at the first (dotted) and last monitored step.",
            Styled(Chart.Combine(charts), "time step t", "‖∂L/∂h_t‖", logY: true));
    }

    internal static ReportFigure? HiddenHeatmap(ExperimentResults r)
    {
        if (r.Table("grad_hidden.csv") is not { Count: > 0 } table) return null;
        // The first layer's forward direction: the path from the earliest inputs, recurrence included.
        var byStep = table.Rows.Where(h => table.Integer(h, "layer") == 1 && table.Text(h, "direction") == "forward")
            .GroupBy(h => table.Integer(h, "step")).OrderBy(g => g.Key).ToList();
        if (byStep.Count == 0) return null;
        byStep = Thin(byStep, MaxHeatmapRows);
        var times = byStep[0].Select(h => table.Integer(h, "time_step")).Order().ToList();
        var z = byStep.Select(g => g.OrderBy(h => table.Integer(h, "time_step")).Select(h => table.Number(h, "grad_norm")).Select(v => v > 0 ? Math.Log10(v) : double.NaN).ToList()).ToList();
        var chart = Chart.Heatmap<double, int, int, string>(zData: z, X: times, Y: byStep.Select(g => g.Key).ToList(), Name: "log₁₀ ‖∂L/∂h_t‖", ColorScale: StyleParam.Colorscale.Viridis,
            ColorBar: ChartStyle.TitledColorBar("log₁₀ ‖∂L/∂h_t‖"));
        string halfLife = r.Summary.Diagnostic("hidden_half_life_last") is double h ? $" Half-life at the last monitored step: {(double.IsInfinity(h) ? "no decay" : $"{h:G3} steps")}." : "";
        return new ReportFigure("hidden-heatmap", "‖∂L/∂h_t‖ over time and training",
            $"log₁₀ ‖∂L/∂h_t‖ of the first layer (forward direction) for every time step (x) on every monitored step (y).{halfLife}",
            Styled(chart, "time step t", "training step"));
    }

    internal static ReportFigure? Spectrum(ExperimentResults r)
    {
        if (r.Table("spectrum.csv") is not { Count: > 0 } table) return null;
        var human = ParameterNames.For(table.Rows.Select(s => table.Text(s, "parameter")));
        // A W_hh has 4 gate blocks (LSTM), 3 (GRU) or 1 (vanilla RNN): the blocks the monitor wrote for it tell which.
        var blocks = table.Rows.GroupBy(s => table.Text(s, "parameter")).ToDictionary(g => g.Key, g => g.Select(s => table.Integer(s, "gate")).Distinct().Count());
        var charts = table.Rows.GroupBy(s => (Parameter: table.Text(s, "parameter"), Gate: table.Integer(s, "gate"))).Select(g => (g.Key, Rows: Thin(g.ToList())))
            .Select(g => Line(g.Rows.Select(s => table.Number(s, "step")), g.Rows.Select(s => table.Number(s, "largest_singular_value")),
                ParameterNames.Block(g.Key.Parameter, g.Key.Gate, blocks[g.Key.Parameter], human))).ToList();
        double first = table.Rows.Min(s => table.Number(s, "step")), last = table.Rows.Max(s => table.Number(s, "step"));
        charts.Add(Reference(first, last, 1, "1 (= 1/γ for tanh)"));
        return new ReportFigure("spectrum", "Recurrent weights: largest singular value",
            "‖W_hh‖₂ of every recurrent gate block over training (an LSTM's W_hh stacks the blocks of its input, forget and output gates and its cell candidate; a GRU's those of its reset and update gates and its candidate). Below 1/γ (1 for tanh) gradients through time must vanish; above it they may explode (Pascanu et al. 2013).",
            Styled(Chart.Combine(charts), "training step", "largest singular value ‖W‖₂"));
    }

    internal static ReportFigure? GateSaturation(ExperimentResults r)
    {
        if (r.Table("gate_saturation.csv") is not { Count: > 0 } table) return null;
        var charts = new List<GenericChart>();
        bool bidirectional = Bidirectional(table);
        // The tanh candidate lies in (−1, 1): "below 0.1" would count every negative value, so only the sigmoid gates are drawn.
        foreach (var g in table.Rows.Where(s => table.Text(s, "gate") != "candidate")
            .GroupBy(s => (Layer: table.Integer(s, "layer"), Direction: table.Text(s, "direction"), Gate: table.Text(s, "gate"))))
        {
            string name = $"{ParameterNames.Layer(g.Key.Layer, g.Key.Direction, bidirectional)} · {ParameterNames.Gate(g.Key.Gate, lstm: true)}";
            charts.Add(Line(g.Select(s => table.Number(s, "step")), g.Select(s => table.Number(s, "above_0_9")), $"{name} > 0.9", markers: true));
            charts.Add(Line(g.Select(s => table.Number(s, "step")), g.Select(s => table.Number(s, "below_0_1")), $"{name} < 0.1", markers: true, dash: StyleParam.DrawingStyle.Dash));
        }
        return new ReportFigure("gate-saturation", "Gate saturation",
            "Share of gate activations above 0.9 (solid) and below 0.1 (dashed) on the monitoring batch (Karpathy et al. 2015). A forget gate saturated open carries memory (and gradient) far back; saturated gates pass almost no gradient to their own weights. "
            + "Only the sigmoid gates, in (0, 1), are drawn: the tanh candidate lies in (−1, 1), where these thresholds mean nothing.",
            Styled(Chart.Combine(charts), "training step", "share of activations"));
    }

    internal static ReportFigure? GateActivation(ExperimentResults r)
    {
        if (r.Table("gates.csv") is not { Count: > 0 } table) return null;
        int last = table.Rows.Max(g => table.Integer(g, "step"));
        bool bidirectional = Bidirectional(table), lstm = table.Rows.Any(g => table.Text(g, "gate") == "forget");
        var charts = table.Rows.Where(g => table.Integer(g, "step") == last)
            .GroupBy(g => (Layer: table.Integer(g, "layer"), Direction: table.Text(g, "direction"), Gate: table.Text(g, "gate")))
            .Select(g => Line(g.Select(x => table.Number(x, "time_step")), g.Select(x => table.Number(x, "mean")),
                $"{ParameterNames.Layer(g.Key.Layer, g.Key.Direction, bidirectional)} · {ParameterNames.Gate(g.Key.Gate, lstm)}",
                dash: g.Key.Gate == "candidate" ? StyleParam.DrawingStyle.Dash : null)).ToList();
        return new ReportFigure("gate-activation", $"Mean gate activation per time step (step {last})",
            $"Mean activation of each gate (a sigmoid, in (0, 1)) at each time step on the monitoring batch, at the last monitored step; dashed, the {(lstm ? "cell candidate g" : "candidate n")}, a tanh in (−1, 1) and not a gate.",
            Styled(Chart.Combine(charts), "time step t", "mean activation"));
    }

    internal static ReportFigure? AttentionEntropy(ExperimentResults r)
    {
        if (r.Table("attention_entropy.csv") is not { Count: > 0 } table) return null;
        var charts = table.Rows.GroupBy(e => (Layer: table.Integer(e, "layer"), Head: table.Integer(e, "head")))
            .Select(g => Line(g.Select(e => table.Number(e, "step")), g.Select(e => table.Number(e, "entropy")), $"layer {g.Key.Layer} head {g.Key.Head}", markers: true)).ToList();
        var uniform = table.Rows.GroupBy(e => table.Integer(e, "step")).Select(g => (Step: g.Key, Value: table.Number(g.First(), "uniform_entropy"))).ToList();
        charts.Add(Line(uniform.Select(u => (double)u.Step), uniform.Select(u => u.Value), "uniform attention", dash: StyleParam.DrawingStyle.Dash));
        return new ReportFigure("attention-entropy", "Attention entropy",
            "Mean entropy (nats) of each head's attention rows on the monitoring batch; the dashed line is uniform attention over the same keys. Heads that drop far below it have learned to focus.",
            Styled(Chart.Combine(charts), "step", "entropy (nats)"));
    }

    internal static IEnumerable<ReportFigure> AttentionMaps(ExperimentResults r)
    {
        if (r.Table("attention.csv") is not { Count: > 0 } table) yield break;
        int last = table.Rows.Max(w => table.Integer(w, "step"));
        foreach (var map in table.Rows.Where(w => table.Integer(w, "step") == last).GroupBy(w => (Layer: table.Integer(w, "layer"), Head: table.Integer(w, "head"))).Take(8))
        {
            int size = map.Max(w => table.Integer(w, "query"));
            var z = new double[size][];
            for (int q = 0; q < size; q++) z[q] = new double[size];
            foreach (var w in map) z[table.Integer(w, "query") - 1][table.Integer(w, "key") - 1] = table.Number(w, "weight");
            var positions = Enumerable.Range(1, size).ToList();
            var chart = Chart.Heatmap<double, int, int, string>(zData: z, X: positions, Y: positions, Name: "attention weight", ColorScale: StyleParam.Colorscale.YIGnBu, ReverseYAxis: true,
                ColorBar: ChartStyle.TitledColorBar("attention weight"));
            yield return new ReportFigure($"attention-l{map.Key.Layer}-h{map.Key.Head}", $"Attention map: layer {map.Key.Layer}, head {map.Key.Head} (step {last})",
                "Attention weights of the monitoring batch's first sequence: row = query position, column = key position.",
                chart.WithXAxisStyle<double, double, string>(TitleText: "key position").WithYAxisStyle<double, double, string>(TitleText: "query position").WithSize(560, 520));
        }
    }

    internal static ReportFigure? Confusion(ExperimentResults r)
    {
        if (r.Table("confusion.csv") is not { Count: > 0 } table) return null;
        int classes = table.Rows.Max(c => Math.Max(table.Integer(c, "actual"), table.Integer(c, "predicted"))) + 1;
        var z = new double[classes][];
        for (int a = 0; a < classes; a++) z[a] = new double[classes];
        foreach (var c in table.Rows) z[table.Integer(c, "actual")][table.Integer(c, "predicted")] = table.Number(c, "count");
        var labels = Enumerable.Range(0, classes).ToList();
        string counted = r.Summary.Task == "StepClassification" ? "test steps" : "test sequences";
        var chart = Chart.Heatmap<double, int, int, string>(zData: z, X: labels, Y: labels, Name: $"count ({counted})", ColorScale: StyleParam.Colorscale.YIGnBu, ReverseYAxis: true,
            ColorBar: ChartStyle.TitledColorBar($"count ({counted})"));
        foreach (var trace in GenericChart.getTraces(chart)) trace.SetProperty("texttemplate", "%{z:d}"); // each cell's count written in it
        return new ReportFigure("confusion", "Confusion matrix (test set)", $"Counts of actual (rows) against predicted (columns) classes on the test set, written in each cell ({counted}).",
            chart.WithXAxisStyle<double, double, string>(TitleText: "predicted class", AxisType: StyleParam.AxisType.Category)
                .WithYAxisStyle<double, double, string>(TitleText: "actual class", AxisType: StyleParam.AxisType.Category).WithSize(560, 520));
    }

    internal static ReportFigure? Forecast(ExperimentResults r)
    {
        if (r.Table("forecast.csv") is not { Count: > 0 } table) return null;
        var charts = new List<GenericChart>();
        foreach (var series in table.Rows.GroupBy(f => table.Text(f, "series")))
        {
            var rows = Thin(series.ToList());
            var dates = rows.Select(f => table.Text(f, "date")).ToList();
            foreach (var (column, label) in new[] { ("actual", "actual"), ("predicted", "model"), ("naive", "naive (no change)") })
                charts.Add(Chart.Line<string, double, string>(x: dates, y: rows.Select(f => table.Number(f, column)), Name: $"{series.Key}: {label}"));
        }
        string scores = r.Summary.TestMetrics.TryGetValue("level_rmse", out double rmse) && r.Summary.TestMetrics.TryGetValue("naive_level_rmse", out double naive)
            ? $" Test RMSE in price units: model {rmse:G4}, naive {naive:G4}." : "";
        return new ReportFigure("forecast", "Forecast against actual (test set)",
            $"The model's forecasts back-transformed to levels, beside the actual series and the naive no-change forecast — the honest baseline for prices.{scores}",
            Styled(Chart.Combine(charts), "date", "level (the target column's units)"));
    }
}
