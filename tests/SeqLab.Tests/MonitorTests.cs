using SeqLab.Data.Synthetic;
using SeqLab.Training;
using SeqLab.Models;
using SeqLab.Models.Recurrent;
using SeqLab.Models.Transformer;
using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Tests;

/// <summary>The per-parameter, per-depth, clipping and attention monitors against independent computation.</summary>
public class MonitorTests
{
    static SequenceModel TwoLayerLstm(long seed)
    {
        manual_seed(seed);
        return new SequenceModel(new SequenceModelOptions(InputOptions.ForFeatures(AddingProblem.Features),
            new RecurrentOptions(RecurrentKind.Lstm, 12, Layers: 2), new HeadOptions(TaskKind.SequenceRegression, 1)));
    }

    static TrainingOutcome TrainOnAdding(ISequenceModel model, int steps, double? clip, long seed, int logEvery = 1)
    {
        var task = new AddingProblem(15);
        using var validation = task.FixedSet(64, seed + 100);
        using var test = task.FixedSet(64, seed + 200);
        using var generator = new Generator((ulong)seed);
        var trainer = new Trainer(new TrainingOptions(steps, 32, 1e-2, clip, seed, 2, 1000), new MonitoringOptions(logEvery));
        return trainer.Train(model, (g, _) => task.Sample(32, g), generator, validation, test);
    }

    [Fact]
    public void Per_parameter_statistics_and_update_ratios_match_a_direct_computation()
    {
        const long seed = 21;
        var model = TwoLayerLstm(seed);
        var initial = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.detach().clone());
        var outcome = TrainOnAdding(model, steps: 1, clip: 1e-2, seed);

