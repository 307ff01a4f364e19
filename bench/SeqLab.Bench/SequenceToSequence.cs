using System.Diagnostics;
using SeqLab.Data.Batches;
using SeqLab.Models;
using SeqLab.Models.Recurrent;
using SeqLab.Models.SequenceToSequence;
using SeqLab.Training;
using SeqLab.Training.Criteria;
using SeqLab.Training.Logging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SeqLab.Bench;

/// <summary>
/// Sequence to sequence (`seq2seq`, `seq2seq-memory`): SeqLab's trainer on its encoder–decoders beside a raw TorchSharp
/// loop of the same model — embeddings, GRU or Transformer blocks, attention, the output layer, cross-entropy over the
/// valid target steps, clipping and Adam written with TorchSharp's modules, nothing of SeqLab inside the loop — on the same
/// batches; and live tensors and resident memory over a long run.
/// </summary>
static class SequenceToSequence
{
    /// <summary>One problem size: source and target lengths drawn uniformly from their ranges (the target's end token comes on top), token ids uniform over the vocabularies.</summary>
    public sealed record Size(string Name, int Batch, int MinSource, int MaxSource, int MinTarget, int MaxTarget, int SourceVocabulary, int TargetVocabulary,
        int Embedding, int Hidden, int ModelSize, int Steps);

    public enum Model { GruAdditive, Transformer }

    static string Label(Model model) => model == Model.GruAdditive ? "GRU encoder–decoder, additive attention" : "Transformer encoder–decoder";

    public static readonly Size[] Sizes =
    [
        new("dates-like: batch 64, source 8–30 characters, target 10 + end, vocabularies 60 / 15; GRU hidden 64 (embedding 32), Transformer d 32",
            64, 8, 30, 10, 10, 60, 15, 32, 64, 32, 250),
        new("translation-like: batch 32, source and target 8–20 words (+ end), vocabularies 4,000 / 5,000; GRU hidden 128 (embedding 64), Transformer d 64",
            32, 8, 20, 8, 20, 4000, 5000, 64, 128, 64, 250),
    ];

    const double LearningRate = 1e-3, Clip = 1.0;
    const int Threads = 2, Heads = 4, Layers = 2;

    /// <summary>Seeded pair batches: <see cref="Collate.Pairs"/> as SeqLab's data kinds collate them (start 1, end 2, padding 0; ids from 4, after the reserved ones).</summary>
    static Func<Generator, SequenceBatch> Sampler(Size size) => g =>
    {
        long[] Draw(long low, long high, params long[] shape)
        {
            using var drawn = randint(low, high, shape, generator: g);
            return drawn.data<long>().ToArray();
        }
        var sourceLengths = Draw(size.MinSource, size.MaxSource + 1, size.Batch);
        var targetLengths = Draw(size.MinTarget, size.MaxTarget + 1, size.Batch);
        var sourceTokens = Draw(4, size.SourceVocabulary, size.Batch, size.MaxSource);
        var targetTokens = Draw(4, size.TargetVocabulary, size.Batch, size.MaxTarget);
        var sources = Enumerable.Range(0, size.Batch).Select(b => sourceTokens.AsSpan(b * size.MaxSource, (int)sourceLengths[b]).ToArray()).ToList();
        var targets = Enumerable.Range(0, size.Batch).Select(b => targetTokens.AsSpan(b * size.MaxTarget, (int)targetLengths[b]).ToArray()).ToList();
        return Collate.Pairs(sources, targets, start: 1, end: 2);
    };

    // ---------------------------------------------------------------- the raw TorchSharp loop

    /// <summary>A raw encoder–decoder: logits [batch, target, vocabulary] from the source, its lengths and the decoder's input.</summary>
    abstract class RawModel(string name) : nn.Module<Tensor, Tensor, Tensor, Tensor>(name);

