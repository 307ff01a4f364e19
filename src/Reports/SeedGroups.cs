using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using SeqLab.Data.TimeSeries;
using SeqLab.Runtime.Files;
using SeqLab.Training.Logging;

namespace SeqLab.Reports;

/// <summary>A mean over runs with its sample standard deviation and the 95 % t-interval of the mean (NaN bounds for a single run).</summary>
/// <param name="Mean">Mean over the runs.</param>
/// <param name="StandardDeviation">Sample standard deviation (n − 1).</param>
/// <param name="Low">Lower end of the 95 % interval of the mean.</param>
/// <param name="High">Upper end.</param>
/// <param name="Count">Runs it is over.</param>
public sealed record Interval(double Mean, double StandardDeviation, double Low, double High, int Count)
{
    /// <summary>The interval of <paramref name="values"/>: mean ± t₀.₉₇₅(n − 1)·s/√n; null for none.</summary>
    public static Interval? Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return null;
        double mean = values.Average();
        if (values.Count == 1) return new Interval(mean, double.NaN, double.NaN, double.NaN, 1);
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        double half = StudentT975(values.Count - 1) * sd / Math.Sqrt(values.Count);
        return new Interval(mean, sd, mean - half, mean + half, values.Count);
    }

    static readonly double[] T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042];

    /// <summary>The 97.5 % quantile of Student's t with <paramref name="degrees"/> degrees of freedom (table to 30, Cornish–Fisher beyond).</summary>
    public static double StudentT975(int degrees)
    {
        if (degrees < 1) throw new ArgumentOutOfRangeException(nameof(degrees), degrees, "needs at least one degree of freedom");
        if (degrees <= T975.Length) return T975[degrees - 1];
        const double z = 1.959963984540054;
        double n = degrees;
        return z + (z * z * z + z) / (4 * n) + (5 * Math.Pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * n * n);
    }
}

/// <summary>
/// Experiments that differ only in their seed: their test loss and metrics as means with 95 % intervals, and the share of
/// runs that met the task's success criterion (with its Wilson interval).
/// </summary>
/// <param name="Name">The experiments' name without its seed part (<c>lstm-T100-seed2</c> → <c>lstm-T100</c>).</param>
/// <param name="Settings">Every config key but the seed, as <c>section.key</c> → value text.</param>
/// <param name="Runs">The experiments, in batch order.</param>
public sealed record SeedGroup(string Name, IReadOnlyDictionary<string, string> Settings, IReadOnlyList<ExperimentResults> Runs)
{
    /// <summary>The runs' seeds.</summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];

    IEnumerable<ExperimentSummary> Completed => Runs.Select(r => r.Summary).Where(s => s.TestLoss is double loss && double.IsFinite(loss));

    /// <summary>Test loss over the completed runs.</summary>
    public Interval? TestLoss => Interval.Of(Completed.Select(s => s.TestLoss!.Value).ToList());

    /// <summary>Each test metric every completed run has, over those runs.</summary>
    public IReadOnlyDictionary<string, Interval> Metrics
    {
        get
        {
            var completed = Completed.ToList();
            if (completed.Count == 0) return new Dictionary<string, Interval>();
            return completed[0].TestMetrics.Keys.Where(key => completed.All(s => s.TestMetrics.ContainsKey(key)))
                .ToDictionary(key => key, key => Interval.Of(completed.Select(s => s.TestMetrics[key]).ToList())!);
        }
    }

    /// <summary>The success criterion the runs were judged by (empty when none).</summary>
    public string SuccessCriterion => Runs.Select(r => r.Summary.SuccessCriterion).FirstOrDefault(c => c.Length > 0) ?? "";

    /// <summary>Runs that met the criterion.</summary>
    public int Successes => Runs.Count(r => r.Summary.Success == true);

    /// <summary>Runs judged (met it or not; a run whose quantity was not measured is not judged).</summary>
    public int Judged => Runs.Count(r => r.Summary.Success is not null);

    /// <summary>Successes ÷ judged runs with the 95 % Wilson interval; null when no run was judged.</summary>
    public (double Rate, double Low, double High)? SuccessRate
    {
        get
        {
            if (Judged == 0) return null;
            var (low, high) = ForecastMetrics.WilsonInterval(Successes, Judged);
            return (Successes / (double)Judged, low, high);
        }
    }
}

