using SeqLab.Reports;
using SeqLab.Training;

namespace SeqLab.Notebooks;

/// <summary>Report figures, shown one after another; <c>figures["gradient-over-time"]</c> picks one by id.</summary>
public sealed class FigureList(IReadOnlyList<ReportFigure> figures) : IReadOnlyList<ReportFigure>
{
    /// <summary>The figure with id <paramref name="id"/>; an unknown id is an error listing the ids there are.</summary>
    public ReportFigure this[string id] => figures.FirstOrDefault(f => f.Id == id)
        ?? throw new KeyNotFoundException($"no figure '{id}'; there are: {string.Join(", ", figures.Select(f => f.Id))}");

    /// <summary>The figures whose ids are in <paramref name="ids"/>, in that order.</summary>
    public FigureList Only(params string[] ids) => new(ids.Select(id => this[id]).ToList());

    /// <inheritdoc />
    public ReportFigure this[int index] => figures[index];
    /// <inheritdoc />
    public int Count => figures.Count;
    /// <inheritdoc />
    public IEnumerator<ReportFigure> GetEnumerator() => figures.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>The HTML reports' charts, drawn from training runs held in memory.</summary>
public static class Figures
{
    /// <summary>
    /// Every chart of an experiment's <c>report.html</c> that applies to <paramref name="outcome"/> (loss, gradient norms,
    /// gradient over time, spectra, gates, attention, …), with the baseline where one is given.
    /// </summary>
    public static FigureList Of(TrainingOutcome outcome, string name, double? baseline = null, string baselineName = "baseline", double? clipThreshold = null) =>
        new(ChartRegistry.For(ExperimentResults.Of(outcome, name, baseline, baselineName, clipThreshold)));

    /// <summary>
    /// Every chart of the report for a run on a task's data (<see cref="SeqLab.Tasks.TaskData"/>): the monitors' tables, the
    /// baseline, and the tables the task writes for <paramref name="model"/> — for sequence to sequence the alignments and
    /// the scores against source length.
    /// </summary>
    public static FigureList Of(TrainingOutcome outcome, string name, SeqLab.Tasks.TaskData data, SeqLab.Models.ISequenceModel model)
    {
        var results = ExperimentResults.Of(outcome, name, double.IsFinite(data.BaselineLoss) ? data.BaselineLoss : null, data.BaselineName);
        var tables = new Dictionary<string, ResultsTable>(results.Tables);
        foreach (var file in data.Artefacts?.Invoke(model, outcome) ?? [])
            if (file.FileName.EndsWith(".csv", StringComparison.Ordinal)) tables[file.FileName] = ResultsTable.Parse(file.FileName, file.Content);
        return new(ChartRegistry.For(new ExperimentResults { Folder = results.Folder, Summary = results.Summary, ConfigYaml = results.ConfigYaml, Tables = tables }));
    }

    /// <summary>The side-by-side charts of a batch's <c>index.html</c> (gradient profiles, validation and test loss) for several runs.</summary>
    public static FigureList Compare(params (string Name, TrainingOutcome Outcome)[] runs) =>
        new(BatchCharts.All(runs.Select(r => ExperimentResults.Of(r.Outcome, r.Name)).ToList()));

    /// <summary>The side-by-side charts of a batch folder written by <c>seqlab run</c> (its <c>index.html</c>).</summary>
    public static FigureList OfBatch(string batchFolder) => new(BatchCharts.All(ExperimentResults.LoadBatch(batchFolder)));

    /// <summary>The report charts of a results folder written by <c>seqlab run</c> (one experiment).</summary>
    public static FigureList OfFolder(string experimentFolder) =>
        new(ChartRegistry.For(ExperimentResults.Load(experimentFolder) ?? throw new DirectoryNotFoundException($"{experimentFolder}: no finished experiment (summary.json) there")));
}
