using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;
using System.Text.RegularExpressions;
using SeqLab.Experiments.Cli;
using SeqLab.Experiments.Config;
using SeqLab.Models;
using SeqLab.Models.Recurrent;
using SeqLab.Tasks;

namespace SeqLab.Tests;

/// <summary>
/// docs/extending.md's examples as a reader copies them: every block marked <c>&lt;!-- example: name --&gt;</c> is read
/// from the guide itself; the C# blocks are built together by <c>dotnet build</c> into one assembly (the repository's
/// compiler settings, warnings as errors, against the SeqLab libraries built beside this test), and the YAML blocks go
/// through <c>seqlab validate</c> and <c>seqlab run</c>. Registering changes what every run does, so these run with the
/// other registry tests, alone.
/// </summary>
[Collection(nameof(MonitorRegistryTests))]
public partial class ExtendingGuideTests
{
    /// <summary>One marked block of the guide: its name, its fence's language and its text.</summary>
    sealed record Example(string Name, string Language, string Code);

    /// <summary>The guide's examples and the assembly built from its C# blocks.</summary>
    sealed record Guide(IReadOnlyDictionary<string, Example> Examples, string Assembly)
    {
        public string Yaml(string name) =>
            Examples.TryGetValue(name, out var example) && example.Language == "yaml" ? example.Code : throw new KeyNotFoundException($"docs/extending.md has no yaml block marked '{name}'");
    }

    static readonly Lazy<Guide> Built = new(Build);

