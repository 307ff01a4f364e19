using System.Text.RegularExpressions;
using Plotly.NET;
using Plotly.NET.CSharp;
using Chart = Plotly.NET.CSharp.Chart;

namespace SeqLab.Reports;

/// <summary>The side-by-side charts of a batch's <c>index.html</c>.</summary>
public static class BatchCharts
{
    /// <summary>Every comparison chart that applies to <paramref name="experiments"/>.</summary>
    public static IReadOnlyList<ReportFigure> All(IReadOnlyList<ExperimentResults> experiments) =>
        new[] { Profiles(experiments, last: true), Profiles(experiments, last: false), ValidationLoss(experiments), TestLoss(experiments) }
            .Concat(SequenceToSequenceCharts.LengthComparison(experiments)).Concat(Sweeps(SeedGroups.Of(experiments))).OfType<ReportFigure>().ToList();

    /// <summary>
    /// For every numeric setting a grid swept (e.g. <c>dataset.length</c>): the mean test loss over seeds against it, one line
    /// per combination of the other swept settings (e.g. per model) with its 95 % interval as a band, and the success rate
    /// with its Wilson interval where the runs were judged.
    /// </summary>
    static IEnumerable<ReportFigure?> Sweeps(IReadOnlyList<SeedGroup> groups)
    {
        foreach (string axis in groups.SelectMany(g => g.Settings.Keys).Distinct().Order(StringComparer.Ordinal))
        {
            // A sweep over the axis: groups with a numeric value for it that agree on every other setting form one line.
            string Rest(SeedGroup g) => string.Join("\n", g.Settings.Where(p => p.Key != axis).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
            var lines = groups.Where(g => SeedGroups.Number(g.Settings.GetValueOrDefault(axis, "")) is not null).GroupBy(Rest)
                .Where(line => line.Select(g => g.Settings[axis]).Distinct().Count() > 1).Select(line => line.OrderBy(g => SeedGroups.Number(g.Settings[axis])).ToList()).ToList();
            if (lines.Count == 0) continue;
            var others = SeedGroups.Varying(lines.Select(line => line[0]).ToList()).Where(key => key != axis).ToList();
            // A line is named after its experiments without the axis part ("lstm-T50" → "lstm"), else after the settings that tell the lines apart.
            string Stem(SeedGroup g) => Regex.Replace(g.Name, $"[-_.]?[A-Za-z]*{Regex.Escape(g.Settings[axis])}(?=$|[-_.])", "");
            bool stems = lines.All(line => line.Select(Stem).Distinct().Count() == 1 && Stem(line[0]).Length > 0) && lines.Select(line => Stem(line[0])).Distinct().Count() == lines.Count;
            string Name(List<SeedGroup> line) => stems ? Stem(line[0])
                : others.Count == 0 ? "runs" : string.Join(", ", others.Select(key => $"{key}={line[0].Settings.GetValueOrDefault(key, "")}"));
            var loss = new List<GenericChart>();
            var success = new List<GenericChart>();
            // On the log axis a lower end at or below zero (few seeds, wide t-interval) is drawn at a floor a decade below the smallest mean.
            bool logY = lines.SelectMany(l => l).All(g => g.TestLoss is null || g.TestLoss.Mean > 0);
            double floor = lines.SelectMany(l => l).Where(g => g.TestLoss is not null).Select(g => g.TestLoss!.Mean).DefaultIfEmpty(1).Min() / 10;
            Interval Drawn(Interval i) => logY && i.Low <= 0 ? i with { Low = floor } : i;
            foreach (var line in lines)
            {
                var points = line.Where(g => g.TestLoss is not null).ToList();
                if (points.Count > 0)
                    loss.AddRange(Band(points.Select(g => SeedGroups.Number(g.Settings[axis])!.Value).ToList(), points.Select(g => Drawn(g.TestLoss!)).ToList(), Name(line), lines.IndexOf(line)));
                var judged = line.Where(g => g.SuccessRate is not null).ToList();
                if (judged.Count > 0)
                    success.AddRange(Band(judged.Select(g => SeedGroups.Number(g.Settings[axis])!.Value).ToList(),
                        judged.Select(g => g.SuccessRate!.Value).Select(r => new Interval(r.Rate, double.NaN, r.Low, r.High, 0)).ToList(), Name(line), lines.IndexOf(line)));
            }
            // One trivial baseline for every run (e.g. 1/6 on the adding problem at any length): drawn as a dashed line.
            var baselines = lines.SelectMany(l => l).SelectMany(g => g.Runs).Select(r => r.Summary.BaselineLoss).Distinct().ToList();
            if (loss.Count > 0 && baselines is [double baseline])
            {
                var x = lines.SelectMany(l => l).Select(g => SeedGroups.Number(g.Settings[axis])!.Value).ToList();
                loss.Add(ExperimentCharts.Reference(x.Min(), x.Max(), baseline, "baseline"));
            }
            string per = lines.Count < 2 ? "" : stems ? ", one line per experiment" : $", one line per {string.Join(" / ", others)}";
            if (loss.Count > 0)
                yield return new ReportFigure($"sweep-{axis.Replace('.', '-')}-test-loss", $"Test loss against {axis}",
                    $"Mean test loss over seeds at each value of {axis}{per}; the band is the 95 % t-interval of the mean (none for a single seed).",
                    ExperimentCharts.Styled(Chart.Combine(loss), axis, $"test loss: {LossName(lines.SelectMany(l => l).SelectMany(g => g.Runs).ToList())}", logY: logY));
            if (success.Count > 0)
                yield return new ReportFigure($"sweep-{axis.Replace('.', '-')}-success", $"Success rate against {axis}",
                    $"Share of seeds whose run met the success criterion ({string.Join("; ", lines.SelectMany(l => l).Select(g => g.SuccessCriterion).Where(c => c.Length > 0).Distinct())}) at each value of {axis}{per}; the band is the 95 % Wilson interval.",
                    ExperimentCharts.Styled(Chart.Combine(success), axis, "success rate"));
        }
    }

    static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    /// <summary>A line through the means, in the <paramref name="index"/>-th palette colour, with a shaded band of that colour from the interval's low to high ends (where they exist).</summary>
    internal static IEnumerable<GenericChart> Band<TX>(IReadOnlyList<TX> x, IReadOnlyList<Interval> values, string name, int index) where TX : IConvertible
    {
        string hex = Palette[index % Palette.Length];
        var color = Color.fromHex(hex);
        var shade = Color.fromString($"rgba({Convert.ToInt32(hex[1..3], 16)},{Convert.ToInt32(hex[3..5], 16)},{Convert.ToInt32(hex[5..7], 16)},0.18)");
        var bounded = Enumerable.Range(0, x.Count).Where(i => double.IsFinite(values[i].Low) && double.IsFinite(values[i].High)).ToList();
        if (bounded.Count > 1)
        {
            yield return Chart.Line<TX, double, string>(x: bounded.Select(i => x[i]).ToList(), y: bounded.Select(i => values[i].High).ToList(), Name: $"{name} (95 % upper)",
                ShowLegend: false, LineWidth: 0.0, LineColor: shade);
            yield return Chart.Line<TX, double, string>(x: bounded.Select(i => x[i]).ToList(), y: bounded.Select(i => values[i].Low).ToList(), Name: $"{name} (95 % interval)",
                ShowLegend: false, LineWidth: 0.0, LineColor: shade, Fill: StyleParam.Fill.ToNext_y, FillColor: shade);
        }
        yield return Chart.Line<TX, double, string>(x: x, y: values.Select(v => v.Mean).ToList(), Name: name, ShowMarkers: true, LineColor: color, MarkerColor: color);
    }

    /// <summary>
    /// ‖∂L/∂x_t‖/‖∂L/∂x_T‖ against t − T, one line per experiment, on the last (or first) logged step: normalised by the last
    /// step's norm and aligned at the end (0), so models, tasks and lengths can be overlaid — earliest steps on the left, as
    /// in every chart of time.
    /// </summary>
    static ReportFigure? Profiles(IReadOnlyList<ExperimentResults> experiments, bool last)
    {
        var charts = new List<GenericChart>();
        foreach (var experiment in experiments)
        {
            if (experiment.Table("grad_time.csv") is not { Count: > 0 } table) continue;
            var steps = table.Rows.Select(g => table.Integer(g, "step")).Distinct().ToList();
            int step = last ? steps.Max() : steps.Min();
            var profile = table.Rows.Where(g => table.Integer(g, "step") == step).OrderBy(g => table.Integer(g, "time_step")).ToList();
            double end = table.Number(profile[^1], "grad_norm");
            if (!(end > 0)) continue;
            charts.Add(ExperimentCharts.Line(profile.Select(g => -table.Number(g, "steps_before_end")), profile.Select(g => table.Number(g, "grad_norm") / end),
                $"{experiment.Summary.Name} ({experiment.Summary.Verdict})"));
        }
        if (charts.Count == 0) return null;
        return last
            ? new ReportFigure("profiles-end", "Gradient over time, after training",
                $"‖∂L/∂x_t‖/‖∂L/∂x_T‖ against the time step counted from the end, t − T (0 is the last step, the earliest steps are on the left, as in every chart of time), on each experiment's last logged step. {Reading}",
                ExperimentCharts.Styled(Chart.Combine(charts), TimeFromEnd, "‖∂L/∂x_t‖ / ‖∂L/∂x_T‖", logY: true))
            : new ReportFigure("profiles-start", "Gradient over time, at initialisation",
                "The same on the first logged step (against t − T: the earliest steps are on the left): at initialisation even gated models often pass very little gradient back — what matters is how the profile evolves.",
                ExperimentCharts.Styled(Chart.Combine(charts), TimeFromEnd, "‖∂L/∂x_t‖ / ‖∂L/∂x_T‖", logY: true));
    }

    const string TimeFromEnd = "time step relative to the end, t − T";
    const string Reading = "Lines that stay near 1 all the way to the left carry the gradient back to the first inputs; lines that plunge towards the left vanish.";

    /// <summary>The loss the experiments share, named with its unit (e.g. "MSE"), or "each task's criterion" where tasks differ.</summary>
    static string LossName(IReadOnlyList<ExperimentResults> experiments) =>
        experiments.Select(e => e.LossName).Distinct().ToList() is [string one] ? one : "each task's criterion";

    static ReportFigure? ValidationLoss(IReadOnlyList<ExperimentResults> experiments)
    {
        var charts = new List<GenericChart>();
        foreach (var experiment in experiments)
        {
            if (experiment.Table("evaluation.csv") is not { } table) continue;
            var rows = table.Rows.Where(e => table.Text(e, "split") == "validation" && table.Text(e, "metric") == "loss").ToList();
            if (rows.Count > 0)
                charts.Add(ExperimentCharts.Line(rows.Select(e => table.Number(e, "step")), rows.Select(e => table.Number(e, "value")), experiment.Summary.Name, markers: true));
        }
        return charts.Count == 0 ? null : new ReportFigure("validation-loss", "Validation loss",
            "Validation loss of every experiment over training.", ExperimentCharts.Styled(Chart.Combine(charts), "training step", $"validation loss: {LossName(experiments)}", logY: true));
    }

    static ReportFigure? TestLoss(IReadOnlyList<ExperimentResults> experiments)
    {
        var done = experiments.Where(e => e.Summary.TestLoss is not null).ToList();
        if (done.Count == 0) return null;
        var names = done.Select(e => e.Summary.Name).ToList();
        var charts = new List<GenericChart>
        {
            Chart.Column<double, string, string>(values: done.Select(e => e.Summary.TestLoss!.Value).ToList(), Keys: names, Name: "test loss"),
        };
        var withBaseline = done.Where(e => e.Summary.BaselineLoss is not null).ToList();
        if (withBaseline.Count > 0)
            charts.Add(Chart.Column<double, string, string>(values: withBaseline.Select(e => e.Summary.BaselineLoss!.Value).ToList(),
                Keys: withBaseline.Select(e => e.Summary.Name).ToList(), Name: "baseline"));
        return new ReportFigure("test-loss", "Test loss against the baseline", "Each experiment's test loss beside its task's trivial baseline (log scale).",
            ExperimentCharts.Styled(Chart.Combine(charts), "experiment", $"test loss: {LossName(done)}", logY: true));
    }
}