/// <summary>Groups a batch's experiments by everything but the seed, and writes <c>groups.csv</c> and <c>groups.json</c>.</summary>
public static partial class SeedGroups
{
    /// <summary>The groups of <paramref name="experiments"/>, in the order their first run appears.</summary>
    public static IReadOnlyList<SeedGroup> Of(IReadOnlyList<ExperimentResults> experiments)
    {
        var groups = new List<(string Key, string Name, Dictionary<string, string> Settings, List<ExperimentResults> Runs, List<string> Seeds)>();
        foreach (var experiment in experiments)
        {
            var settings = new Dictionary<string, string>(experiment.Settings, StringComparer.Ordinal);
            settings.Remove("training.seed", out string? seed);
            string key = string.Join("\n", settings.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
            int index = groups.FindIndex(g => g.Key == key);
            if (index < 0)
            {
                groups.Add((key, SeedPart().Replace(experiment.Summary.Name, ""), settings, [], []));
                index = groups.Count - 1;
            }
            groups[index].Runs.Add(experiment);
            groups[index].Seeds.Add(seed ?? "");
        }
        return groups.Select(g => new SeedGroup(g.Name, g.Settings, g.Runs) { Seeds = g.Seeds }).ToList();
    }

    /// <summary>The settings that differ between <paramref name="groups"/> (what a grid swept), in key order.</summary>
    public static IReadOnlyList<string> Varying(IReadOnlyList<SeedGroup> groups) =>
        groups.SelectMany(g => g.Settings.Keys).Distinct().Order(StringComparer.Ordinal)
            .Where(key => groups.Select(g => g.Settings.GetValueOrDefault(key, "")).Distinct().Count() > 1).ToList();

    /// <summary>Writes <c>groups.csv</c> and <c>groups.json</c> for the finished experiments under <paramref name="batchFolder"/>.</summary>
    public static IReadOnlyList<SeedGroup> Write(string batchFolder)
    {
        var groups = Of(ExperimentResults.LoadBatch(batchFolder));
        var varying = Varying(groups);
        var metrics = groups.SelectMany(g => g.Metrics.Keys).Distinct().ToList();
        var csv = new Csv(["group", .. varying, "runs", "completed", "seeds", "test_loss_mean", "test_loss_sd", "test_loss_low", "test_loss_high",
            .. metrics.SelectMany(m => new[] { $"{m}_mean", $"{m}_low", $"{m}_high" }), "success_criterion", "successes", "judged", "success_rate", "success_low", "success_high"]);
        foreach (var g in groups)
        {
            var loss = g.TestLoss;
            var rate = g.SuccessRate;
            csv.Row([g.Name, .. varying.Select(key => (object?)g.Settings.GetValueOrDefault(key)), g.Runs.Count, loss?.Count ?? 0, string.Join(" ", g.Seeds),
                Finite(loss?.Mean), Finite(loss?.StandardDeviation), Finite(loss?.Low), Finite(loss?.High),
                .. metrics.SelectMany(m => g.Metrics.TryGetValue(m, out var i) ? new object?[] { Finite(i.Mean), Finite(i.Low), Finite(i.High) } : [null, null, null]),
                g.SuccessCriterion, g.Successes, g.Judged, rate?.Rate, rate?.Low, rate?.High]);
        }
        AtomicFile.WriteAllText(Path.Combine(batchFolder, "groups.csv"), csv.ToString());
        var json = groups.Select(g => new
        {
            group = g.Name,
            settings = varying.ToDictionary(key => key, key => g.Settings.GetValueOrDefault(key)),
            runs = g.Runs.Select(r => r.Summary.Name).ToList(),
            seeds = g.Seeds,
            test_loss = g.TestLoss,
            metrics = g.Metrics,
            success_criterion = g.SuccessCriterion,
            successes = g.Successes,
            judged = g.Judged,
            success_rate = g.SuccessRate is { } r ? new { rate = r.Rate, low = r.Low, high = r.High } : null,
        });
        AtomicFile.WriteAllText(Path.Combine(batchFolder, "groups.json"), JsonSerializer.Serialize(json, ExperimentSummary.JsonOptions));
        return groups;
    }

    static double? Finite(double? value) => value is double v && double.IsFinite(v) ? v : null;

    /// <summary>A numeric reading of a setting (for sweep axes); null when it is not a number.</summary>
    public static double? Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : null;

    /// <summary><paramref name="name"/> with its seed part ("-seed2") taken out: the name of its seed group.</summary>
    public static string WithoutSeed(string name) => SeedPart().Replace(name, "");

    [GeneratedRegex(@"[-_.]?seed-?\d+")]
    private static partial Regex SeedPart();
}
