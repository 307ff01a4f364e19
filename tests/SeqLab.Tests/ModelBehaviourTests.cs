using SeqLab.Models;
using SeqLab.Models.Generation;
using SeqLab.Models.Recurrent;
using SeqLab.Models.Transformer;
using TorchSharp;
using static TorchSharp.torch;
using TransformerEncoder = SeqLab.Models.Transformer.TransformerEncoder;

namespace SeqLab.Tests;

public class ModelBehaviourTests
{
    /// <summary>Every encoder family, as options, for feature inputs of width 3.</summary>
    public static TheoryData<string> EncoderNames() => new(Encoders.Keys);

    static readonly Dictionary<string, EncoderOptions> Encoders = new()
    {
        ["rnn"] = new RecurrentOptions(RecurrentKind.RnnTanh, 6),
        ["rnn_relu"] = new RecurrentOptions(RecurrentKind.RnnRelu, 6),
        ["lstm"] = new RecurrentOptions(RecurrentKind.Lstm, 6, Layers: 2),
        ["gru-bidirectional"] = new RecurrentOptions(RecurrentKind.Gru, 6, Bidirectional: true),
        ["lstm-unrolled"] = new RecurrentOptions(RecurrentKind.Lstm, 6, Unrolled: true, LayerNorm: true),
        ["transformer"] = new TransformerOptions(8, 2, Layers: 2),
        ["transformer-causal-postnorm-learned"] = new TransformerOptions(8, 2, Layers: 2, Causal: true, PreNorm: false, Positional: PositionalEncoding.Learned, MaxLength: 16),
    };

    static SequenceModel Build(string encoder, TaskKind task, int outputs = 2) =>
        new(new SequenceModelOptions(InputOptions.ForFeatures(3), Encoders[encoder], new HeadOptions(task, outputs)));

    [Theory]
    [MemberData(nameof(EncoderNames))]
    public void Padding_never_changes_a_result_when_the_lengths_are_given(string encoder)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var perStep = Build(encoder, TaskKind.StepRegression);
        var perSequence = Build(encoder, TaskKind.SequenceRegression);
        perStep.eval();
        perSequence.eval();
        long[] lengths = [7, 4, 2];
        var padded = randn(3, 7, 3);
        var lengthTensor = tensor(lengths);
        var steps = perStep.Forward(padded, lengthTensor);
        var summary = perSequence.Forward(padded, lengthTensor);
        var unmasked = perSequence.Forward(padded, null);