        // Independently: the same initial weights, the same first batch, one backward pass.
        var twin = TwoLayerLstm(seed);
        using var generator = new Generator((ulong)seed);
        using var batch = new AddingProblem(15).Sample(32, generator);
        TaskCriteria.For(twin.Task).Loss(twin.Forward(batch.Inputs, batch.Lengths), batch).backward();
        var direct = twin.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.grad!);

        var logged = outcome.Log.ParameterGradients();
        Assert.Equal(direct.Keys, logged.Select(p => p.Parameter));
        foreach (var p in logged)
        {
            var g = direct[p.Parameter].to(ScalarType.Float64);
            var w0 = initial[p.Parameter].to(ScalarType.Float64);
            var w1 = model.NamedParameters().Single(q => q.Name == p.Parameter).Parameter.detach().to(ScalarType.Float64);
            Assert.Equal(g.norm().item<double>(), p.Norm, 1e-5 + 1e-4 * p.Norm);
            Assert.Equal(g.abs().mean().item<double>(), p.MeanAbs, 1e-6 + 1e-4 * p.MeanAbs);
            Assert.Equal(g.abs().max().item<double>(), p.MaxAbs, 1e-6 + 1e-4 * p.MaxAbs);
            Assert.Equal(w0.norm().item<double>(), p.WeightNorm, 1e-5);
            Assert.Equal((w1 - w0).norm().item<double>() / w0.norm().item<double>(), p.UpdateRatio, 1e-6 + 1e-4 * p.UpdateRatio);
            Assert.True(p.UpdateRatio > 0);
            int expectedLayer = p.Parameter.Contains("_l0") ? 1 : p.Parameter.Contains("_l1") ? 2 : 3;
            Assert.Equal(expectedLayer, p.Layer);
        }

        // Per-depth norms are √Σ‖g‖² of each layer's tensors, and the depth ratio is layer 1 over layer 2.
        var layers = outcome.Log.LayerGradients().ToList();
        Assert.Equal([1, 2, 3], layers.Select(l => l.Layer));
        double Layer(string marker) => Math.Sqrt(direct.Where(d => d.Key.Contains(marker)).Sum(d => Math.Pow(d.Value.norm().item<float>(), 2)));
        Assert.Equal(Layer("_l0"), layers[0].Norm, 1e-4 * layers[0].Norm);
        Assert.Equal(Layer("_l1"), layers[1].Norm, 1e-4 * layers[1].Norm);
        var (step, ratio) = Assert.Single(outcome.Log.FirstToLastLayerRatios());
        Assert.Equal(1, step);
        Assert.Equal(Layer("_l0") / Layer("_l1"), ratio, 1e-4 * ratio);
    }

    [Fact]
    public void Token_models_get_their_gradient_over_time_from_the_embedded_inputs()
    {
        const long seed = 6;
        var task = new CopyMemory(5);
        SequenceModel Build()
        {
            manual_seed(seed);
            return new SequenceModel(new SequenceModelOptions(InputOptions.ForTokens(task.VocabularySize, 6),
                new RecurrentOptions(RecurrentKind.Lstm, 8), new HeadOptions(TaskKind.StepClassification, task.Classes)));
        }
        var model = Build();
        using var validation = task.Sample(16, new Generator(99));
        using var generator = new Generator((ulong)seed);
        var trainer = new Trainer(new TrainingOptions(1, 16, 1e-2, null, seed, 2, 1000), new MonitoringOptions(1));
        var outcome = trainer.Train(model, (g, _) => task.Sample(16, g), generator, validation, validation);

        // Independently: ∂L/∂(embedded x_t) by autograd on the same weights and batch.
        var twin = Build();
        using var batch = task.Sample(16, new Generator((ulong)seed));
        var embedded = twin.Embed(batch.Inputs);
        var loss = TaskCriteria.For(twin.Task).Loss(twin.Head(twin.Encoder.Encode(embedded, batch.Lengths)), batch);
        var expected = autograd.grad([loss], [embedded])[0].norm(2, p: 2).mean([0]).to(ScalarType.Float64).data<double>().ToArray();

        var profile = outcome.Log.TimeGradients().OrderBy(g => g.TimeStep).ToList();
        Assert.Equal(task.Length, profile.Count);
        for (int t = 0; t < expected.Length; t++) Assert.Equal(expected[t], profile[t].Norm, 1e-6 + 1e-4 * expected[t]);
        Assert.True(profile[0].Norm > 0, "the first symbols to copy receive gradient");
        Assert.Single(outcome.Log.FirstToLastRatios());
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("transformer")]
    public void Every_monitor_leaves_the_number_of_live_tensors_as_it_found_it(string kind)
    {
        manual_seed(12);
        var model = new SequenceModel(new SequenceModelOptions(InputOptions.ForFeatures(AddingProblem.Features),
            kind == "lstm" ? new RecurrentOptions(RecurrentKind.Lstm, 8, Layers: 2) : new TransformerOptions(8, 2, Layers: 2),
            new HeadOptions(TaskKind.SequenceRegression, 1)));
        var task = new AddingProblem(10);
        using var validation = task.FixedSet(32, 1);
        using var monitoringBatch = validation.Take(8);
        using var generator = new Generator(12);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var liveAfterStep = new List<long>();
        // Every monitor on: parameter statistics and spectra every 5 steps, twins/gates/attention every 10, clipping on.
        var trainer = new Trainer(new TrainingOptions(60, 16, 1e-2, 0.5, 12, 2, 20), new MonitoringOptions(5) { ExpensiveEvery = 10 });
        var outcome = trainer.Train(model, (g, _) => task.Sample(16, g), generator, validation, validation,
            new TrainingRun { Observer = _ => liveAfterStep.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount), MonitoringBatch = monitoringBatch });
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        Assert.Equal(TrainingStatus.Completed, outcome.Status);
        Assert.NotEmpty(kind == "lstm" ? outcome.Log.GateSaturations().Cast<object>() : outcome.Log.AttentionEntropies());
        Assert.Equal(before, after);
        // Steps of each kind hold the same number of tensors whenever they come: nothing accumulates across steps.
        // (The observer runs inside the step's scope, so a logged step still holds its own temporaries there.)
        string Kind(int step) => step % 20 == 0 ? "evaluated" : step % 10 == 0 ? "expensive" : step % 5 == 0 ? "logged" : "plain";
        foreach (var group in Enumerable.Range(2, 58).GroupBy(Kind))
            Assert.True(group.Select(step => liveAfterStep[step - 1]).Distinct().Count() == 1,
                $"{group.Key} steps: {string.Join(", ", group.Select(step => $"{step}:{liveAfterStep[step - 1]}"))}");
    }

    [Fact]
    public void Clipped_norms_and_the_clip_fraction_are_what_the_optimiser_received()
    {
        var model = TwoLayerLstm(5);
        var unclipped = TrainOnAdding(TwoLayerLstm(5), steps: 30, clip: null, seed: 5);
        double median = unclipped.Log.Steps.Select(s => s.GradNorm).Order().ElementAt(15);
        var outcome = TrainOnAdding(model, steps: 30, clip: median, seed: 5);
        int expectedClipped = 0;
        foreach (var s in outcome.Log.Steps)
        {
            Assert.Equal(s.GradNorm > median, s.Clipped);
            if (s.Clipped) expectedClipped++;
            // clip_grad_norm_ scales by max/(norm + 1e-6), so a clipped norm lands a hair under the threshold.
            Assert.Equal(Math.Min(s.GradNorm, median), s.ClippedGradNorm, 1e-5 * median);
        }
        Assert.InRange(expectedClipped, 1, 29);
        // After the last step the gradients left on the parameters are the clipped ones.
        double left = Math.Sqrt(model.NamedParameters().Sum(p => Math.Pow(p.Parameter.grad!.norm().item<float>(), 2)));
        Assert.Equal(outcome.Log.Steps[^1].ClippedGradNorm, left, 1e-5);
        foreach (var s in unclipped.Log.Steps) Assert.Equal(s.GradNorm, s.ClippedGradNorm);
    }

    [Fact]
    public void Layer_depth_follows_the_parameter_names_of_every_encoder()
    {
        var fused = new SequenceModel(new SequenceModelOptions(InputOptions.ForTokens(10, 4),
            new RecurrentOptions(RecurrentKind.Gru, 5, Layers: 3, Bidirectional: true), new HeadOptions(TaskKind.SequenceClassification, 2)));
        var depths = fused.NamedParameters().ToDictionary(p => p.Name, p => fused.DepthOf(p.Name));
        Assert.Equal(0, depths["embedding.weight"]);
        Assert.Equal(1, depths["encoder.recurrent.weight_ih_l0"]);
        Assert.Equal(1, depths["encoder.recurrent.bias_hh_l0_reverse"]);
        Assert.Equal(3, depths["encoder.recurrent.weight_hh_l2"]);
        Assert.Equal(4, depths["head.weight"]);
        var unrolled = fused.ToUnrolled();
        Assert.Equal(depths, unrolled.NamedParameters().ToDictionary(p => p.Name, p => unrolled.DepthOf(p.Name)));

        var transformer = new SequenceModel(new SequenceModelOptions(InputOptions.ForTokens(20, 8),
            new TransformerOptions(8, 2, Layers: 2, Causal: true, Positional: PositionalEncoding.Learned, MaxLength: 16), new HeadOptions(TaskKind.LanguageModel, TieWeights: true)));
        var names = transformer.NamedParameters().Select(p => p.Name).ToList();
        var byDepth = names.ToDictionary(n => n, transformer.DepthOf);
        Assert.All(names.Where(n => n.Contains("blocks.0.")), n => Assert.Equal(1, byDepth[n]));
        Assert.All(names.Where(n => n.Contains("blocks.1.")), n => Assert.Equal(2, byDepth[n]));
        Assert.Equal(0, byDepth["encoder.positions.weight"]);
        Assert.Equal(0, byDepth["embedding.weight"]);
        Assert.All(names.Where(n => !n.Contains("blocks.") && !n.Contains("positions") && !n.StartsWith("embedding")), n => Assert.Equal(3, byDepth[n]));
        Assert.Equal("layer 2", LayerDepth.Label(2, 2));
        Assert.Equal("output", LayerDepth.Label(3, 2));
    }

    [Fact]
    public void Attention_entropy_and_maps_match_a_direct_computation_and_skip_padding()
    {
        manual_seed(8);
        var model = new SequenceModel(new SequenceModelOptions(InputOptions.ForFeatures(AddingProblem.Features),
            new TransformerOptions(8, 2, Layers: 2), new HeadOptions(TaskKind.SequenceRegression, 1)));
        using var generator = new Generator(8);
        using var batch = AddingProblem.SampleVariable(6, 4, 9, generator);
        var monitor = new AttentionMonitor();
        var log = new TrainingLog([monitor]);
        monitor.Record(1, model, batch);
        monitor.Record(7, model, batch);
        monitor.Record(9, model, batch);

        var encoder = (TransformerEncoder)model.Encoder;
        encoder.RecordAttention = true;
        model.eval();
        using (no_grad()) model.Forward(batch.Inputs, batch.Lengths);
        var lengths = batch.Lengths!.data<long>().ToArray();
        for (int layer = 0; layer < 2; layer++)
        {
            var weights = encoder.LastAttention[layer].to(ScalarType.Float64);
            for (int head = 0; head < 2; head++)
            {
                double entropy = 0, uniform = 0, queries = 0;
                for (int b = 0; b < lengths.Length; b++)
                    for (int q = 0; q < lengths[b]; q++)
                    {
                        double rowSum = 0;
                        for (int k = 0; k < lengths[b]; k++)
                        {
                            double p = weights[b, head, q, k].item<double>();
                            rowSum += p;
                            if (p > 0) entropy -= p * Math.Log(p);
                        }
                        Assert.Equal(1, rowSum, 1e-5); // padded keys get no weight
                        uniform += Math.Log(lengths[b]);
                        queries++;
                    }
                var logged = log.AttentionEntropies().Single(e => e.Step == 9 && e.Layer == layer + 1 && e.Head == head + 1);
                Assert.Equal(entropy / queries, logged.Entropy, 1e-5);
                Assert.Equal(uniform / queries, logged.UniformEntropy, 1e-9);
                Assert.True(logged.Entropy <= logged.UniformEntropy + 1e-9);

                var map = log.AttentionMaps().Where(w => w.Step == 9 && w.Layer == layer + 1 && w.Head == head + 1).ToList();
                Assert.Equal(lengths[0] * lengths[0], map.Count);
                foreach (var w in map) Assert.Equal(weights[0, head, w.Query - 1, w.Key - 1].item<double>(), w.Weight, 1e-9);
            }
        }
        // Maps are kept for the first and the latest monitored step only; entropies for every one.
        Assert.Equal([1, 9], log.AttentionMaps().Select(w => w.Step).Distinct().Order());
        Assert.Equal([1, 7, 9], log.AttentionEntropies().Select(e => e.Step).Distinct().Order());
        Assert.True(model.training == false); // left as it was found (eval here)
    }

    [Fact]
    public void Vanishing_through_depth_is_diagnosed_from_the_layer_gradients()
    {
        static TrainingLog Log(double firstLayer)
        {
            var monitor = new ParameterGradientMonitor();
            var log = new TrainingLog([monitor]);
            log.Steps.Add(new StepMetrics(10, 0.1, 1, false, null, 1));
            monitor.Records.Add(new ParameterGradient(10, "encoder.blocks.0.w", firstLayer) { Layer = 1 });
            monitor.Records.Add(new ParameterGradient(10, "encoder.blocks.1.w", 0.3) { Layer = 2 });
            monitor.Records.Add(new ParameterGradient(10, "encoder.blocks.2.w", 1) { Layer = 3 });
            monitor.Records.Add(new ParameterGradient(10, "head.weight", 2) { Layer = 4 });
            return log;
        }
        var thresholds = new DiagnosisThresholds();
        var vanishing = GradientVerdicts.Diagnose(TrainingStatus.Completed, Log(1e-5), null, thresholds);
        Assert.Equal("vanishing", vanishing.Verdict);
        Assert.Contains("through depth", vanishing.Evidence);
        Assert.Contains("1E-05", vanishing.Evidence);
        Assert.Equal("exploding", GradientVerdicts.Diagnose(TrainingStatus.Completed, Log(1e4), null, thresholds).Verdict);
        Assert.Equal("healthy", GradientVerdicts.Diagnose(TrainingStatus.Completed, Log(0.5), null, thresholds).Verdict);
    }
}
