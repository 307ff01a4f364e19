using System.Text.Json.Nodes;
using SeqLab.Data.Batches;
using SeqLab.Data.Synthetic;
using SeqLab.Models;
using SeqLab.Models.Recurrent;
using SeqLab.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SeqLab.Tests;

/// <summary>The trainer's callbacks and monitors as plug-ins: hook order, checkpointed state, capabilities, the activation monitor.</summary>
public class PluginTests
{
    /// <summary>Writes down every hook it sees and keeps a counter in its checkpoint state.</summary>
    sealed class RecordingMonitor : TrainingMonitor<List<string>>
    {
        public override string Name => "recording";
        public List<string> Calls => State;
        public override void OnTrainStart(TrainingContext context) => State.Add($"start {context.FirstStep}");
        public override void OnStepStart(StepContext step) => State.Add($"{step.Step} begin");
        public override void AfterBackward(StepContext step) => State.Add($"{step.Step} backward {(step.Run.Parameters.All(p => p.Parameter.grad is not null) ? "grads" : "none")}");
        public override void AfterClipping(StepContext step) => State.Add($"{step.Step} clipped {step.ClippedGradNorm <= step.GradNorm}");
        public override void BeforeOptimizerStep(StepContext step) => State.Add($"{step.Step} before-update");
        public override void AfterOptimizerStep(StepContext step) => State.Add($"{step.Step} after-update");
        public override void AfterEvaluation(StepContext step, Evaluation validation) => State.Add($"{step.Step} evaluated");
        public override void OnStepEnd(StepContext step) => State.Add($"{step.Step} end {step.Metrics!.Step}");
        public override void OnTrainEnd(TrainingContext context) => State.Add("finish");
        public override IEnumerable<ResultTable> Tables()
        {
            var table = new Csv("call");
            foreach (var call in State) table.Row(call);
            yield return new ResultTable("calls.csv", table);
        }
        public override IEnumerable<(string Key, double? Value)> Headlines() => [("calls", State.Count)];
    }

    static (AddingProblem Task, SequenceBatch Validation) Adding() { var task = new AddingProblem(8); return (task, task.FixedSet(32, 5)); }

