using System.Diagnostics;
using SeqLab.Data.Batches;
using SeqLab.Data.Synthetic;
using SeqLab.Models;
using SeqLab.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SeqLab.Bench;

/// <summary>
/// Where the main job's Transformer step goes (`transformer-parts`): the raw loop of the side-by-side section, the same
/// loop with LibTorch's fused attention, and that loop with each of SeqLab's extras added back one at a time, beside
/// SeqLab's model in the same hand-written loop and in its trainer — alternating, median of the repeats, ms a step.
/// </summary>
static class TransformerParts
{
    /// <summary>What the raw model does besides the arithmetic it must do.</summary>
    [Flags]
    public enum Extras
    {
        None = 0,
        FusedAttention = 1,
        PositionsEveryPass = 2,
        DropoutCalls = 4,
        MaskedMean = 8,
        ContiguousHeads = 16,
        All = FusedAttention | PositionsEveryPass | DropoutCalls | MaskedMean,
    }

    sealed class Model : nn.Module<Tensor, Tensor>
    {
        readonly Linear inputProjection, head;
        readonly ModuleList<Block> blocks;
        readonly LayerNorm finalNorm;
        readonly Tensor positions;
        readonly Extras extras;
        readonly int width;

        public Model(int input, int width, int layers, Extras extras) : base("parts")
        {
            this.extras = extras;
            this.width = width;
            inputProjection = nn.Linear(input, width);
            blocks = new ModuleList<Block>(Enumerable.Range(0, layers).Select(_ => new Block(width, 4, extras)).ToArray());
            finalNorm = nn.LayerNorm(width);
            head = nn.Linear(width, 1);
            positions = Sinusoid(50, width);
            RegisterComponents();
        }

        public static Tensor SinusoidForBench(long time, int width) => Sinusoid(time, width);

        static Tensor Sinusoid(long time, int width)
        {
            using var noGrad = no_grad();
            var position = arange(time, ScalarType.Float32).unsqueeze(1);
            var frequencies = exp(arange(0, width, 2, ScalarType.Float32) * (-Math.Log(10000.0) / width));
            var table = zeros(time, width);
            var angles = position * frequencies;
            table[.., TensorIndex.Slice(0, null, 2)] = sin(angles);
            table[.., TensorIndex.Slice(1, null, 2)] = cos(angles).narrow(1, 0, width / 2);
            return table.to(ScalarType.Float32).unsqueeze(0).DetachFromDisposeScope();
        }

        public override Tensor forward(Tensor inputs)
        {
            long batch = inputs.shape[0], time = inputs.shape[1];
            var x = inputProjection.call(inputs) + ((extras & Extras.PositionsEveryPass) != 0 ? Sinusoid(time, width) : positions);
            foreach (var block in blocks) x = block.call(x);
            var steps = finalNorm.call(x);
            if ((extras & Extras.MaskedMean) == 0) return head.call(steps.mean([1]));
            var weights = ones([batch, time], ScalarType.Bool).to(steps.dtype).unsqueeze(2);
            return head.call((steps * weights).sum(1) / weights.sum(1));
        }
    }

    sealed class Block : nn.Module<Tensor, Tensor>
    {
        readonly LayerNorm attentionNorm, feedForwardNorm;
        readonly Linear query, key, value, output, feedForwardIn, feedForwardOut;
        readonly Dropout dropout1, dropout2, dropout3;
        readonly int heads;
        readonly Extras extras;

        public Block(int width, int heads, Extras extras) : base("block")
        {
            this.heads = heads;
            this.extras = extras;
            query = nn.Linear(width, width);
            key = nn.Linear(width, width);
            value = nn.Linear(width, width);
            output = nn.Linear(width, width);
            attentionNorm = nn.LayerNorm(width);
            feedForwardNorm = nn.LayerNorm(width);
            feedForwardIn = nn.Linear(width, 4 * width);
            feedForwardOut = nn.Linear(4 * width, width);
            dropout1 = nn.Dropout(0);
            dropout2 = nn.Dropout(0);
            dropout3 = nn.Dropout(0);
            RegisterComponents();
        }

        Tensor Drop(Dropout dropout, Tensor t) => (extras & Extras.DropoutCalls) != 0 ? dropout.call(t) : t;

