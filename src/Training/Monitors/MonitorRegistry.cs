namespace SeqLab.Training.Monitors;

/// <summary>
/// The monitors every run gets, in the order they run and their headline numbers appear. A new monitor is one class
/// and one line here; it applies itself only where the model offers what it needs (see <c>SeqLab.Models.Introspection</c>).
/// </summary>
public static class MonitorRegistry
{
    static readonly List<Func<ITrainingMonitor>> Factories =
    [
        () => new TimeGradientMonitor(),
        () => new HiddenStateMonitor(),
        () => new ParameterGradientMonitor(),
        () => new SpectrumMonitor(),
        () => new AttentionMonitor(),
        () => new ActivationMonitor(),
    ];

    /// <summary>A fresh set of the registered monitors (monitors hold records: one set per run).</summary>
    public static IReadOnlyList<ITrainingMonitor> CreateDefault()
    {
        lock (Factories) return Factories.Select(create => create()).ToList();
    }

    /// <summary>Every registered monitor's headline labels (stem → words).</summary>
    public static IReadOnlyDictionary<string, string> HeadlineLabels() =>
        CreateDefault().SelectMany(monitor => monitor.HeadlineLabels).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.First().Value);

    /// <summary>Adds a monitor to every run that uses the defaults (e.g. from a notebook or a plug-in assembly).</summary>
    public static void Register(Func<ITrainingMonitor> create)
    {
        lock (Factories) Factories.Add(create);
    }
}
