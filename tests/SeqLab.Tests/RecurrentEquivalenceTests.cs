using SeqLab.Models;
using SeqLab.Models.Recurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Tests;

public class RecurrentEquivalenceTests
{
    public static TheoryData<RecurrentKind, int, bool> Configurations()
    {
        var data = new TheoryData<RecurrentKind, int, bool>();
        foreach (var kind in Enum.GetValues<RecurrentKind>())
            foreach (var layers in new[] { 1, 2 })
                foreach (var bidirectional in new[] { false, true })
                    data.Add(kind, layers, bidirectional);
        return data;
    }

    static SequenceModel Fused(RecurrentKind kind, int layers, bool bidirectional, TaskKind task = TaskKind.StepRegression) =>
        new(new SequenceModelOptions(InputOptions.ForFeatures(3), new RecurrentOptions(kind, 5, layers, bidirectional), new HeadOptions(task, 2)));

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Unrolled_twin_reproduces_the_fused_outputs_and_gradients(RecurrentKind kind, int layers, bool bidirectional)
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var fused = Fused(kind, layers, bidirectional);
        var unrolled = fused.ToUnrolled();
        Assert.IsType<UnrolledRecurrentEncoder>(unrolled.Encoder);
        Assert.Equal(fused.NamedParameters().Select(p => p.Name), unrolled.NamedParameters().Select(p => p.Name));

        var inputs = randn(4, 6, 3);
        var lengths = tensor(new long[] { 6, 3, 1, 5 });
        foreach (var batchLengths in new[] { null, lengths })
        {
            fused.zero_grad();
            unrolled.zero_grad();
            var a = fused.Encoder.Encode(inputs, batchLengths);
            var b = unrolled.Encoder.Encode(inputs, batchLengths);
            AssertClose(a.Steps, b.Steps);
            AssertClose(a.Summary, b.Summary);

            var weights = randn(a.Steps.shape);
            ((a.Steps * weights).sum() + a.Summary.pow(2).sum()).backward();
            ((b.Steps * weights).sum() + b.Summary.pow(2).sum()).backward();
            foreach (var ((name, p), (_, q)) in fused.NamedParameters().Zip(unrolled.NamedParameters()))
                if (name.StartsWith("encoder", StringComparison.Ordinal))
                    AssertClose(p.grad!, q.grad!, name);
        }
    }

    static void AssertClose(Tensor expected, Tensor actual, string what = "")
    {
        Assert.Equal(expected.shape, actual.shape);
        double difference = (expected - actual).abs().max().item<float>();
        Assert.True(difference <= 1e-5, $"{what}: max |difference| {difference:E2} > 1e-5");
    }

    [Fact]
    public void The_trace_exposes_every_hidden_state_cell_state_and_gate()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var lstm = Fused(RecurrentKind.Lstm, 2, bidirectional: true).ToUnrolled();
        var encoder = (UnrolledRecurrentEncoder)lstm.Encoder;
        var trace = encoder.Trace(randn(2, 7, 3), tensor(new long[] { 7, 4 }));

        Assert.Equal(4, trace.Directions.Count); // 2 layers × 2 directions
        foreach (var direction in trace.Directions)
        {
            Assert.Equal(7, direction.Hidden.Count);
            Assert.Equal(7, direction.Cell!.Count);
            Assert.Equal(["input", "forget", "candidate", "output"], direction.Gates.Keys);
            foreach (var gate in new[] { "input", "forget", "output" })
                Assert.All(direction.Gates[gate], g => Assert.True(g.min().item<float>() > 0 && g.max().item<float>() < 1));
            // Past its length the second sequence keeps its state: h_t stays equal to h at its last valid step (forward)
            // or to the zero initial state (backward, which starts at the last valid step).
            var frozen = direction.Reverse ? zeros(5) : direction.Hidden[3][1];
            for (int t = 4; t < 7; t++) Assert.True(direction.Hidden[t][1].allclose(frozen));
        }
        var gru = new SequenceModel(new SequenceModelOptions(InputOptions.ForFeatures(3), new RecurrentOptions(RecurrentKind.Gru, 5, Unrolled: true), new HeadOptions(TaskKind.SequenceRegression, 1)));
        var gruTrace = ((UnrolledRecurrentEncoder)gru.Encoder).Trace(randn(2, 4, 3), null);
        Assert.Equal(["reset", "update", "candidate"], gruTrace.Directions[0].Gates.Keys);
        Assert.Null(gruTrace.Directions[0].Cell);
    }

    [Fact]
    public void Hidden_state_gradients_include_the_recurrent_path()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var model = TestModels.Regressor(RecurrentKind.RnnTanh, 8).ToUnrolled();
        var trace = ((UnrolledRecurrentEncoder)model.Encoder).Trace(randn(3, 10, 2), null);
        var loss = model.Head(trace.Output).pow(2).mean();
        var hidden = trace.Directions[0].Hidden;
        var gradients = autograd.grad([loss], hidden.ToList(), retain_graph: true);
        // The loss reads only h_T directly; every earlier h_t gets its gradient through W_hh alone.
        Assert.All(gradients.Take(9), g => Assert.True(g.norm().item<float>() > 0));
        // Chain rule by hand for the last step: ∂L/∂h_{T-1} = (∂L/∂h_T · (1 − h_T²)) W_hh.
        var whh = model.NamedParameters().Single(p => p.Name == "encoder.recurrent.weight_hh_l0").Parameter;
        var expected = (gradients[9] * (1 - hidden[9].pow(2))).matmul(whh);
        Assert.True(expected.allclose(gradients[8], rtol: 1e-4, atol: 1e-7));
    }

    [Theory]
    [InlineData(RecurrentKind.Lstm)]
    [InlineData(RecurrentKind.Gru)]
    public void An_initial_state_is_used_and_both_twins_agree_on_it(RecurrentKind kind)
    {
        using var scope = NewDisposeScope();
        manual_seed(13);
        var fused = Fused(kind, 2, bidirectional: true, TaskKind.SequenceRegression);
        var unrolled = fused.ToUnrolled();
        var inputs = randn(3, 5, 3);
        var lengths = tensor(new long[] { 5, 2, 4 });
        var state = new RecurrentState(randn(4, 3, 5), kind == RecurrentKind.Lstm ? randn(4, 3, 5) : null);
        var withState = fused.Forward(inputs, lengths, state);
        AssertClose(withState, unrolled.Forward(inputs, lengths, state));
        Assert.False(withState.allclose(fused.Forward(inputs, lengths)), "the initial state should change the result");
    }
}
