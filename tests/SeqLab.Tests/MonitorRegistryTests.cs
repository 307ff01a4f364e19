using SeqLab.Experiments.Config;
using SeqLab.Experiments.Running;
using SeqLab.Training;
using SeqLab.Training.Monitors;

namespace SeqLab.Tests;

/// <summary>Registering a monitor changes what every run does, so these tests run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(MonitorRegistryTests), DisableParallelization = true)]
public sealed class MonitorRegistryCollection;

/// <summary>A monitor registered at run time (a notebook's, a host program's) is a first-class monitor: named in YAML, run, written.</summary>
[Collection(nameof(MonitorRegistryTests))]
public class MonitorRegistryTests
{
    /// <summary>The example of docs/extending.md, reduced: the norm of all weights at every log step.</summary>
    sealed class WeightNormMonitor : TrainingMonitor<List<double>>
    {
        public override string Name => "weight_norm";

        public override void OnStepEnd(StepContext step)
        {
            if (!step.IsLogStep) return;
            double squares = step.Run.Parameters.Sum(p => Math.Pow(p.Parameter.detach().norm().item<float>(), 2));
            State.Add(Math.Sqrt(squares));
        }

        public override IEnumerable<ResultTable> Tables()
        {
            var table = new Csv("weight_norm");
            foreach (var norm in State) table.Row(norm);
            yield return new ResultTable("weight_norms.csv", table);
        }
    }

    const string Study = """
        experiments:
          - name: plugged
            dataset: {type: adding, length: 10, validation_size: 16, test_size: 16}
            model: {type: lstm, hidden_size: 6}
            training: {steps: 12, batch_size: 8, learning_rate: 0.01, seed: 3, eval_every: 6}
            monitoring: {log_every: 4, monitors: [weight_norm, spectrum]}
        """;

    [Fact]
    public void A_registered_monitor_can_be_named_in_yaml_runs_alone_with_those_named_and_goes_when_its_registration_is_disposed()
    {
        var before = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Study, "plugged.yaml"));
        Assert.Contains("monitoring.monitors: unknown name 'weight_norm'", before.Message);

        string folder = Path.Combine(NativeFiles.TemporaryFolder(), "plugged");
        using (MonitorRegistry.Register(() => new WeightNormMonitor()))
        {
            Assert.Equal("weight_norm", MonitorRegistry.Names()[^1]);
            var experiment = ConfigLoader.Parse(Study, "plugged.yaml").Experiments.Single();
            Assert.Equal(["weight_norm", "spectrum"], experiment.Monitoring.Monitors);
            var summary = new BatchRunner(new SilentProgress()).RunExperiment(experiment, folder);
            Assert.Equal("completed", summary.Status);
        }

        // Steps 1, 4, 8 and 12 are log steps: four norms, each finite and positive, and they change as the weights learn.
        var norms = File.ReadAllLines(Path.Combine(folder, "weight_norms.csv")).Skip(1).Select(double.Parse).ToList();
        Assert.Equal(4, norms.Count);
        Assert.All(norms, norm => Assert.True(double.IsFinite(norm) && norm > 0));
        Assert.Equal(4, norms.Distinct().Count());
        Assert.True(File.Exists(Path.Combine(folder, "spectrum.csv")));
        Assert.False(File.Exists(Path.Combine(folder, "grad_time.csv"))); // not named, not run
        Assert.False(File.Exists(Path.Combine(folder, "grad_params.csv")));

        Assert.DoesNotContain("weight_norm", MonitorRegistry.Names());
        Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Study, "plugged.yaml"));
    }
}