    [GeneratedRegex(@"<!-- example: (?<name>[\w-]+) -->\s*\n```(?<language>\w+)\n(?<code>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex MarkedBlock();

    static Guide Build()
    {
        string markdown = File.ReadAllText(Path.Combine(TestPaths.Root, "docs", "extending.md"));
        var examples = MarkedBlock().Matches(markdown).Select(m => new Example(m.Groups["name"].Value, m.Groups["language"].Value, m.Groups["code"].Value))
            .ToDictionary(e => e.Name);
        string folder = Path.Combine(NativeFiles.TemporaryFolder(), "guide");
        Directory.CreateDirectory(folder);
        foreach (var example in examples.Values.Where(e => e.Language == "csharp"))
            File.WriteAllText(Path.Combine(folder, example.Name + ".cs"), example.Code + "\n");
        // The libraries a plug-in (or a notebook) references: the ones this test runs against, not copied.
        string[] libraries = ["SeqLab.Runtime", "SeqLab.Config", "SeqLab.Data", "SeqLab.Models", "SeqLab.Training", "SeqLab.Reports", "SeqLab.Tasks",
            "TorchSharp", "Plotly.NET", "Plotly.NET.CSharp", "FSharp.Core"];
        File.WriteAllText(Path.Combine(folder, "GuideExamples.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <Import Project="{Path.Combine(TestPaths.Root, "Directory.Build.props")}" />
              <PropertyGroup>
                <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
              </PropertyGroup>
              <ItemGroup>
            {string.Concat(libraries.Select(name => $"    <Reference Include=\"{Path.Combine(AppContext.BaseDirectory, name + ".dll")}\" Private=\"false\" />\n"))}  </ItemGroup>
            </Project>
            """);
        var start = NativeFiles.Start("dotnet", new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" },
            "build", Path.Combine(folder, "GuideExamples.csproj"), "-o", Path.Combine(folder, "out"), "-nodeReuse:false", "-v", "q");
        // The build is a reader's own, not part of this test host's.
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k == "DOTNET_HOST_PATH").ToList())
            start.Environment.Remove(key);
        start.WorkingDirectory = folder;
        var (exitCode, output, error) = NativeFiles.Capture(start, TimeSpan.FromMinutes(5));
        Assert.True(exitCode == 0, $"the guide's C# blocks ({string.Join(", ", examples.Values.Where(e => e.Language == "csharp").Select(e => e.Name))}) do not build:\n{output}\n{error}");
        return new Guide(examples, Path.Combine(folder, "out", "GuideExamples.dll"));
    }

    /// <summary>The examples as written, but on one LibTorch thread: the test machine's cores are shared, and two threads of a tiny model only wait for each other.</summary>
    const string OneThread = "training.threads=1";

    static (int ExitCode, string Output) Seqlab(params string[] args)
    {
        var writer = new StringWriter();
        int exitCode = SeqLabCli.Invoke(args, writer);
        return (exitCode, writer.ToString());
    }

    static string Scratch(string name, string text)
    {
        string path = Path.Combine(NativeFiles.TemporaryFolder(), name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void The_guide_marks_the_examples_a_reader_copies()
    {
        var names = Built.Value.Examples.Values.Select(e => $"{e.Name} {e.Language}").Order(StringComparer.Ordinal);
        Assert.Equal(["chart csharp", "model csharp", "model-experiment yaml", "monitor csharp", "monitor-experiment yaml", "plugin csharp"], names);
    }

    /// <summary>The monitor, its chart and the plug-in that registers both, then the guide's experiments file that names the monitor.</summary>
    [Fact]
    public void The_monitor_example_validates_runs_writes_its_table_and_headlines_and_its_chart_is_drawn()
    {
        var guide = Built.Value;
        string yaml = guide.Yaml("monitor-experiment");
        string file = Scratch("monitor-experiment.yaml", yaml);
        // Without the plug-in the name is unknown: it is the registration that makes it valid.
        Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, file));

        var plugin = AssemblyLoadContext.Default.LoadFromAssemblyPath(guide.Assembly);
        var register = plugin.GetTypes().Select(t => t.GetMethod("Register", BindingFlags.Public | BindingFlags.Static, Type.EmptyTypes))
            .Single(m => m is not null && m.ReturnType == typeof(IDisposable))!;
        string runs = Path.Combine(NativeFiles.TemporaryFolder(), "runs");
        ExperimentConfig experiment;
        using (var registration = (IDisposable)register.Invoke(null, null)!)
        {
            var validated = Seqlab("validate", file);
            Assert.True(validated.ExitCode == SeqLabCli.Success, $"seqlab validate refused the guide's monitor-experiment block:\n{validated.Output}");
            experiment = ConfigLoader.Parse(yaml, file).Experiments.Single();
            var ran = Seqlab("run", file, "--output", runs, "--set", OneThread);
            Assert.True(ran.ExitCode == SeqLabCli.Success, ran.Output);
        }
        Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, file)); // disposed: unknown again

        string tablePath = Assert.Single(Directory.GetFiles(runs, "weight_norms.csv", SearchOption.AllDirectories));
        string folder = Path.GetDirectoryName(tablePath)!;
        var lines = File.ReadAllLines(tablePath);
        Assert.Equal("step,parameter,weight_norm", lines[0]);
        var rows = lines.Skip(1).Select(line => line.Split(',')).Select(c => (Step: int.Parse(c[0]), Parameter: c[1], Norm: double.Parse(c[2], System.Globalization.CultureInfo.InvariantCulture))).ToList();

        // One row per parameter tensor on each log step (step 1, every log_every and the last), named as the model names them.
        int steps = experiment.Training.Steps, every = experiment.Monitoring.LogEvery;
        var logSteps = Enumerable.Range(1, steps).Where(s => s == 1 || s % every == 0 || s == steps).ToList();
        Assert.Equal(logSteps, rows.Select(r => r.Step).Distinct());
        var model = ModelFile.LoadAny(Path.Combine(folder, "model.bin"));
        var parameters = model.NamedParameters().ToList();
        foreach (var step in rows.GroupBy(r => r.Step))
            Assert.Equal(parameters.Select(p => p.Name), step.Select(r => r.Parameter));
        // The last step's norms are those of the weights the run saved; every norm changed while the model learned.
        var last = rows.Where(r => r.Step == steps).ToDictionary(r => r.Parameter, r => r.Norm);
        foreach (var (name, parameter) in parameters)
            Assert.Equal(parameter.detach().norm().item<float>(), last[name], 6);
        var first = rows.Where(r => r.Step == 1).ToDictionary(r => r.Parameter, r => r.Norm);
        Assert.All(rows, r => Assert.True(double.IsFinite(r.Norm) && r.Norm > 0, $"{r.Parameter} at step {r.Step}: {r.Norm}"));
        Assert.All(parameters, p => Assert.NotEqual(first[p.Name], last[p.Name]));
        Assert.All(parameters, p => Assert.InRange(last[p.Name] / first[p.Name], 0.5, 2.0)); // 40 small Adam steps move, not blow up

        // Headlines: ‖w‖ of all weights on the first and last logged step, keys of summary.json, columns of summary.csv, in the report's words.
        static double Total(IEnumerable<double> norms) => Math.Sqrt(norms.Sum(n => n * n));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
        var diagnostics = summary.RootElement;
        Assert.Equal(Total(first.Values), diagnostics.GetProperty("weight_norm_first").GetDouble(), 12);
        Assert.Equal(Total(last.Values), diagnostics.GetProperty("weight_norm_last").GetDouble(), 12);
        string batchHeader = File.ReadLines(Path.Combine(Path.GetDirectoryName(folder)!, "summary.csv")).First();
        Assert.Contains(",weight_norm_first,weight_norm_last,", batchHeader);
        string report = File.ReadAllText(Path.Combine(folder, "report.html"));
        Assert.Contains("‖w‖ of all weights first → last", report);

        // The chart the plug-in registered is drawn for this folder, in its report, from the table: one line per tensor.
        var figure = Assert.Single(ChartRegistry.For(ExperimentResults.Load(folder)!), f => f.Id == "weight-norms");
        Assert.Contains(figure.Title, report);
        Assert.Equal(parameters.Count, Plotly.NET.GenericChart.getTraces(figure.Chart).Count());

        // Only the monitors named ran.
        Assert.True(File.Exists(Path.Combine(folder, "spectrum.csv")));
        Assert.False(File.Exists(Path.Combine(folder, "grad_time.csv")));
    }

    /// <summary>The kind of model from the guide's assembly, registered as the guide says, and the guide's experiments file through the CLI.</summary>
    [Fact]
    public void The_model_kind_example_validates_runs_and_is_refused_where_the_guide_says()
    {
        var guide = Built.Value;
        string yaml = guide.Yaml("model-experiment");
        Assert.Contains("unknown model architecture", Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, "model-experiment.yaml")).Message);

        var kindType = AssemblyLoadContext.Default.LoadFromAssemblyPath(guide.Assembly).GetTypes().Single(t => !t.IsAbstract && typeof(IModelKind).IsAssignableFrom(t));
        var registration = ModelKinds.Register((IModelKind)Activator.CreateInstance(kindType)!);
        try
        {
            RunModelExperiment(yaml);
        }
        finally
        {
            registration.Dispose();
        }
        // Removed again: the name is unknown once more.
        Assert.Contains("unknown model architecture", Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, "model-experiment.yaml")).Message);
    }

    static void RunModelExperiment(string yaml)
    {
        string file = Scratch("model-experiment.yaml", yaml);
        var validated = Seqlab("validate", file);
        Assert.True(validated.ExitCode == SeqLabCli.Success, $"seqlab validate refused the guide's model-experiment block:\n{validated.Output}");
        Assert.Contains("tiny_gru", Seqlab("schema").Output);

        // What the guide promises of validation: "did you mean", ranges, and other shapes refused in words.
        void Refused(string name, string text, string fragment)
        {
            var (exitCode, output) = Seqlab("validate", Scratch(name, text));
            Assert.True(exitCode == SeqLabCli.InvalidConfig && output.Contains(fragment, StringComparison.Ordinal), $"{name}: expected exit {SeqLabCli.InvalidConfig} and \"{fragment}\", got exit {exitCode}:\n{output}");
        }
        Refused("misspelt.yaml", Regex.Replace(yaml, @"\bhidden_size:", "hidden_sise:"), "did you mean 'hidden_size'?");
        Refused("empty.yaml", Regex.Replace(yaml, @"\bhidden_size: *\d+", "hidden_size: 0"), "hidden_size");
        Refused("dates.yaml", Regex.Replace(yaml, @"dataset: *\{[^}]*\}", "dataset: {type: dates}"),
            "model type 'tiny_gru' maps one sequence to one head; this data is a SequenceToSequence problem");

        string runs = Path.Combine(NativeFiles.TemporaryFolder(), "runs");
        var ran = Seqlab("run", file, "--output", runs, "--set", OneThread);
        Assert.True(ran.ExitCode == SeqLabCli.Success, ran.Output);
        string folder = Path.GetDirectoryName(Assert.Single(Directory.GetFiles(runs, "model.bin", SearchOption.AllDirectories)))!;
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal("completed", root.GetProperty("status").GetString());

        // A GRU of hidden_size units reading the adding problem's 2 features, and a one-output head: 3(2h + h² + 2h) + h + 1 weights.
        int hidden = int.Parse(Regex.Match(yaml, @"\bhidden_size: *(\d+)").Groups[1].Value);
        var options = Assert.IsType<SequenceModelOptions>(((IRebuildableModel)ModelFile.LoadAny(Path.Combine(folder, "model.bin"))).Options);
        var recurrent = Assert.IsType<RecurrentOptions>(options.Encoder);
        Assert.Equal((RecurrentKind.Gru, hidden), (recurrent.Kind, recurrent.HiddenSize));
        Assert.Equal(3 * (2 * hidden + hidden * hidden + 2 * hidden) + hidden + 1, root.GetProperty("parameters").GetInt64());
        double testLoss = root.GetProperty("test_loss").GetDouble(), baseline = root.GetProperty("baseline_loss").GetDouble();
        Assert.InRange(testLoss, 1e-3, 2 * baseline); // trained a little: finite, near the baseline of always saying 1
    }
}
