using SeqLab.Data.Batches;
using SeqLab.Data.Text;
using SeqLab.Models;
using SeqLab.Models.Recurrent;
using SeqLab.Models.SequenceToSequence;
using SeqLab.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Tests;

/// <summary>
/// The source → target shape: pair batches, the encoder–decoders (teacher-forced and one token at a time agree, padding
/// never counts), the token criterion, greedy and beam search, and learning on a small task.
/// </summary>
public class SequenceToSequenceTests
{
    static SequencePairOptions Tokens(int source = 9, int target = 8, int embedding = 6) => new(InputOptions.ForTokens(source, embedding), target, embedding);

    public static TheoryData<string> Models() => new("gru-none", "gru-additive", "lstm-multiplicative", "bigru-additive-2", "transformer", "transformer-post");

    static ISequenceModel Build(string name)
    {
        manual_seed(4);
        if (name.StartsWith("transformer", StringComparison.Ordinal))
            return new TransformerEncoderDecoder(new TransformerEncoderDecoderOptions(Tokens(embedding: 8), 8, 2, 2, 2, PreNorm: !name.EndsWith("post", StringComparison.Ordinal)));
        var parts = name.Split('-');
        var cell = parts[0].EndsWith("lstm", StringComparison.Ordinal) ? RecurrentKind.Lstm : RecurrentKind.Gru;
        var attention = Enum.Parse<AttentionKind>(parts[1], ignoreCase: true);
        return new RecurrentEncoderDecoder(new RecurrentEncoderDecoderOptions(Tokens(), cell, 5, parts.Length > 2 ? int.Parse(parts[2]) : 1, parts[0].StartsWith("bi", StringComparison.Ordinal), attention));
    }

    static SequenceBatch Pairs(Generator generator, int count = 5)
    {
        var lengths = randint(1, 7, [count, 2], generator: generator).data<long>().ToArray();
        var sources = Enumerable.Range(0, count).Select(i => randint(4, 9, [lengths[2 * i]], generator: generator).data<long>().ToArray()).ToList();
        var targets = Enumerable.Range(0, count).Select(i => randint(4, 8, [lengths[2 * i + 1]], generator: generator).data<long>().ToArray()).ToList();
        return Collate.Pairs(sources, targets, TokenVocabulary.Start, TokenVocabulary.End);
    }

    [Fact]
    public void A_pair_batch_feeds_the_decoder_the_target_shifted_behind_the_start_token()
    {
        using var batch = Collate.Pairs([[5, 6, 7], [8]], [[4, 5], [6, 7, 8, 4]], start: 1, end: 2);
        Assert.Equal(TargetLayout.Sequence, batch.Layout);
        Assert.Equal(new long[] { 5, 6, 7, 8, 0, 0 }, batch.Inputs.data<long>().ToArray());
        Assert.Equal(new long[] { 3, 1 }, batch.Lengths!.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 4, 5, 0, 0, 1, 6, 7, 8, 4 }, batch.DecoderInputs!.data<long>().ToArray());
        Assert.Equal(new long[] { 4, 5, 2, 0, 0, 6, 7, 8, 4, 2 }, batch.Targets.data<long>().ToArray());
        Assert.Equal(new long[] { 3, 5 }, batch.TargetLengths!.data<long>().ToArray()); // the end token counts
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Teacher_forcing_and_decoding_one_token_at_a_time_give_the_same_logits(string name)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var model = Build(name);
        model.Module.eval();
        using var batch = Pairs(new Generator(2));
        var forced = model.Forward(batch.ForModel()).log_softmax(-1);
        var decoder = ((IEncoderDecoder)model).StartDecoding(batch.Inputs, batch.Lengths);
        for (long t = 0; t < batch.TargetLength; t++)
        {
            using var stepScope = NewDisposeScope(); // the decoder keeps its state in the scope above
            var stepwise = decoder.Step(batch.DecoderInputs![.., t]);
            Assert.True(stepwise.allclose(forced[.., t], rtol: 1e-4, atol: 1e-5), $"{name}, step {t + 1}: max |Δ| {(stepwise - forced[.., t]).abs().max().item<float>()}");
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_padded_batch_gives_each_pair_what_it_gets_alone(string name)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var model = Build(name);
        model.Module.eval();
        using var batch = Pairs(new Generator(3), 6);
        var together = model.Forward(batch.ForModel());
        for (int i = 0; i < batch.Size; i++)
        {
            using var alone = batch.Rows(i, 1).Take(1); // pair i trimmed to its own lengths
            var single = model.Forward(alone.ForModel());
            long steps = alone.TargetLength;
            Assert.True(single[0].allclose(together[i, ..(int)steps], rtol: 1e-4, atol: 1e-5), $"{name}, pair {i}");
        }
    }

    [Fact]
    public void The_token_criterion_averages_over_valid_target_steps_and_counts_what_it_got_right()
    {
        using var scope = NewDisposeScope();
        using var batch = Collate.Pairs([[5], [6]], [[4, 5], [6]], start: 1, end: 2); // targets [4 5 2] and [6 2 pad]
        var logits = zeros(2, 3, 8);
        logits[0, 0, 4] = 5; logits[0, 1, 7] = 5; logits[0, 2, 2] = 5; // right, wrong, right
        logits[1, 0, 6] = 5; logits[1, 1, 2] = 5; logits[1, 2, 3] = 50; // right, right, (padding: ignored)
        var criterion = new TokenSequenceCriterion();
        var valid = batch.TargetMask();
        double expected = nn.functional.cross_entropy(logits[valid], batch.Targets[valid]).item<float>();
        Assert.Equal(expected, criterion.Loss(logits, batch).item<float>(), 5);
        var accumulator = criterion.Accumulate();
        accumulator.Add(logits.narrow(0, 0, 1), batch.Rows(0, 1));
        accumulator.Add(logits.narrow(0, 1, 1), batch.Rows(1, 1));
        var evaluation = accumulator.Result();
        Assert.Equal(expected, evaluation.Loss, 5);
        Assert.Equal(4.0 / 5, evaluation.Metrics["token_accuracy"], 10);
        Assert.Equal(0.5, evaluation.Metrics["sequence_accuracy_forced"], 10);
        Assert.True(new TokenSequenceCriterion(0.1).Loss(logits, batch).item<float>() > expected); // smoothing raises the loss of confident logits
    }