    /// <summary>
    /// Bahdanau-style GRU encoder–decoder written with TorchSharp's modules: the packed source through nn.GRU, tanh(W h_S)
    /// starts the decoder GRU over the embedded target, additive scores vᵀ tanh(W s_t + U h_j) with padding masked, the
    /// context joins the state in tanh(W_c [c_t; s_t]), a linear layer gives the logits.
    /// </summary>
    sealed class RawGru : RawModel
    {
        readonly Embedding sourceEmbedding, targetEmbedding;
        readonly GRU encoder, decoder;
        readonly Linear bridge, queryProjection, keyProjection, score, combine, output;

        public RawGru(Size size) : base("raw_gru")
        {
            sourceEmbedding = nn.Embedding(size.SourceVocabulary, size.Embedding);
            targetEmbedding = nn.Embedding(size.TargetVocabulary, size.Embedding);
            encoder = nn.GRU(size.Embedding, size.Hidden, 1, batchFirst: true);
            decoder = nn.GRU(size.Embedding, size.Hidden, 1, batchFirst: true);
            bridge = nn.Linear(size.Hidden, size.Hidden);
            queryProjection = nn.Linear(size.Hidden, size.Hidden, hasBias: false);
            keyProjection = nn.Linear(size.Hidden, size.Hidden);
            score = nn.Linear(size.Hidden, 1, hasBias: false);
            combine = nn.Linear(2 * size.Hidden, size.Hidden, hasBias: false);
            output = nn.Linear(size.Hidden, size.TargetVocabulary);
            RegisterComponents();
        }

        public override Tensor forward(Tensor source, Tensor lengths, Tensor decoderInputs)
        {
            long time = source.shape[1];
            using var packed = nn.utils.rnn.pack_padded_sequence(sourceEmbedding.call(source), lengths, batch_first: true, enforce_sorted: false);
            var (packedKeys, final) = encoder.call(packed);
            Tensor keys;
            using (packedKeys) keys = nn.utils.rnn.pad_packed_sequence(packedKeys, batch_first: true, total_length: time).Item1; // [batch, source, hidden]
            var (states, _) = decoder.call(targetEmbedding.call(decoderInputs), tanh(bridge.call(final))); // [batch, target, hidden]
            var scores = score.call(tanh(queryProjection.call(states).unsqueeze(2) + keyProjection.call(keys).unsqueeze(1))).squeeze(-1); // [batch, target, source]
            var padding = arange(time).unsqueeze(0).ge(lengths.unsqueeze(1)); // [batch, source]
            var weights = scores.masked_fill(padding.unsqueeze(1), double.NegativeInfinity).softmax(-1);
            var context = weights.bmm(keys);
            return output.call(tanh(combine.call(cat([context, states], 2))));
        }
    }

    /// <summary>Multi-head attention written with TorchSharp's modules: LibTorch's fused kernel, or the arithmetic written out.</summary>
    sealed class RawAttention : nn.Module
    {
        readonly Linear query, key, value, output;
        readonly int heads;

        public RawAttention(int width, int heads) : base("attention")
        {
            this.heads = heads;
            query = nn.Linear(width, width);
            key = nn.Linear(width, width);
            value = nn.Linear(width, width);
            output = nn.Linear(width, width);
            RegisterComponents();
        }

        /// <summary><paramref name="allowed"/> [batch, 1, 1, keys] is true where a key may be read; <paramref name="causal"/> hides later keys.</summary>
        public Tensor Attend(Tensor queries, Tensor keysAndValues, Tensor? allowed, bool causal, bool fused)
        {
            long batch = queries.shape[0], time = queries.shape[1], width = queries.shape[2], keyTime = keysAndValues.shape[1], headSize = width / heads;
            Tensor Split(Tensor t, long steps) => t.view(batch, steps, heads, headSize).transpose(1, 2);
            var q = Split(query.call(queries), time);
            var k = Split(key.call(keysAndValues), keyTime);
            var v = Split(value.call(keysAndValues), keyTime);
            Tensor mixed;
            if (fused) mixed = F.scaled_dot_product_attention(q, k, v, allowed, 0.0, causal);
            else
            {
                var scores = q.matmul(k.transpose(-2, -1)) / Math.Sqrt(headSize);
                if (causal) scores = scores.masked_fill(ones(time, keyTime, ScalarType.Bool).triu(1), double.NegativeInfinity);
                if (allowed is not null) scores = scores.masked_fill(allowed.logical_not(), double.NegativeInfinity);
                mixed = scores.softmax(-1).matmul(v);
            }
            return output.call(mixed.transpose(1, 2).reshape(batch, time, width));
        }
    }

