using SeqLab.Data.Synthetic;
using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Tests;

public class AddingProblemTests
{
    [Fact]
    public void Batch_has_the_documented_shapes()
    {
        using var generator = new Generator(3);
        using var batch = new AddingProblem(37).Sample(16, generator);
        Assert.Equal(new long[] { 16, 37, 2 }, batch.Inputs.shape);
        Assert.Equal(new long[] { 16, 1 }, batch.Targets.shape);
        Assert.Equal(ScalarType.Float32, batch.Inputs.dtype);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(50)]
    public void Exactly_one_marker_in_each_half_and_the_target_is_the_sum_of_the_marked_values(int length)
    {
        using var generator = new Generator(11);
        using var batch = new AddingProblem(length).Sample(500, generator);
        var values = batch.Inputs[.., .., 0].data<float>().ToArray();
        var markers = batch.Inputs[.., .., 1].data<float>().ToArray();
        var targets = batch.Targets.data<float>().ToArray();
        int half = length / 2;
        for (int b = 0; b < 500; b++)
        {
            var row = markers.AsSpan(b * length, length).ToArray();
            Assert.All(row, m => Assert.True(m == 0f || m == 1f));
            Assert.Equal(1f, row[..half].Sum());
            Assert.Equal(1f, row[half..].Sum());
            float expected = 0;
            for (int t = 0; t < length; t++) expected += values[b * length + t] * row[t];
            Assert.Equal(expected, targets[b], 5);
            Assert.All(values.AsSpan(b * length, length).ToArray(), v => Assert.InRange(v, 0f, 1f));
        }
    }

    [Fact]
    public void Always_predicting_one_scores_the_trivial_baseline()
    {
        using var set = new AddingProblem(20).FixedSet(10_000, seed: 5);
        double mse = (set.Targets - 1).pow(2).mean().item<float>();
        Assert.InRange(mse, AddingProblem.TrivialBaselineMse - 0.005, AddingProblem.TrivialBaselineMse + 0.005);
        Assert.Equal(1.0 / 6.0, AddingProblem.TrivialBaselineMse, 12);
    }

    [Fact]
    public void Same_seed_same_data_other_seed_other_data()
    {
        using var a = new AddingProblem(10).FixedSet(8, seed: 42);
        using var b = new AddingProblem(10).FixedSet(8, seed: 42);
        using var c = new AddingProblem(10).FixedSet(8, seed: 43);
        Assert.True(a.Inputs.eq(b.Inputs).all().item<bool>());
        Assert.False(a.Inputs.eq(c.Inputs).all().item<bool>());
    }

    [Fact]
    public void Too_short_a_sequence_is_rejected()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new AddingProblem(1));
        Assert.Contains("at least 2", error.Message);
    }
}