    [Theory]
    [InlineData("gru-additive")]
    [InlineData("transformer")]
    public void A_beam_of_one_is_greedy_decoding_and_a_wider_beam_never_scores_below_greedy(string name)
    {
        using var scope = NewDisposeScope();
        var model = (IEncoderDecoder)Build(name);
        using var batch = Pairs(new Generator(5), 24);
        var plain = new SearchOptions(TokenVocabulary.Start, TokenVocabulary.End, MaxLength: 9, BeamWidth: 1, KeepGreedy: false);
        var greedy = SequenceSearch.Greedy(model, batch.Inputs, batch.Lengths, plain);
        var beamOfOne = SequenceSearch.Beam(model, batch.Inputs, batch.Lengths, plain);
        for (int i = 0; i < greedy.Count; i++)
        {
            Assert.Equal(greedy[i].Tokens, beamOfOne[i].Tokens);
            Assert.True(Math.Abs(greedy[i].LogProbability - beamOfOne[i].LogProbability) < 1e-4, $"source {i}: {greedy[i].LogProbability} vs {beamOfOne[i].LogProbability}"); // one row at a time vs all at once: float rounding only
        }
        foreach (double alpha in new[] { 0.0, 0.6 })
        {
            var wide = plain with { BeamWidth = 4, LengthPenalty = alpha, KeepGreedy = true };
            var beam = SequenceSearch.Beam(model, batch.Inputs, batch.Lengths, wide);
            for (int i = 0; i < greedy.Count; i++)
            {
                // Finished beats unfinished; between two of a kind the score decides.
                Assert.True(beam[i].Finished || !greedy[i].Finished, $"α {alpha}, source {i}: greedy finished, the beam's answer did not");
                if (beam[i].Finished == greedy[i].Finished)
                    Assert.True(wide.Score(beam[i]) >= wide.Score(greedy[i]) - 1e-9, $"α {alpha}, source {i}: beam {wide.Score(beam[i])} < greedy {wide.Score(greedy[i])}");
            }
            // The beam's own bookkeeping (no greedy hypothesis in the pool): every answer's score is what the model gives its tokens.
            var raw = SequenceSearch.Beam(model, batch.Inputs, batch.Lengths, wide with { KeepGreedy = false });
            for (int i = 0; i < greedy.Count; i++)
            {
                var tokens = raw[i].Tokens;
                var source = batch.Inputs.narrow(0, i, 1).narrow(1, 0, batch.Lengths![i].item<long>());
                var decoderInput = tensor(new long[] { TokenVocabulary.Start }.Concat(tokens).ToArray()).narrow(0, 0, tokens.Length).unsqueeze(0);
                using var noGrad = no_grad();
                ((ISequenceModel)model).Module.eval();
                var logProbabilities = ((ISequenceModel)model).Forward(new ModelInput(source) { DecoderInputs = decoderInput }).log_softmax(-1)[0];
                double rescored = tokens.Select((token, t) => logProbabilities[t, token].item<float>()).Sum(v => (double)v);
                Assert.Equal(rescored, raw[i].LogProbability, 3);
            }
        }
    }

    [Fact]
    public void Attention_learns_to_reverse_and_the_bottleneck_lags_behind()
    {
        // Reverse five letters: 300 steps of 32. Attention reads each letter where it is; the bottleneck must squeeze all five into one state.
        var results = new Dictionary<AttentionKind, double>();
        foreach (var attention in new[] { AttentionKind.Additive, AttentionKind.None })
        {
            manual_seed(7);
            var kind = new ReverseTask();
            using var data = kind.Build(new ReverseConfig { Length = 5, Symbols = 6, ValidationSize = 64, TestSize = 200, DecodeValidation = 0 }, 32, seed: 7);
            var shape = (SequenceToSequenceShape)data.Shape;
            var model = new RecurrentEncoderDecoder(new RecurrentEncoderDecoderOptions(new SequencePairOptions(InputOptions.ForTokens(shape.Input.Vocabulary, 16), shape.TargetVocabulary, 16),
                RecurrentKind.Gru, 32, Attention: attention));
            using var generator = new Generator(7);
            var outcome = new Trainer(new TrainingOptions(300, 32, 0.01, 1.0, 7, 2, 300), new MonitoringOptions(300) { Monitors = [] })
                .Train(model, data.SampleBatch, generator, data.Validation, data.Test, new TrainingRun { Criterion = data.Criterion, Evaluator = data.Evaluator });
            Assert.Equal(TrainingStatus.Completed, outcome.Status);
            var metrics = data.TestMetrics!(model);
            results[attention] = metrics["exact_match"];
            Assert.True(outcome.TestMetrics["token_accuracy"] > 0.5, $"{attention}: token accuracy {outcome.TestMetrics["token_accuracy"]}");
        }
        Assert.True(results[AttentionKind.Additive] >= 0.9, $"attention: exact match {results[AttentionKind.Additive]}");
        Assert.True(results[AttentionKind.Additive] > results[AttentionKind.None], $"attention {results[AttentionKind.Additive]} vs bottleneck {results[AttentionKind.None]}");
    }
}