    sealed class FeedForward : nn.Module<Tensor, Tensor>
    {
        readonly Linear input, output;

        public FeedForward(int width) : base("feed_forward")
        {
            input = nn.Linear(width, 4 * width);
            output = nn.Linear(4 * width, width);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => output.call(F.gelu(input.call(x)));
    }

    sealed class RawEncoderBlock : nn.Module
    {
        readonly LayerNorm attentionNorm, feedForwardNorm;
        readonly RawAttention attention;
        readonly FeedForward feedForward;

        public RawEncoderBlock(int width) : base("encoder_block")
        {
            attentionNorm = nn.LayerNorm(width);
            feedForwardNorm = nn.LayerNorm(width);
            attention = new RawAttention(width, Heads);
            feedForward = new FeedForward(width);
            RegisterComponents();
        }

        public Tensor Apply(Tensor x, Tensor allowed, bool fused)
        {
            var normed = attentionNorm.call(x);
            x = x + attention.Attend(normed, normed, allowed, false, fused);
            return x + feedForward.call(feedForwardNorm.call(x));
        }
    }

    sealed class RawDecoderBlock : nn.Module
    {
        readonly LayerNorm selfNorm, crossNorm, feedForwardNorm;
        readonly RawAttention selfAttention, crossAttention;
        readonly FeedForward feedForward;

        public RawDecoderBlock(int width) : base("decoder_block")
        {
            selfNorm = nn.LayerNorm(width);
            crossNorm = nn.LayerNorm(width);
            feedForwardNorm = nn.LayerNorm(width);
            selfAttention = new RawAttention(width, Heads);
            crossAttention = new RawAttention(width, Heads);
            feedForward = new FeedForward(width);
            RegisterComponents();
        }

        public Tensor Apply(Tensor x, Tensor memory, Tensor allowed, bool fused)
        {
            var normed = selfNorm.call(x);
            x = x + selfAttention.Attend(normed, normed, null, true, fused);
            x = x + crossAttention.Attend(crossNorm.call(x), memory, allowed, false, fused);
            return x + feedForward.call(feedForwardNorm.call(x));
        }
    }

    /// <summary>A pre-norm Transformer encoder–decoder (Vaswani et al. 2017) written with TorchSharp's modules; sinusoidal positions built once.</summary>
    sealed class RawTransformer : RawModel
    {
        readonly Embedding sourceEmbedding, targetEmbedding;
        readonly ModuleList<RawEncoderBlock> encoderBlocks;
        readonly ModuleList<RawDecoderBlock> decoderBlocks;
        readonly LayerNorm encoderNorm, decoderNorm;
        readonly Linear output;
        readonly Tensor positions;
        readonly bool fused;

        public RawTransformer(Size size, bool fused) : base("raw_transformer")
        {
            this.fused = fused;
            int width = size.ModelSize;
            sourceEmbedding = nn.Embedding(size.SourceVocabulary, width);
            targetEmbedding = nn.Embedding(size.TargetVocabulary, width);
            encoderBlocks = new ModuleList<RawEncoderBlock>(Enumerable.Range(0, Layers).Select(_ => new RawEncoderBlock(width)).ToArray());
            decoderBlocks = new ModuleList<RawDecoderBlock>(Enumerable.Range(0, Layers).Select(_ => new RawDecoderBlock(width)).ToArray());
            encoderNorm = nn.LayerNorm(width);
            decoderNorm = nn.LayerNorm(width);
            output = nn.Linear(width, size.TargetVocabulary);
            positions = Sinusoid(Math.Max(size.MaxSource, size.MaxTarget + 1), width);
            RegisterComponents();
        }