        public override Tensor forward(Tensor x)
        {
            long batch = x.shape[0], time = x.shape[1], width = x.shape[2], headSize = width / heads;
            Tensor Split(Tensor t) => t.view(batch, time, heads, headSize).transpose(1, 2);
            var normed = attentionNorm.call(x);
            var q = Split(query.call(normed));
            var k = Split(key.call(normed));
            var v = Split(value.call(normed));
            Tensor mixed;
            if ((extras & Extras.ContiguousHeads) != 0) (q, k, v) = (q.contiguous(), k.contiguous(), v.contiguous());
            if ((extras & Extras.FusedAttention) != 0) mixed = nn.functional.scaled_dot_product_attention(q, k, v, null, 0.0, false);
            else mixed = Drop(dropout1, (q.matmul(k.transpose(-2, -1)) / Math.Sqrt(headSize)).softmax(-1)).matmul(v);
            x = x + Drop(dropout2, output.call(mixed.transpose(1, 2).reshape(batch, time, width)));
            return x + Drop(dropout3, feedForwardOut.call(nn.functional.gelu(feedForwardIn.call(feedForwardNorm.call(x)))));
        }
    }

    const double LearningRate = 3e-3, Clip = 1.0;

    /// <summary>A hand-written training loop kept alive between steps, so that several of them can take turns step by step.</summary>
    sealed class HandLoop : IDisposable
    {
        readonly nn.Module network;
        readonly List<Parameter> parameters;
        readonly optim.Optimizer optimizer;
        readonly Generator generator = new(1);
        readonly Func<nn.Module, SequenceBatch, Tensor> forward;
        readonly Func<Generator, SequenceBatch> sample;
        public readonly List<(double Forward, double Backward, double Step)> Times = [];

        public HandLoop(Func<nn.Module> build, Func<nn.Module, SequenceBatch, Tensor> forward, Func<Generator, SequenceBatch> sample)
        {
            torch.manual_seed(1);
            network = build();
            network.train();
            parameters = network.parameters().ToList();
            optimizer = optim.Adam(parameters, LearningRate);
            this.forward = forward;
            this.sample = sample;
        }

        public void Step()
        {
            long start = Stopwatch.GetTimestamp();
            using (var scope = NewDisposeScope())
            {
                using var batch = sample(generator);
                optimizer.zero_grad();
                long forwardStart = Stopwatch.GetTimestamp();
                var loss = nn.functional.mse_loss(forward(network, batch), batch.Targets);
                long backwardStart = Stopwatch.GetTimestamp();
                loss.backward();
                loss.item<float>();
                long backwardEnd = Stopwatch.GetTimestamp();
                nn.utils.clip_grad_norm_(parameters, Clip);
                optimizer.step();
                Times.Add((Stopwatch.GetElapsedTime(forwardStart, backwardStart).TotalMilliseconds, Stopwatch.GetElapsedTime(backwardStart, backwardEnd).TotalMilliseconds, 0));
            }
            Times[^1] = Times[^1] with { Step = Stopwatch.GetElapsedTime(start).TotalMilliseconds };
        }

        public void Dispose()
        {
            optimizer.Dispose();
            generator.Dispose();
            network.Dispose();
        }
    }

