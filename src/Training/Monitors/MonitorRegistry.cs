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
        () => new CrossAttentionMonitor(),
        () => new ActivationMonitor(),
    ];

    /// <summary>A fresh set of the registered monitors (monitors hold records: one set per run).</summary>
    public static IReadOnlyList<ITrainingMonitor> CreateDefault()
    {
        lock (Factories) return Factories.Select(create => create()).ToList();
    }

    /// <summary>The registered monitors' names, in the order they run.</summary>
    public static IReadOnlyList<string> Names() => CreateDefault().Select(monitor => monitor.Name).ToList();

    /// <summary>
    /// Fresh monitors for a run: every registered one when <paramref name="names"/> is null, else those named (in the
    /// registry's order; an empty list runs none — the fastest loop, with the loss, gradient norm and clipping still logged).
    /// </summary>
    /// <exception cref="ArgumentException">A name that no registered monitor has.</exception>
    public static IReadOnlyList<ITrainingMonitor> Create(IReadOnlyCollection<string>? names)
    {
        var all = CreateDefault();
        if (names is null) return all;
        var unknown = names.Where(name => all.All(monitor => monitor.Name != name)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"unknown monitor '{unknown[0]}'; registered monitors: {string.Join(", ", all.Select(m => m.Name))}", nameof(names));
        return all.Where(monitor => names.Contains(monitor.Name)).ToList();
    }

    /// <summary>Every registered monitor's headline labels (stem → words).</summary>
    public static IReadOnlyDictionary<string, string> HeadlineLabels() =>
        CreateDefault().SelectMany(monitor => monitor.HeadlineLabels).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.First().Value);

    /// <summary>
    /// Adds a monitor to every run that uses the defaults (e.g. from a notebook or a plug-in assembly); from then on its
    /// name may also be listed in <c>monitoring.monitors</c>. Disposing the result removes it again.
    /// </summary>
    public static IDisposable Register(Func<ITrainingMonitor> create)
    {
        lock (Factories) Factories.Add(create);
        return new Registration(create);
    }

    sealed class Registration(Func<ITrainingMonitor> create) : IDisposable
    {
        public void Dispose()
        {
            lock (Factories) Factories.Remove(create);
        }
    }
}