        static Tensor Sinusoid(int length, int width)
        {
            using var scope = NewDisposeScope();
            var position = arange(length, ScalarType.Float32).unsqueeze(1);
            var frequency = exp(arange(0, width, 2, ScalarType.Float32) * (-Math.Log(10000.0) / width));
            var table = zeros(length, width);
            table[.., TensorIndex.Slice(0, null, 2)] = sin(position * frequency);
            table[.., TensorIndex.Slice(1, null, 2)] = cos(position * frequency);
            return table.DetachFromDisposeScope();
        }

        public override Tensor forward(Tensor source, Tensor lengths, Tensor decoderInputs)
        {
            long sourceTime = source.shape[1], targetTime = decoderInputs.shape[1];
            var allowed = arange(sourceTime).unsqueeze(0).lt(lengths.unsqueeze(1)).unsqueeze(1).unsqueeze(1); // [batch, 1, 1, source]: real keys
            var x = sourceEmbedding.call(source) + positions.narrow(0, 0, sourceTime);
            foreach (var block in encoderBlocks) x = block.Apply(x, allowed, fused);
            var memory = encoderNorm.call(x);
            var y = targetEmbedding.call(decoderInputs) + positions.narrow(0, 0, targetTime);
            foreach (var block in decoderBlocks) y = block.Apply(y, memory, allowed, fused);
            return output.call(decoderNorm.call(y));
        }
    }

    static RawModel Raw(Model model, Size size, bool fused) => model == Model.GruAdditive ? new RawGru(size) : new RawTransformer(size, fused);

    /// <summary>The raw loop: ms of each step (batch, forward, masked cross-entropy, backward, clipping, Adam; one dispose scope per step).</summary>
    static List<double> RawSteps(Model model, Size size, Func<Generator, SequenceBatch> sample, int steps, bool fused, Action<int>? observe = null)
    {
        torch.manual_seed(1);
        var network = Raw(model, size, fused);
        network.train();
        var parameters = network.parameters().ToList();
        using var optimizer = optim.Adam(parameters, LearningRate);
        using var generator = new Generator(1);
        var times = new List<double>(steps);
        for (int step = 1; step <= steps; step++)
        {
            long start = Stopwatch.GetTimestamp();
            using (var scope = NewDisposeScope())
            {
                using var batch = sample(generator);
                optimizer.zero_grad();
                var logits = network.call(batch.Inputs, batch.Lengths!, batch.DecoderInputs!);
                var valid = arange(logits.shape[1]).unsqueeze(0).lt(batch.TargetLengths!.unsqueeze(1)); // [batch, target]: real target steps
                var loss = F.cross_entropy(logits[valid], batch.Targets[valid]);
                loss.backward();
                loss.item<float>();
                nn.utils.clip_grad_norm_(parameters, Clip);
                optimizer.step();
                observe?.Invoke(step);
            }
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        network.Dispose();
        return times;
    }

    // ---------------------------------------------------------------- SeqLab's trainer

    static ISequenceModel SeqLabModel(Model model, Size size) => model == Model.GruAdditive
        ? new RecurrentEncoderDecoder(new RecurrentEncoderDecoderOptions(new SequencePairOptions(InputOptions.ForTokens(size.SourceVocabulary, size.Embedding), size.TargetVocabulary, size.Embedding),
            RecurrentKind.Gru, size.Hidden, Attention: AttentionKind.Additive))
        : new TransformerEncoderDecoder(new TransformerEncoderDecoderOptions(new SequencePairOptions(InputOptions.ForTokens(size.SourceVocabulary, size.ModelSize), size.TargetVocabulary, size.ModelSize),
            size.ModelSize, Heads, Layers, Layers));

    /// <summary>SeqLab's trainer: ms per step over the run (its evaluations left out), the time of each step (observer to observer; the last, evaluated, left out), and the time split.</summary>
    static (double Milliseconds, List<double> Steps, TimeSplit Time) SeqLabRun(Model model, Size size, Func<Generator, SequenceBatch> sample, int steps, bool defaultMonitoring,
        Action<int>? observe = null)
    {
        torch.manual_seed(1);
        var network = SeqLabModel(model, size);
        using var evaluationGenerator = new Generator(2);
        using var validation = sample(evaluationGenerator);
        using var test = sample(evaluationGenerator);
        using var monitoringBatch = validation.Take(32);
        // "Minimal" is no monitor at all: the loop still logs the loss, the global gradient norm and clipping every step.
        var monitoring = defaultMonitoring ? new MonitoringOptions(50) : new MonitoringOptions(steps) { ExpensiveEvery = steps, Monitors = [] };
        var trainer = new Trainer(new TrainingOptions(steps, size.Batch, LearningRate, Clip, 1, Threads, steps), monitoring);
        using var generator = new Generator(1);
        var marks = new List<long>(steps);
        var outcome = trainer.Train(network, (g, _) => sample(g), generator, validation, test, new TrainingRun
        {
            Criterion = new TokenSequenceCriterion(),
            MonitoringBatch = defaultMonitoring ? monitoringBatch : null,
            Observer = metrics =>
            {
                marks.Add(Stopwatch.GetTimestamp());
                observe?.Invoke(metrics.Step);
            },
        });
        network.Module.Dispose();
        if (outcome.Status != TrainingStatus.Completed) throw new InvalidOperationException($"{Label(model)}: {outcome.Status} {outcome.Divergence}");
        var stepTimes = marks.Zip(marks.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a, b).TotalMilliseconds).SkipLast(1).ToList();
        return (1000 * (outcome.WallSeconds - outcome.Log.Time[TimeSplit.Evaluation]) / steps, stepTimes, outcome.Log.Time);
    }