    [Fact]
    public void Hooks_run_in_step_order_and_a_monitor_owns_its_table_and_headlines()
    {
        manual_seed(4);
        var model = TestModels.Regressor(RecurrentKind.Gru, 6);
        var (task, validation) = Adding();
        using var _ = validation;
        using var generator = new Generator(4);
        var monitor = new RecordingMonitor();
        var trainer = new Trainer(new TrainingOptions(3, 8, 1e-2, 1.0, 4, 1, 2), new MonitoringOptions(1));
        var outcome = trainer.Train(model, (g, _) => task.Sample(8, g), generator, validation, validation, new TrainingRun { Monitors = [monitor] });

        Assert.Equal(
        [
            "start 1",
            "1 begin", "1 backward grads", "1 clipped True", "1 before-update", "1 after-update", "1 end 1",
            "2 begin", "2 backward grads", "2 clipped True", "2 before-update", "2 after-update", "2 evaluated", "2 end 2",
            "3 begin", "3 backward grads", "3 clipped True", "3 before-update", "3 after-update", "3 evaluated", "3 end 3",
            "finish",
        ], monitor.Calls);
        Assert.Same(monitor, Assert.Single(outcome.Log.Monitors));
        Assert.Empty(outcome.Log.TimeGradients()); // only the monitors given ran
        var table = Assert.Single(monitor.Tables());
        Assert.Equal("calls.csv", table.FileName);
        Assert.Equal(23, table.Content.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(("calls", (double?)22), Assert.Single(monitor.Headlines()));
    }

    [Fact]
    public void A_monitor_state_is_checkpointed_and_restored_on_resume()
    {
        manual_seed(6);
        var model = TestModels.Regressor(RecurrentKind.Lstm, 6);
        var (task, validation) = Adding();
        using var _ = validation;
        string folder = Directory.CreateTempSubdirectory("seqlab-plugin-").FullName;
        using var cancel = new CancellationTokenSource();
        var first = new RecordingMonitor();
        using (var generator = new Generator(6))
        {
            var trainer = new Trainer(new TrainingOptions(6, 8, 1e-2, null, 6, 1, 10), new MonitoringOptions(1));
            var stopped = trainer.Train(model, (g, _) => task.Sample(8, g), generator, validation, validation,
                new TrainingRun { Observer = m => { if (m.Step == 2) cancel.Cancel(); }, Folder = folder, Cancellation = cancel.Token, Monitors = [first] });
            Assert.Equal(TrainingStatus.Interrupted, stopped.Status);
        }
        Assert.True(File.Exists(Path.Combine(folder, "checkpoint", "state.json")));
        var state = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "checkpoint", "state.json")))!;
        Assert.Equal(2, state["Step"]!.GetValue<int>());
        Assert.Equal(first.Calls.Count, state["Callbacks"]!["recording"]!.AsArray().Count);

        var resumed = new RecordingMonitor();
        using (var generator = new Generator(6))
        {
            var trainer = new Trainer(new TrainingOptions(6, 8, 1e-2, null, 6, 1, 10), new MonitoringOptions(1));
            var outcome = trainer.Train(TestModels.Regressor(RecurrentKind.Lstm, 6), (g, _) => task.Sample(8, g), generator, validation, validation,
                new TrainingRun { Folder = folder, Monitors = [resumed] });
            Assert.Equal(TrainingStatus.Completed, outcome.Status);
            Assert.Equal(6, outcome.Log.Steps.Count);
        }
        // The checkpoint (restored after every other callback started) replaced the records with the first run's; training went on at step 3.
        Assert.Equal(first.Calls, resumed.Calls.Take(first.Calls.Count));
        Assert.Equal("2 end 2", first.Calls[^1]);
        Assert.Equal("3 begin", resumed.Calls[first.Calls.Count]);
        Assert.Equal("finish", resumed.Calls[^1]);
        Assert.False(Directory.Exists(Path.Combine(folder, "checkpoint")));
    }

    /// <summary>A model that offers no capability: the bare <see cref="ISequenceModel"/> around a fused LSTM.</summary>
    sealed class Opaque(SequenceModel inner) : ISequenceModel
    {
        public Tensor Forward(ModelInput input) => inner.Forward(input);
        public IEnumerable<(string Name, Parameter Parameter)> NamedParameters() => inner.NamedParameters();
        public nn.Module Module => inner;
        public long ParameterCount => inner.ParameterCount;
        public string Description => "opaque";
    }

    [Fact]
    public void A_model_without_capabilities_trains_and_the_monitors_that_need_them_say_so_once()
    {
        manual_seed(7);
        var (task, validation) = Adding();
        using var _ = validation;
        using var monitoringBatch = validation.Take(4);
        using var generator = new Generator(7);
        var trainer = new Trainer(new TrainingOptions(5, 8, 1e-2, 1.0, 7, 1, 5), new MonitoringOptions(1) { ExpensiveEvery = 2 });
        var model = new Opaque(TestModels.Regressor(RecurrentKind.Lstm, 6));
        // Without a task head the trainer cannot guess the loss: the caller names the criterion.
        Assert.Contains("give the criterion", Assert.Throws<ArgumentException>(() => trainer.Train(model, (g, _) => task.Sample(8, g), generator, validation, validation)).Message);
        var outcome = trainer.Train(model, (g, _) => task.Sample(8, g), generator, validation, validation,
            new TrainingRun { MonitoringBatch = monitoringBatch, Criterion = TaskCriteria.For(TaskKind.SequenceRegression) });

        Assert.Equal(TrainingStatus.Completed, outcome.Status);
        Assert.NotEmpty(outcome.Log.TimeGradients());          // feature inputs: ∂L/∂x_t needs no capability
        Assert.Empty(outcome.Log.Spectra());                   // no IRecurrentIntrospection
        Assert.Empty(outcome.Log.HiddenGradients());
        Assert.Empty(outcome.Log.Activations());
        Assert.All(outcome.Log.ParameterGradients(), p => Assert.Equal(0, p.Layer)); // no IParameterDepth
        Assert.Equal(2, outcome.Log.Notes.Count);              // once each, however many steps
        Assert.Contains(outcome.Log.Notes, n => n.StartsWith("gradients through depth"));
        Assert.Contains(outcome.Log.Notes, n => n.StartsWith("activations"));
        Assert.Throws<ArgumentException>(() => trainer.Train(model, (g, _) => task.Sample(8, g), generator, validation, validation, new TrainingRun { StatefulPeriod = 4 }));
    }

    [Theory]
    [InlineData(RecurrentKind.RnnTanh)]
    [InlineData(RecurrentKind.RnnRelu)]
    public void The_activation_monitor_matches_a_hand_built_recurrence_and_skips_padding(RecurrentKind kind)
    {
        manual_seed(11);
        var model = new SequenceModel(new SequenceModelOptions(InputOptions.ForFeatures(2),
            new RecurrentOptions(kind, 5, SpectralRadius: 1.5), new HeadOptions(TaskKind.SequenceRegression, 1)));
        var inputs = randn(3, 7, 2) * 2;
        var lengths = tensor(new long[] { 7, 4, 6 });
        using var batch = SequenceBatch.PerSequence(inputs, randn(3, 1), lengths);
        var monitor = new ActivationMonitor();
        monitor.Record(9, model, batch);
        Assert.Equal(7, monitor.Records.Count);
        Assert.All(monitor.Records, a => Assert.Equal((9, 1, false, kind == RecurrentKind.RnnRelu ? "relu" : "tanh"), (a.Step, a.Layer, a.Reverse, a.Nonlinearity)));

        // By hand: a_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh, h_t = σ(a_t), frozen past each length; statistics over valid sequences.
        using var noGrad = no_grad();
        var p = model.NamedParameters().ToDictionary(q => q.Name, q => (Tensor)q.Parameter);
        var h = zeros(3, 5);
        bool saturatedAny = false;
        for (int t = 0; t < 7; t++)
        {
            var pre = nn.functional.linear(inputs[.., t], p["encoder.recurrent.weight_ih_l0"], p["encoder.recurrent.bias_ih_l0"])
                + nn.functional.linear(h, p["encoder.recurrent.weight_hh_l0"], p["encoder.recurrent.bias_hh_l0"]);
            var next = kind == RecurrentKind.RnnRelu ? nn.functional.relu(pre) : tanh(pre);
            var valid = lengths.gt(t);
            h = valid.unsqueeze(1).to(ScalarType.Float32) * next + (1 - valid.unsqueeze(1).to(ScalarType.Float32)) * h;
            var a = pre[valid].to(ScalarType.Float64);
            double mean = a.mean().item<double>();
            double spread = (a - mean).pow(2).mean().sqrt().item<double>();
            double share = (kind == RecurrentKind.RnnRelu ? a.le(0) : a.abs().gt(Math.Atanh(0.99))).to(ScalarType.Float64).mean().item<double>();
            var row = monitor.Records[t];
            Assert.Equal(t + 1, row.TimeStep);
            Assert.Equal(h[valid].norm(1, p: 2).mean().item<float>(), row.HiddenNorm, 5);
            Assert.Equal(mean, row.PreActivationMean, 5);
            Assert.Equal(spread, row.PreActivationSpread, 5);
            Assert.Equal(share, row.SaturatedShare, 9);
            saturatedAny |= share > 0;
        }
        Assert.True(saturatedAny, "inputs of scale 2 and a spectral radius of 1.5 saturate some units");
        var headline = Assert.Single(monitor.Headlines());
        Assert.Equal("saturated_share_last", headline.Key);
        Assert.Equal(monitor.Records.Average(a => a.SaturatedShare), headline.Value!.Value, 12);
    }

    [Fact]
    public void The_activation_monitor_covers_every_layer_and_direction_of_a_gated_stack()
    {
        manual_seed(12);
        var model = new SequenceModel(new SequenceModelOptions(InputOptions.ForFeatures(2),
            new RecurrentOptions(RecurrentKind.Lstm, 4, Layers: 2, Bidirectional: true), new HeadOptions(TaskKind.SequenceRegression, 1)));
        using var batch = SequenceBatch.PerSequence(randn(5, 6, 2), randn(5, 1), tensor(new long[] { 6, 6, 3, 5, 2 }));
        var monitor = new ActivationMonitor();
        monitor.Record(1, model, batch);
        Assert.Equal(2 * 2 * 6, monitor.Records.Count); // layers × directions × steps
        Assert.All(monitor.Records, a =>
        {
            Assert.InRange(a.SaturatedShare, 0, 1);
            Assert.True(a.HiddenNorm > 0 && a.PreActivationSpread > 0);
        });
        var table = Assert.Single(monitor.Tables());
        Assert.Equal("activations.csv", table.FileName);
        Assert.StartsWith("step,layer,direction,time_step,nonlinearity,hidden_norm,pre_activation_mean,pre_activation_std,saturated_share\n", table.Content.ToString());
    }
}
