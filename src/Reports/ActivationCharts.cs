using Plotly.NET;
using Chart = Plotly.NET.CSharp.Chart;
using static SeqLab.Reports.ExperimentCharts;

namespace SeqLab.Reports;

/// <summary>The charts of <c>activations.csv</c> (the activation monitor): saturation over training and ‖h_t‖ and saturation over time.</summary>
public static class ActivationCharts
{
    /// <summary>Both charts, or none when the table is absent.</summary>
    public static IEnumerable<ReportFigure?> All(ExperimentResults r) => [OverTraining(r), OverTime(r)];

    static string Name(ResultsTable table, SeqLab.Data.TimeSeries.CsvRecord row) =>
        ParameterNames.Layer(table.Integer(row, "layer"), table.Text(row, "direction"), Bidirectional(table));

    static ReportFigure? OverTraining(ExperimentResults r)
    {
        if (r.Table("activations.csv") is not { Count: > 0 } table) return null;
        string unit = table.Text(table.Rows[0], "nonlinearity") == "relu" ? "dead ReLU units (a ≤ 0)" : "saturated tanh units (|tanh a| > 0.99)";
        var charts = new List<GenericChart>();
        foreach (var layer in table.Rows.GroupBy(row => Name(table, row)))
        {
            var steps = layer.GroupBy(row => table.Integer(row, "step")).Select(s => (Step: (double)s.Key, Share: s.Average(row => table.Number(row, "saturated_share")))).ToList();
            charts.Add(Line(steps.Select(s => s.Step), steps.Select(s => s.Share), layer.Key, markers: true));
        }
        return new ReportFigure("activation-saturation", "Saturated units over training",
            $"Share of {unit} over the monitoring batch's valid steps, per layer, at each monitored step. Saturated units pass almost no gradient (tanh′ < 0.02, ReLU′ = 0): the forward half of the vanishing story.",
            Styled(Chart.Combine(charts), "training step", "share of units"));
    }

    static ReportFigure? OverTime(ExperimentResults r)
    {
        if (r.Table("activations.csv") is not { Count: > 0 } table) return null;
        int last = table.Rows.Max(row => table.Integer(row, "step"));
        var rows = table.Rows.Where(row => table.Integer(row, "step") == last).ToList();
        var charts = new List<GenericChart>();
        foreach (var g in rows.GroupBy(row => Name(table, row)))
        {
            charts.Add(Line(g.Select(row => table.Number(row, "time_step")), g.Select(row => table.Number(row, "hidden_norm")), $"‖h_t‖ {g.Key}"));
            charts.Add(Line(g.Select(row => table.Number(row, "time_step")), g.Select(row => table.Number(row, "pre_activation_std")), $"std of a_t {g.Key}", dash: StyleParam.DrawingStyle.Dash));
        }
        return new ReportFigure("activation-over-time", $"Hidden states and pre-activations per time step (step {last})",
            "‖h_t‖ (solid) and the standard deviation of the cell's pre-activations (dashed) at each time step of the monitoring batch, at the last monitored step. A spread far above 2.6 drives tanh units into saturation; a state norm that dies out over time is a forward signal that fades.",
            Styled(Chart.Combine(charts), "time step t", "‖h_t‖ (solid), std of a_t (dashed)"));
    }
}