    static double Median(IEnumerable<double> values)
    {
        var list = values.Order().ToList();
        return list[list.Count / 2];
    }

    // ---------------------------------------------------------------- the tables

    /// <summary>
    /// Every model and size: the raw loop (the Transformer's both with LibTorch's fused attention, as SeqLab runs it, and with
    /// the arithmetic written out), SeqLab with `monitors: none` and with the defaults — alternating runs, the median of
    /// <paramref name="repeats"/> run means, and the median step of all runs; then where SeqLab's time goes.
    /// </summary>
    public static void Run(IReadOnlyList<string> only, IReadOnlyList<int>? sizes, int? steps, int repeats)
    {
        torch.set_num_threads(Threads);
        Console.WriteLine();
        Console.WriteLine($"## Sequence to sequence: SeqLab beside a raw TorchSharp loop ({Threads} threads, Adam {LearningRate}, clip {Clip}; median of {repeats} alternating runs)");
        Console.WriteLine("ms/step = a run's wall time over its steps (SeqLab's evaluations left out), median of the runs; in brackets the median single step of all runs, which the machine's bursts hardly move. "
            + "minimal: `monitors: none`; default: every monitor every 50 steps, the expensive ones on a 32-pair batch every 250 and at the first and last step.");
        var splits = new List<(string Case, TimeSplit Time, int Steps)>();
        foreach (var size in Sizes.Where((_, index) => sizes is null || sizes.Count == 0 || sizes.Contains(index + 1)))
        {
            var sized = size with { Steps = steps ?? size.Steps };
            var sample = Sampler(sized);
            Console.WriteLine();
            Console.WriteLine($"### {sized.Name} ({sized.Steps} steps a run)");
            Console.WriteLine("| model | raw loop | raw ms/step | SeqLab minimal ms/step (% of raw speed) | SeqLab default ms/step (% of raw speed) |");
            Console.WriteLine("|---|---|---|---|---|");
            foreach (var model in Enum.GetValues<Model>())
            {
                if (only.Count > 0 && !only.Contains(model.ToString(), StringComparer.OrdinalIgnoreCase)) continue;
                var raws = model == Model.Transformer ? new[] { true, false } : [true]; // the fused flag; the GRU has no choice to make
                foreach (bool fused in raws) RawSteps(model, sized, sample, 10, fused); // warm-up
                SeqLabRun(model, sized, sample, 10, false);
                var raw = raws.ToDictionary(f => f, _ => (Means: new List<double>(), Steps: new List<double>()));
                var minimal = (Means: new List<double>(), Steps: new List<double>());
                var monitored = (Means: new List<double>(), Steps: new List<double>());
                TimeSplit? lastSplit = null;
                for (int i = 0; i < repeats; i++)
                {
                    foreach (bool fused in raws)
                    {
                        var times = RawSteps(model, sized, sample, sized.Steps, fused);
                        raw[fused].Means.Add(times.Average());
                        raw[fused].Steps.AddRange(times.Skip(1));
                    }
                    var (ms, stepTimes, _) = SeqLabRun(model, sized, sample, sized.Steps, false);
                    minimal.Means.Add(ms);
                    minimal.Steps.AddRange(stepTimes);
                    (ms, stepTimes, var split) = SeqLabRun(model, sized, sample, sized.Steps, true);
                    monitored.Means.Add(ms);
                    monitored.Steps.AddRange(stepTimes);
                    lastSplit = split;
                }
                double m = Median(minimal.Means), d = Median(monitored.Means), ms1 = Median(minimal.Steps), ds1 = Median(monitored.Steps);
                foreach (bool fused in raws)
                {
                    double r = Median(raw[fused].Means), rs = Median(raw[fused].Steps);
                    string loop = model == Model.GruAdditive ? "nn.GRU, packed source" : fused ? "fused attention (as SeqLab)" : "attention written out";
                    Console.WriteLine($"| {Label(model)} | {loop} | {r:F1} [{rs:F1}] | {m:F1} ({100 * r / m:F0} %) [{ms1:F1}: {100 * rs / ms1:F0} %] | {d:F1} ({100 * r / d:F0} %) [{ds1:F1}: {100 * rs / ds1:F0} %] |");
                }
                splits.Add(($"{Label(model)}, {sized.Name.Split(':')[0]}", lastSplit!, sized.Steps));
            }
        }

        Console.WriteLine();
        Console.WriteLine("### Where SeqLab's time goes (default monitoring, the last run of each case; ms per step)");
        var phases = TimeSplit.Phases.Concat(["monitors"]).ToList();
        Console.WriteLine("| case | " + string.Join(" | ", phases) + " |");
        Console.WriteLine("|---|" + string.Concat(phases.Select(_ => "---|")));
        foreach (var (name, time, runSteps) in splits)
            Console.WriteLine($"| {name} | " + string.Join(" | ", phases.Select(phase => $"{1000 * (phase == "monitors" ? time.MonitorSeconds : time[phase]) / runSteps:F2}")) + " |");
    }