        for (int b = 0; b < 3; b++)
        {
            var alone = padded[b].narrow(0, 0, lengths[b]).unsqueeze(0);
            Assert.True(steps[b].narrow(0, 0, lengths[b]).allclose(perStep.Forward(alone)[0], rtol: 1e-4, atol: 1e-5), $"{encoder}: steps of sequence {b}");
            Assert.True(summary[b].allclose(perSequence.Forward(alone)[0], rtol: 1e-4, atol: 1e-5), $"{encoder}: summary of sequence {b}");
        }
        // Without the lengths the padding leaks into the shorter sequences' results.
        Assert.False(unmasked[1].allclose(summary[1], rtol: 1e-4, atol: 1e-5), $"{encoder}: padding should matter without a mask");
        Assert.True(unmasked[0].allclose(summary[0], rtol: 1e-4, atol: 1e-5)); // the full-length one is unaffected
    }

    [Theory]
    [MemberData(nameof(EncoderNames))]
    public void A_batch_whose_sequences_all_fill_the_window_runs_unpadded_with_the_same_result(string name)
    {
        using var full = tensor(new long[] { 7, 7, 7 });
        using var shorter = tensor(new long[] { 7, 4, 7 });
        Assert.Null(SeqLab.Runtime.Tensors.LengthMask.Needed(full, 7));
        Assert.Same(shorter, SeqLab.Runtime.Tensors.LengthMask.Needed(shorter, 7));
        Assert.Null(SeqLab.Runtime.Tensors.LengthMask.Needed(null, 7));

        torch.manual_seed(5);
        var model = new SequenceModel(new SequenceModelOptions(InputOptions.ForFeatures(3), Encoders[name], new HeadOptions(TaskKind.StepRegression, 2)));
        model.eval();
        using var x = randn(3, 7, 3);
        using var withLengths = model.Forward(x, full);
        using var without = model.Forward(x, null);
        Assert.True(withLengths.allclose(without, rtol: 1e-5, atol: 1e-6), $"max difference {(withLengths - without).abs().max().item<float>()}");
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void The_fused_attention_kernel_agrees_with_the_written_out_attention_and_their_gradients(bool causal, bool padded)
    {
        torch.manual_seed(4);
        var attention = new SelfAttention(16, 4, 0.0);
        using var x = randn(3, 9, 16);
        using var lengths = tensor(new long[] { 9, 5, 2 });
        using var keyValid = padded ? SeqLab.Runtime.Tensors.LengthMask.Valid(lengths, 3, 9, x.device) : null;
        (Tensor Output, Tensor[] Gradients) Run(bool weightsWanted)
        {
            attention.zero_grad();
            var (output, weights) = attention.Attend(x, keyValid, causal, weightsWanted);
            Assert.Equal(weightsWanted, weights is not null);
            // Only the valid query positions carry a loss, as in training.
            var loss = keyValid is null ? output.square().sum() : (output.square().sum(-1) * keyValid.to(ScalarType.Float32)).sum();
            loss.backward();
            return (output.detach().clone(), attention.parameters().Select(p => p.grad!.clone()).ToArray());
        }
        var (written, writtenGradients) = Run(weightsWanted: true);
        var (fused, fusedGradients) = Run(weightsWanted: false);
        Assert.True(written.allclose(fused, rtol: 1e-4, atol: 1e-5), $"max difference {(written - fused).abs().max().item<float>()}");
        foreach (var (a, b) in writtenGradients.Zip(fusedGradients))
            Assert.True(a.allclose(b, rtol: 1e-3, atol: 1e-5), $"gradient max difference {(a - b).abs().max().item<float>()}");
    }

    [Fact]
    public void The_explicit_kernel_is_the_written_out_attention_from_yaml_to_a_saved_model()
    {
        torch.manual_seed(4);
        var attention = new SelfAttention(16, 4, 0.0, AttentionKernel.Explicit);
        attention.train();
        using var x = randn(3, 9, 16);
        using var keyValid = SeqLab.Runtime.Tensors.LengthMask.Valid(tensor(new long[] { 9, 5, 2 }), 3, 9, x.device);
        var (withoutWeights, none) = attention.Attend(x, keyValid, causal: true, weightsWanted: false);
        var (withWeights, _) = attention.Attend(x, keyValid, causal: true, weightsWanted: true);
        Assert.Null(none);
        Assert.True(withoutWeights.equal(withWeights).all().item<bool>()); // bit for bit: the same arithmetic whether or not weights are kept

        // The YAML key reaches both Transformers' options; an encoder–decoder saved with it loads with it.
        Assert.Equal(AttentionKernel.Explicit, new SeqLab.Tasks.TransformerModelConfig { AttentionKernel = "explicit" }.Options(TaskKind.SequenceRegression).Kernel);
        Assert.Equal(AttentionKernel.Fused, new SeqLab.Tasks.TransformerModelConfig().Options(TaskKind.SequenceRegression).Kernel);
        var shape = new SeqLab.Tasks.SequenceToSequenceShape(SeqLab.Tasks.DataInput.ForTokens(10), 12);
        var options = SeqLab.Tasks.TransformerSeq2SeqKind.Options(new SeqLab.Tasks.TransformerSeq2SeqConfig { ModelSize = 8, Heads = 2, AttentionKernel = "explicit" }, shape);
        Assert.Equal(AttentionKernel.Explicit, options.Encoder.Kernel);
        Assert.Equal(AttentionKernel.Explicit, options.Decoder.Kernel);
        using var model = new SeqLab.Models.SequenceToSequence.TransformerEncoderDecoder(options);
        string path = Path.Combine(NativeFiles.TemporaryFolder(), "model.bin");
        ModelFile.Save(model, path);
        Assert.Equal(options, ModelFile.LoadAny(path).Capability<IRebuildableModel>()!.Options);

        // A model saved before the key existed (no "Kernel" in its options) reads as fused, as it was trained.
        string json = File.ReadAllText(path + ".json");
        Assert.Contains("\"Kernel\"", json);
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        Assert.True(node.Remove("Kernel"));
        File.WriteAllText(path + ".json", node.ToJsonString());
        Assert.Equal(options with { Kernel = AttentionKernel.Fused }, ModelFile.LoadAny(path).Capability<IRebuildableModel>()!.Options);
    }

    [Fact]
    public void A_causal_Transformer_never_looks_ahead()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var model = new SequenceModel(new SequenceModelOptions(InputOptions.ForTokens(20, 8),
            new TransformerOptions(8, 2, Layers: 2, Causal: true), new HeadOptions(TaskKind.LanguageModel, TieWeights: true)));
        model.eval();
        var tokens = randint(0, 20, [2, 10], dtype: ScalarType.Int64);
        var before = model.Forward(tokens);
        for (int t = 0; t < 9; t++)
        {
            var changed = tokens.clone();
            changed[.., TensorIndex.Slice(t + 1, null)] = randint(0, 20, [2, 9 - t], dtype: ScalarType.Int64);
            var after = model.Forward(changed);
            Assert.True(before[.., TensorIndex.Slice(0, t + 1)].allclose(after[.., TensorIndex.Slice(0, t + 1)], atol: 1e-6), $"output up to {t} changed");
            Assert.False(before.allclose(after, atol: 1e-6));
        }
    }

    [Fact]
    public void Attention_weights_are_kept_per_layer_and_head_and_respect_both_masks()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var model = new SequenceModel(new SequenceModelOptions(InputOptions.ForFeatures(3),
            new TransformerOptions(8, 2, Layers: 3, Causal: true), new HeadOptions(TaskKind.StepRegression, 1)));
        var encoder = (TransformerEncoder)model.Encoder;
        encoder.RecordAttention = true;
        model.Forward(randn(2, 5, 3), tensor(new long[] { 5, 3 }));

        Assert.Equal(3, encoder.LastAttention.Count);
        foreach (var weights in encoder.LastAttention)
        {
            Assert.Equal(new long[] { 2, 2, 5, 5 }, weights.shape);
            Assert.True(weights.sum(-1).allclose(ones(2, 2, 5), atol: 1e-5));
            Assert.Equal(0, weights.triu(1).abs().sum().item<float>()); // no query attends to a later key
            Assert.Equal(0, weights[1, .., .., TensorIndex.Slice(3, null)].abs().sum().item<float>()); // nor to padding
        }
    }

    [Theory]
    [InlineData(0.9)]
    [InlineData(1.1)]
    public void A_linear_RNN_scales_gradients_by_exactly_rho_to_the_T(double rho)
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        const int hidden = 16, steps = 100;
        var recurrent = (rho * RecurrentInitialiser.OrthogonalMatrix(hidden)).to(ScalarType.Float64);
        var h0 = randn(hidden, dtype: ScalarType.Float64).requires_grad_(true);
        var h = h0;
        for (int t = 0; t < steps; t++) h = recurrent.matmul(h); // h_t = ρQ h_{t-1}: no input, no nonlinearity
        var direction = randn(hidden, dtype: ScalarType.Float64);
        direction /= direction.norm();
        // ∂(u·h_T)/∂h_0 = ((ρQ)^T)ᵀ u, and Q preserves norms: its norm is ρ^T for every unit u.
        var gradient = autograd.grad([h.dot(direction)], [h0])[0];
        double expected = Math.Pow(rho, steps);
        Assert.Equal(1.0, gradient.norm().item<double>() / expected, 4);
        // The initialiser reaches the same matrix family: spectral radius ρ after scaling.
        Assert.Equal(rho, RecurrentInitialiser.SpectralRadius(recurrent), 6);
    }

    [Fact]
    public void An_unrolled_cell_passes_a_finite_difference_gradient_check_in_float64()
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        foreach (var kind in new[] { RecurrentKind.Lstm, RecurrentKind.Gru, RecurrentKind.RnnTanh })
        {
            var model = new SequenceModel(new SequenceModelOptions(InputOptions.ForFeatures(2),
                new RecurrentOptions(kind, 3, Unrolled: true), new HeadOptions(TaskKind.SequenceRegression, 1)));
            model.to(ScalarType.Float64);
            var inputs = randn(2, 4, 2, dtype: ScalarType.Float64).requires_grad_(true);
            var targets = randn(2, 1, dtype: ScalarType.Float64);
            Tensor Loss() => TestModels.Loss(TaskKind.SequenceRegression, model.Forward(inputs), inputs, targets);

            model.zero_grad();
            Loss().backward();
            var checks = model.NamedParameters().Select(p => (p.Name, Tensor: (Tensor)p.Parameter)).Append(("inputs", inputs)).ToList();
            foreach (var (name, tensor) in checks)
            {
                var analytic = tensor.grad!.clone().flatten();
                var flat = tensor.detach().view(-1); // shares storage: nudging it nudges the parameter
                for (long i = 0; i < Math.Min(flat.shape[0], 6); i++)
                {
                    double original = flat[i].item<double>(), epsilon = 1e-6;
                    double plus, minus;
                    using (no_grad()) { flat[i] = original + epsilon; plus = Loss().item<double>(); flat[i] = original - epsilon; minus = Loss().item<double>(); flat[i] = original; }
                    double numeric = (plus - minus) / (2 * epsilon);
                    Assert.True(Math.Abs(numeric - analytic[i].item<double>()) <= 1e-6 + 1e-5 * Math.Abs(numeric),
                        $"{kind} {name}[{i}]: analytic {analytic[i].item<double>():E6}, numeric {numeric:E6}");
                }
            }
        }
    }

    [Fact]
    public void Initialisation_options_do_what_they_say()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        Tensor Weight(RecurrentOptions options, string name) =>
            new SequenceModel(new SequenceModelOptions(InputOptions.ForFeatures(3), options, new HeadOptions(TaskKind.SequenceRegression, 1)))
                .NamedParameters().Single(p => p.Name == $"encoder.recurrent.{name}").Parameter.detach();

        var orthogonal = Weight(new RecurrentOptions(RecurrentKind.Lstm, 8, Initialisation: RecurrentInitialisation.Orthogonal), "weight_hh_l0");
        for (int g = 0; g < 4; g++)
        {
            var block = orthogonal.narrow(0, g * 8, 8);
            Assert.True(block.t().matmul(block).allclose(eye(8), atol: 1e-5), $"gate block {g} is not orthogonal");
        }
        Assert.True(Weight(new RecurrentOptions(RecurrentKind.RnnRelu, 8, Initialisation: RecurrentInitialisation.Identity), "weight_hh_l0").allclose(eye(8), rtol: 0, atol: 0));
        Assert.Equal(0, Weight(new RecurrentOptions(RecurrentKind.RnnRelu, 8, Initialisation: RecurrentInitialisation.Identity), "bias_hh_l0").abs().sum().item<float>());

        var forget = new RecurrentOptions(RecurrentKind.Lstm, 8, ForgetGateBias: 1.0);
        manual_seed(6);
        var bih = Weight(forget, "bias_ih_l0");
        manual_seed(6);
        var bhh = Weight(forget, "bias_hh_l0");
        Assert.True((bih + bhh).narrow(0, 8, 8).allclose(ones(8)));
        Assert.False((bih + bhh).narrow(0, 0, 8).allclose(ones(8))); // other gates untouched

        foreach (var radius in new[] { 0.5, 2.0 })
        {
            var scaled = Weight(new RecurrentOptions(RecurrentKind.RnnTanh, 16, SpectralRadius: radius), "weight_hh_l0");
            Assert.Equal(radius, RecurrentInitialiser.SpectralRadius(scaled), 4);
        }
        var xavier = Weight(new RecurrentOptions(RecurrentKind.Gru, 8, Initialisation: RecurrentInitialisation.Xavier), "weight_ih_l0");
        double bound = Math.Sqrt(6.0 / (3 + 8));
        Assert.True(xavier.abs().max().item<float>() <= bound + 1e-6);
        Assert.Equal(0, Weight(new RecurrentOptions(RecurrentKind.Gru, 8, Initialisation: RecurrentInitialisation.Xavier), "bias_ih_l0").abs().sum().item<float>());
    }

    [Fact]
    public void Seeded_sampling_is_reproducible_and_save_then_load_gives_identical_outputs()
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        foreach (var encoder in new EncoderOptions[] { new RecurrentOptions(RecurrentKind.Gru, 8), new TransformerOptions(8, 2, Causal: true, Positional: PositionalEncoding.Learned, MaxLength: 32) })
        {
            var model = new SequenceModel(new SequenceModelOptions(InputOptions.ForTokens(12, 8), encoder, new HeadOptions(TaskKind.LanguageModel, TieWeights: true)));
            long[] prompt = [1, 2, 3];
            long[] Sample(SequenceModel m, ulong seed, double temperature = 1.0, int? topK = null)
            {
                using var generator = new Generator(seed);
                return TokenSampler.Generate(m, prompt, 20, temperature, topK, generator);
            }
            var first = Sample(model, 5);
            Assert.Equal(first, Sample(model, 5));
            Assert.NotEqual(first, Sample(model, 6));
            Assert.All(first, t => Assert.InRange(t, 0, 11));
            Assert.Equal(Sample(model, 1, temperature: 0), Sample(model, 2, temperature: 0)); // greedy ignores the seed
            Assert.Equal(Sample(model, 1, topK: 1), Sample(model, 1, temperature: 0)); // top-1 is greedy

            string path = Path.Combine(NativeFiles.TemporaryFolder(), "model.bin");
            ModelFile.Save(model, path);
            var loaded = ModelFile.Load(path);
            Assert.Equal(model.Options, loaded.Options);
            model.eval();
            loaded.eval();
            var tokens = randint(0, 12, [2, 9], dtype: ScalarType.Int64);
            Assert.True(model.Forward(tokens).equal(loaded.Forward(tokens)).all().item<bool>());
            Assert.Equal(first, Sample(loaded, 5));
        }
    }

    [Fact]
    public void Tied_weights_share_the_embedding_and_save_its_parameters()
    {
        var options = new SequenceModelOptions(InputOptions.ForTokens(50, 16), new RecurrentOptions(RecurrentKind.Lstm, 16), new HeadOptions(TaskKind.LanguageModel));
        var untied = new SequenceModel(options);
        var tied = new SequenceModel(options with { Head = new HeadOptions(TaskKind.LanguageModel, TieWeights: true) });
        Assert.Equal(untied.ParameterCount - 50 * 16, tied.ParameterCount);
        Assert.DoesNotContain(tied.NamedParameters(), p => p.Name.StartsWith("head", StringComparison.Ordinal));
        var error = Assert.Throws<ArgumentException>(() => new SequenceModel(options with
        {
            Encoder = new RecurrentOptions(RecurrentKind.Lstm, 32), Head = new HeadOptions(TaskKind.LanguageModel, TieWeights: true),
        }));
        Assert.Contains("TieWeights needs EmbeddingSize (16) to equal the encoder width (32)", error.Message);
    }

    [Fact]
    public void Models_that_would_see_the_future_are_refused_for_language_modelling()
    {
        var tokens = InputOptions.ForTokens(10, 8);
        var bidirectional = Assert.Throws<ArgumentException>(() => new SequenceModel(new SequenceModelOptions(tokens, new RecurrentOptions(RecurrentKind.Gru, 8, Bidirectional: true), new HeadOptions(TaskKind.LanguageModel))));
        Assert.Contains("bidirectional", bidirectional.Message);
        var nonCausal = Assert.Throws<ArgumentException>(() => new SequenceModel(new SequenceModelOptions(tokens, new TransformerOptions(8, 2), new HeadOptions(TaskKind.LanguageModel))));
        Assert.Contains("causal", nonCausal.Message);
    }

    public static TheoryData<string, TaskKind> EveryModelAndTask()
    {
        var data = new TheoryData<string, TaskKind>();
        foreach (var encoder in Encoders.Keys)
            foreach (var task in Enum.GetValues<TaskKind>())
            {
                bool seesFuture = encoder.StartsWith("gru-bidirectional") || encoder == "transformer";
                if (task == TaskKind.LanguageModel && seesFuture) continue;
                data.Add(encoder, task);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryModelAndTask))]
    public void Every_model_trains_a_step_on_every_task_it_supports(string encoder, TaskKind task)
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        const int batch = 3, time = 6, classes = 4, vocabulary = 9;
        bool tokens = task == TaskKind.LanguageModel;
        var encoderOptions = Encoders[encoder] is RecurrentOptions r && tokens ? r : Encoders[encoder];
        var input = tokens ? InputOptions.ForTokens(vocabulary, 8) : InputOptions.ForFeatures(3);
        int outputs = task switch { TaskKind.SequenceClassification or TaskKind.StepClassification => classes, TaskKind.LanguageModel => 0, _ => 2 };
        var model = new SequenceModel(new SequenceModelOptions(input, encoderOptions, new HeadOptions(task, outputs)));
        var inputs = tokens ? randint(0, vocabulary, [batch, time], dtype: ScalarType.Int64) : randn(batch, time, 3);
        var lengths = tensor(new long[] { 6, 4, 5 });
        var targets = task switch
        {
            TaskKind.SequenceRegression => randn(batch, 2),
            TaskKind.SequenceClassification => randint(0, classes, [batch], dtype: ScalarType.Int64),
            TaskKind.StepRegression => randn(batch, time, 2),
            TaskKind.StepClassification => randint(0, classes, [batch, time], dtype: ScalarType.Int64),
            _ => randint(0, vocabulary, [batch, time], dtype: ScalarType.Int64),
        };

        var output = model.Forward(inputs, lengths);
        long[] expectedShape = task switch
        {
            TaskKind.SequenceRegression => [batch, 2],
            TaskKind.SequenceClassification => [batch, classes],
            TaskKind.StepRegression => [batch, time, 2],
            TaskKind.StepClassification => [batch, time, classes],
            _ => [batch, time, vocabulary],
        };
        Assert.Equal(expectedShape, output.shape);
        var loss = TestModels.Loss(task, output, inputs, targets, lengths);
        Assert.True(double.IsFinite(loss.item<float>()));

        using var optimizer = optim.Adam(model.parameters(), 1e-2);
        var before = model.parameters().Select(p => p.detach().clone()).ToList();
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        // Every parameter that received a gradient took a step.
        foreach (var ((name, parameter), old) in model.NamedParameters().Zip(before))
            if (parameter.grad is Tensor grad && grad.abs().sum().item<float>() > 0)
                Assert.False(parameter.equal(old).all().item<bool>(), $"{name} did not move");
        Assert.Contains(model.NamedParameters().Zip(before), pair => !pair.First.Parameter.equal(pair.Second).all().item<bool>());
        Assert.False(string.IsNullOrWhiteSpace(model.Description));
    }
}
