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
            .OfType<ReportFigure>().ToList();

    /// <summary>
    /// ‖∂L/∂x_t‖/‖∂L/∂x_T‖ against T − t, one line per experiment, on the last (or first) logged step: normalised by the last
    /// step's norm and aligned at the end, so models, tasks and lengths can be overlaid.
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
            charts.Add(ExperimentCharts.Line(profile.Select(g => table.Number(g, "steps_before_end")), profile.Select(g => table.Number(g, "grad_norm") / end),
                $"{experiment.Summary.Name} ({experiment.Summary.Verdict})"));
        }
        if (charts.Count == 0) return null;
        return last
            ? new ReportFigure("profiles-end", "Gradient over time, after training",
                "‖∂L/∂x_t‖/‖∂L/∂x_T‖ against the number of steps back from the end, on each experiment's last logged step. Lines that stay near 1 carry the gradient all the way back; lines that plunge vanish.",
                ExperimentCharts.Styled(Chart.Combine(charts), "steps before the end (T − t)", "‖∂L/∂x_t‖ / ‖∂L/∂x_T‖", logY: true))
            : new ReportFigure("profiles-start", "Gradient over time, at initialisation",
                "The same on the first logged step: at initialisation even gated models often pass very little gradient back — what matters is how the profile evolves.",
                ExperimentCharts.Styled(Chart.Combine(charts), "steps before the end (T − t)", "‖∂L/∂x_t‖ / ‖∂L/∂x_T‖", logY: true));
    }

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
            "Validation loss of every experiment over training.", ExperimentCharts.Styled(Chart.Combine(charts), "step", "loss", logY: true));
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
            ExperimentCharts.Styled(Chart.Combine(charts), "experiment", "loss", logY: true));
    }
}