    /// <summary>
    /// SeqLab's trainer with no monitor: the time of each of its steps, from the end of one to the end of the next (ms).
    /// <paramref name="between"/> runs one step of another loop between two of the trainer's (its time left out), so the
    /// two take turns step by step.
    /// </summary>
    static List<double> TrainerSteps(Func<Generator, SequenceBatch> sample, int steps, SequenceModelOptions options, HandLoop? between = null)
    {
        torch.manual_seed(1);
        var network = new SequenceModel(options);
        using var evaluationGenerator = new Generator(2);
        using var validation = sample(evaluationGenerator);
        var trainer = new Trainer(new TrainingOptions(steps, 64, LearningRate, Clip, 1, 2, steps), new MonitoringOptions(steps) { ExpensiveEvery = steps, Monitors = [] });
        using var generator = new Generator(1);
        var ends = new List<long>();
        var resumes = new List<long>();
        trainer.Train(network, (g, _) => sample(g), generator, validation, validation, new TrainingRun
        {
            Observer = _ =>
            {
                ends.Add(Stopwatch.GetTimestamp());
                between?.Step();
                resumes.Add(Stopwatch.GetTimestamp());
            },
        });
        network.Dispose();
        return resumes.Zip(ends.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a, b).TotalMilliseconds).SkipLast(1).ToList(); // the last step evaluates
    }

    static double Median(IEnumerable<double> values)
    {
        var list = values.Order().ToList();
        return list[list.Count / 2];
    }

    /// <summary>
    /// The loops take turns step by step (every loop's step n runs between every loop's step n − 1 and n + 1), so the
    /// machine's bursts hit them alike; then the raw loop and SeqLab's trainer alternate whole runs. Per-step medians.
    /// </summary>
    public static void Run(int steps, int repeats)
    {
        torch.set_num_threads(2);
        var adding = new AddingProblem(50);
        SequenceBatch Sample(Generator g) => adding.Sample(64, g);
        var options = new SequenceModelOptions(InputOptions.ForFeatures(2), new TransformerOptions(32, 4, 2), new HeadOptions(TaskKind.SequenceRegression, 1));
        HandLoop Raw(Extras extras) => new(() => new Model(2, 32, 2, extras), (m, b) => ((Model)m).call(b.Inputs), Sample);
        var cases = new List<(string Name, HandLoop Loop)>
        {
            ("raw (written-out attention, as side-by-side)", Raw(Extras.None)),
            ("raw + fused attention", Raw(Extras.FusedAttention)),
            ("raw + fused attention on contiguous heads", Raw(Extras.FusedAttention | Extras.ContiguousHeads)),
            ("raw, written-out attention on contiguous heads", Raw(Extras.ContiguousHeads)),
            ("raw + fused + positions every pass", Raw(Extras.FusedAttention | Extras.PositionsEveryPass)),
            ("raw + fused + dropout calls at 0", Raw(Extras.FusedAttention | Extras.DropoutCalls)),
            ("raw + fused + masked mean", Raw(Extras.FusedAttention | Extras.MaskedMean)),
            ("raw + all of SeqLab's extras", Raw(Extras.All)),
            ("SeqLab's model in the hand loop", new(() => new SequenceModel(options), (m, b) => ((SequenceModel)m).Forward(b.Inputs, b.Lengths), Sample)),
        };
        Console.WriteLine();
        Console.WriteLine($"## Where the main job's Transformer step goes (adding T 50, d 32, 4 heads, 2 blocks, batch 64, 2 threads)");
        Console.WriteLine($"The hand-written loops take turns step by step ({repeats * steps} steps each after 20 warm-up steps); medians of the per-step times, ms.");
        for (int step = 0; step < 20 + repeats * steps; step++)
            foreach (var (_, loop) in cases) loop.Step();
        double baseline = Median(cases[0].Loop.Times.Skip(20).Select(t => t.Step));
        Console.WriteLine("| loop | forward + loss ms | backward ms | step ms | % of the raw loop's speed |\n|---|---|---|---|---|");
        foreach (var (name, loop) in cases)
        {
            var times = loop.Times.Skip(20).ToList();
            double step = Median(times.Select(t => t.Step));
            Console.WriteLine($"| {name} | {Median(times.Select(t => t.Forward)):F2} | {Median(times.Select(t => t.Backward)):F2} | {step:F2} | {100 * baseline / step:F0} % |");
            loop.Dispose();
        }

        Console.WriteLine();
        Console.WriteLine($"Raw loop against SeqLab's trainer (`monitors: none`), taking turns step by step over {repeats * steps} steps after 20 warm-up steps; medians of the per-step times, ms:");
        using var rawLoop = Raw(Extras.None);
        var seqlab = TrainerSteps(Sample, 20 + repeats * steps, options, rawLoop).Skip(20).ToList();
        var raw = rawLoop.Times.Skip(20).Select(t => t.Step).ToList();
        Console.WriteLine($"| raw {Median(raw):F2} | SeqLab {Median(seqlab):F2} | {100 * Median(raw) / Median(seqlab):F0} % |");
    }

    /// <summary>Each of SeqLab's extras alone, round-robin (median of 2,000 after 200 warm-ups, µs).</summary>
    public static void Extras_()
    {
        torch.set_num_threads(2);
        using var steps = randn(64, 50, 32);
        using var dropout = nn.Dropout(0);
        dropout.train();
        var cases = new (string Name, Action Run)[]
        {
            ("sinusoidal table [50, 32] built", () => Model.SinusoidForBench(50, 32)),
            ("LengthMask.Valid(null, 64, 50)", () => SeqLab.Runtime.Tensors.LengthMask.Valid(null, 64, 50)),
            ("Dropout(0) called in training", () => dropout.call(steps)),
            ("mean over time, forward + backward", () => { var x = steps.detach().requires_grad_(true); x.mean([1]).sum().backward(); }),
            ("masked mean (mask of ones), forward + backward", () =>
            {
                var x = steps.detach().requires_grad_(true);
                var weights = ones([64, 50], ScalarType.Bool).to(x.dtype).unsqueeze(2);
                ((x * weights).sum(1) / weights.sum(1)).sum().backward();
            }),
            ("LengthMask.Needed(lengths 64, 50)", () => SeqLab.Runtime.Tensors.LengthMask.Needed(full(64, 50L, ScalarType.Int64), 50)),
        };
        var samples = cases.Select(_ => new List<double>()).ToArray();
        for (int i = 0; i < 2200; i++)
            for (int j = 0; j < cases.Length; j++)
            {
                using var scope = NewDisposeScope();
                long start = Stopwatch.GetTimestamp();
                cases[j].Run();
                if (i >= 200) samples[j].Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            }
        Console.WriteLine();
        Console.WriteLine("## SeqLab's extras alone (main-job shapes; round-robin, median of 2,000, µs)");
        Console.WriteLine("| operation | µs |\n|---|---|");
        for (int j = 0; j < cases.Length; j++) Console.WriteLine($"| {cases[j].Name} | {Median(samples[j]):F1} |");
    }

    /// <summary>The attention alone, forward + backward: LibTorch's fused kernel against the written-out arithmetic, per shape (median of 200 after 20 warm-ups, ms).</summary>
    public static void Attention()
    {
        torch.set_num_threads(2);
        Console.WriteLine();
        Console.WriteLine("## Attention alone, forward + backward (q, k, v from a [batch, time, d] projection split into heads; 2 threads; median of 200, ms)");
        Console.WriteLine("| batch, time, heads × head size | written out | fused (strided q, k, v) | fused (contiguous q, k, v) | fused, causal flag | fused / written out | fused equal to the contiguous call |\n|---|---|---|---|---|---|---|");
        foreach (var (batch, time, heads, headSize) in new[] { (64, 50, 4, 8), (32, 30, 4, 8), (32, 11, 4, 8), (32, 20, 4, 16), (64, 100, 4, 32), (32, 64, 4, 32) })
        {
            torch.manual_seed(1);
            long width = heads * headSize;
            using var projected = randn(batch, time, 3 * width);
            Tensor Split(Tensor t) => t.view(batch, time, heads, headSize).transpose(1, 2);
            double Once(Func<Tensor, Tensor, Tensor, Tensor> attend, bool contiguous)
            {
                using var scope = NewDisposeScope();
                var leaf = projected.detach().requires_grad_(true);
                var parts = leaf.chunk(3, 2);
                var (q, k, v) = (Split(parts[0]), Split(parts[1]), Split(parts[2]));
                if (contiguous) (q, k, v) = (q.contiguous(), k.contiguous(), v.contiguous());
                long start = Stopwatch.GetTimestamp();
                attend(q, k, v).transpose(1, 2).reshape(batch, time, width).sum().backward();
                return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            Tensor Written(Tensor q, Tensor k, Tensor v) => (q.matmul(k.transpose(-2, -1)) / Math.Sqrt(headSize)).softmax(-1).matmul(v);
            Tensor Fused(Tensor q, Tensor k, Tensor v) => nn.functional.scaled_dot_product_attention(q, k, v, null, 0.0, false);
            Tensor FusedCausal(Tensor q, Tensor k, Tensor v) => nn.functional.scaled_dot_product_attention(q, k, v, null, 0.0, true);
            bool equal;
            using (var scope = NewDisposeScope())
            {
                var parts = projected.chunk(3, 2);
                var (q, k, v) = (Split(parts[0]), Split(parts[1]), Split(parts[2]));
                equal = Fused(q, k, v).eq(Fused(q.contiguous(), k.contiguous(), v.contiguous())).all().item<bool>();
            }
            // Round-robin, so that the machine's bursts hit every variant alike.
            var variants = new (Func<Tensor, Tensor, Tensor, Tensor> Attend, bool Contiguous)[] { (Written, false), (Fused, false), (Fused, true), (FusedCausal, false) };
            var samples = variants.Select(_ => new List<double>()).ToArray();
            for (int i = 0; i < 220; i++)
                for (int j = 0; j < variants.Length; j++)
                {
                    double ms = Once(variants[j].Attend, variants[j].Contiguous);
                    if (i >= 20) samples[j].Add(ms);
                }
            var medians = samples.Select(list => list.Order().ElementAt(list.Count / 2)).ToArray();
            var (written, fused, fusedContiguous, causal) = (medians[0], medians[1], medians[2], medians[3]);
            Console.WriteLine($"| {batch}, {time}, {heads} × {headSize} | {written:F2} | {fused:F2} | {fusedContiguous:F2} | {causal:F2} | {fused / written:F2} | {(equal ? "yes" : "no")} |");
        }
    }
}