    /// <summary>Resident memory and live tensors at steps 500 and <paramref name="steps"/> of the raw loop and of SeqLab's trainer with default monitoring (the dates-like size).</summary>
    public static void Memory(int steps, IReadOnlyList<string> only)
    {
        torch.set_num_threads(Threads);
        var size = Sizes[0];
        var sample = Sampler(size);
        Console.WriteLine();
        Console.WriteLine($"## Sequence to sequence, memory over {steps:N0} steps ({size.Name.Split(';')[0]}): resident set (MB) and live tensors at steps 500 and {steps:N0}");
        Console.WriteLine($"| model | loop | RSS at 500 | RSS at {steps:N0} | change | live tensors at 500 | at {steps:N0} |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var model in Enum.GetValues<Model>())
        {
            if (only.Count > 0 && !only.Contains(model.ToString(), StringComparer.OrdinalIgnoreCase)) continue;
            foreach (var loop in new[] { "raw TorchSharp", "SeqLab, default monitoring" })
            {
                var samples = new Dictionary<int, (double Rss, long Live)>();
                void Observe(int step)
                {
                    if (step == 500 || step == steps) samples[step] = (ResidentMegabytes(), DisposeScopeManager.Statistics.ThreadTotalLiveCount);
                }
                if (loop.StartsWith("raw", StringComparison.Ordinal)) RawSteps(model, size, sample, steps, fused: true, Observe);
                else SeqLabRun(model, size, sample, steps, true, Observe);
                var (early, late) = (samples[500], samples[steps]);
                Console.WriteLine($"| {Label(model)} | {loop} | {early.Rss:F0} | {late.Rss:F0} | {100 * (late.Rss / early.Rss - 1):+0.0;-0.0} % | {early.Live} | {late.Live} |");
            }
        }
    }

    static double ResidentMegabytes() =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
}
