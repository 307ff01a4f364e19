using System.Diagnostics;
using SeqLab.Data.Batches;
using SeqLab.Data.Synthetic;
using SeqLab.Data.Text;
using SeqLab.Models;
using SeqLab.Models.Recurrent;
using SeqLab.Training;
using SeqLab.Training.Logging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SeqLab.Bench;

/// <summary>
/// SeqLab's trainer beside a raw TorchSharp loop (no SeqLab code inside the loop) and the same loop in PyTorch, per model
/// and size, in one process: ms per step, the ratios, GFLOP/s against a measured SGEMM peak — and resident memory and live
/// tensors over a long run.
/// </summary>
static class SideBySide
{
    /// <summary>One problem size. Features: real-valued inputs and a regression on the whole sequence; else a character language model.</summary>
    public sealed record Size(string Name, int Batch, int Length, int Input, int Hidden, int TransformerWidth, int TransformerLayers, int Steps, bool LanguageModel = false)
    {
        public int Vocabulary { get; init; }
    }

    /// <summary>The models compared; <c>TransformerExplicit</c> is SeqLab's Transformer with <c>attention_kernel: explicit</c> beside the same raw loop.</summary>
    public enum Model { RnnTanh, RnnRelu, Lstm, Gru, Transformer, TransformerExplicit }

    static string Label(Model model) => model switch
    {
        Model.RnnTanh => "tanh RNN", Model.RnnRelu => "ReLU RNN", Model.Lstm => "LSTM", Model.Gru => "GRU", Model.TransformerExplicit => "Transformer, attention_kernel: explicit", _ => "Transformer",
    };

    public static readonly Size[] Sizes =
    [
        new("main job: adding T 50, hidden 64, batch 64", 64, 50, 2, 64, 32, 2, 250),
        new("batch 64, T 100, input 64, hidden 128", 64, 100, 64, 128, 128, 2, 100),
        new("batch 64, T 100, input 64, hidden 256", 64, 100, 64, 256, 256, 2, 50),
        new("char LM: Shakespeare, batch 32, context 64, embedding 64, hidden 256", 32, 64, 64, 256, 128, 2, 50, LanguageModel: true),
    ];

    const double LearningRate = 3e-3, Clip = 1.0;
    const int Threads = 2, Repeats = 3;

    /// <summary>Batches for one size: the adding problem for the main job, seeded random features for the wider ones, Shakespeare for the language model.</summary>
    static Func<Generator, SequenceBatch> Sampler(Size size, LanguageModelData? text)
    {
        if (size.LanguageModel) return g => text!.SampleTraining(size.Batch, g);
        if (size.Input == 2)
        {
            var adding = new AddingProblem(size.Length);
            return g => adding.Sample(size.Batch, g);
        }
        return g => SequenceBatch.PerSequence(randn(size.Batch, size.Length, size.Input, generator: g), randn(size.Batch, 1, generator: g));
    }

    // ---------------------------------------------------------------- the raw TorchSharp loop

    /// <summary>The model of the raw loop: TorchSharp's own modules, nothing of SeqLab.</summary>
    sealed class RawModel : nn.Module<Tensor, Tensor>
    {
        readonly Embedding? embedding;
        readonly Linear? inputProjection;
        readonly nn.Module? recurrent;
        readonly ModuleList<RawBlock>? blocks;
        readonly LayerNorm? finalNorm;
        readonly Linear head;
        readonly Tensor? positions;
        readonly bool languageModel;

        public RawModel(Model model, Size size) : base("raw")
        {
            languageModel = size.LanguageModel;
            int input = size.LanguageModel ? size.Input : size.Input;
            if (size.LanguageModel) embedding = nn.Embedding(size.Vocabulary, size.Input);
            int width = size.Hidden;
            switch (model)
            {
                case Model.RnnTanh: recurrent = nn.RNN(input, size.Hidden, 1, TorchSharp.torch.nn.NonLinearities.Tanh, batchFirst: true); break;
                case Model.RnnRelu: recurrent = nn.RNN(input, size.Hidden, 1, TorchSharp.torch.nn.NonLinearities.ReLU, batchFirst: true); break;
                case Model.Lstm: recurrent = nn.LSTM(input, size.Hidden, 1, batchFirst: true); break;
                case Model.Gru: recurrent = nn.GRU(input, size.Hidden, 1, batchFirst: true); break;
                default:
                    width = size.TransformerWidth;
                    if (input != width) inputProjection = nn.Linear(input, width);
                    blocks = new ModuleList<RawBlock>(Enumerable.Range(0, size.TransformerLayers).Select(_ => new RawBlock(width, 4, causal: size.LanguageModel)).ToArray());
                    finalNorm = nn.LayerNorm(width);
                    positions = Sinusoid(size.Length, width);
                    break;
            }
            head = nn.Linear(width, size.LanguageModel ? size.Vocabulary : 1);
            RegisterComponents();
        }

        static Tensor Sinusoid(int length, int width)
        {
            var position = arange(length, ScalarType.Float32).unsqueeze(1);
            var frequency = exp(arange(0, width, 2, ScalarType.Float32) * (-Math.Log(10000.0) / width));
            var table = zeros(length, width);
            table[.., TensorIndex.Slice(0, null, 2)] = sin(position * frequency);
            table[.., TensorIndex.Slice(1, null, 2)] = cos(position * frequency);
            return table.DetachFromDisposeScope();
        }

        public override Tensor forward(Tensor inputs)
        {
            var x = embedding?.call(inputs) ?? inputs;
            Tensor steps;
            switch (recurrent)
            {
                case LSTM lstm: steps = lstm.call(x).Item1; break;
                case GRU gru: steps = gru.call(x).Item1; break;
                case RNN rnn: steps = rnn.call(x).Item1; break;
                default:
                    x = (inputProjection?.call(x) ?? x) + positions!;
                    foreach (var block in blocks!) x = block.call(x);
                    steps = finalNorm!.call(x);
                    if (!languageModel) return head.call(steps.mean([1])); // the encoder's summary: the mean over time
                    return head.call(steps);
            }
            return languageModel ? head.call(steps) : head.call(steps.select(1, -1));
        }
    }

    /// <summary>A pre-norm Transformer block written as a TorchSharp user would: attention, GELU feed-forward, residuals.</summary>
    sealed class RawBlock : nn.Module<Tensor, Tensor>
    {
        readonly LayerNorm attentionNorm, feedForwardNorm;
        readonly Linear query, key, value, output, feedForwardIn, feedForwardOut;
        readonly int heads;
        readonly bool causal;

        public RawBlock(int width, int heads, bool causal) : base("block")
        {
            this.heads = heads;
            this.causal = causal;
            attentionNorm = nn.LayerNorm(width);
            feedForwardNorm = nn.LayerNorm(width);
            query = nn.Linear(width, width);
            key = nn.Linear(width, width);
            value = nn.Linear(width, width);
            output = nn.Linear(width, width);
            feedForwardIn = nn.Linear(width, 4 * width);
            feedForwardOut = nn.Linear(4 * width, width);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            long batch = x.shape[0], time = x.shape[1], width = x.shape[2], headSize = width / heads;
            Tensor Split(Tensor t) => t.view(batch, time, heads, headSize).transpose(1, 2);
            var normed = attentionNorm.call(x);
            var scores = Split(query.call(normed)).matmul(Split(key.call(normed)).transpose(-2, -1)) / Math.Sqrt(headSize);
            if (causal) scores = scores.masked_fill(ones(time, time, ScalarType.Bool).triu(1), SeqLab.Runtime.Tensors.Scalars.NegativeInfinity); // a language model must not see ahead
            var mixed = scores.softmax(-1).matmul(Split(value.call(normed))).transpose(1, 2).reshape(batch, time, width);
            x = x + output.call(mixed);
            return x + feedForwardOut.call(nn.functional.gelu(feedForwardIn.call(feedForwardNorm.call(x))));
        }
    }

    /// <summary>Milliseconds per step of the raw loop over <paramref name="steps"/> steps; <paramref name="observe"/> sees each step's number.</summary>
    static double RawMilliseconds(Model model, Size size, Func<Generator, SequenceBatch> sample, int steps, Action<int>? observe = null)
    {
        torch.manual_seed(1);
        var network = new RawModel(model, size);
        var parameters = network.parameters().ToList();
        using var optimizer = optim.Adam(parameters, LearningRate);
        using var generator = new Generator(1);
        var clock = Stopwatch.StartNew();
        for (int step = 1; step <= steps; step++)
        {
            using var scope = NewDisposeScope();
            using var batch = sample(generator);
            optimizer.zero_grad();
            var outputs = network.call(batch.Inputs);
            var loss = size.LanguageModel
                ? nn.functional.cross_entropy(outputs.reshape(-1, outputs.shape[^1]), batch.Targets.reshape(-1))
                : nn.functional.mse_loss(outputs, batch.Targets);
            loss.backward();
            loss.item<float>();
            nn.utils.clip_grad_norm_(parameters, Clip);
            optimizer.step();
            observe?.Invoke(step);
        }
        double milliseconds = clock.Elapsed.TotalMilliseconds / steps;
        network.Dispose();
        return milliseconds;
    }

    /// <summary>The raw loop's forward and backward time on random tokens (a language-model head on every step): where does the time go below SeqLab?</summary>
    public static void Probe(Model model, int batch, int length, int hidden, int threads)
    {
        torch.set_num_threads(threads);
        var size = new Size("probe", batch, length, 16, hidden, hidden, 2, 50, LanguageModel: true) { Vocabulary = 10 };
        torch.manual_seed(1);
        var network = new RawModel(model, size);
        var parameters = network.parameters().ToList();
        using var optimizer = optim.Adam(parameters, LearningRate);
        using var generator = new Generator(1);
        double forward = 0, backward = 0;
        for (int step = 1; step <= 60; step++)
        {
            using var scope = NewDisposeScope();
            var inputs = randint(0, 10, [batch, length], generator: generator);
            var targets = randint(0, 9, [batch, length], generator: generator);
            optimizer.zero_grad();
            var clock = Stopwatch.StartNew();
            var outputs = network.call(inputs);
            var loss = nn.functional.cross_entropy(outputs.reshape(-1, outputs.shape[^1]), targets.reshape(-1));
            double f = clock.Elapsed.TotalMilliseconds;
            loss.backward();
            double b = clock.Elapsed.TotalMilliseconds - f;
            optimizer.step();
            if (step > 10) (forward, backward) = (forward + f / 50, backward + b / 50);
        }
        Console.WriteLine($"raw {Label(model)} batch {batch} T {length} hidden {hidden}, {threads} thread(s): forward {forward:F1} ms, backward {backward:F1} ms ({backward / forward:F1}×)");
        SequenceBatch Tokens(Generator g) => SequenceBatch.PerStep(randint(0, 10, [batch, length], generator: g), randint(0, 9, [batch, length], generator: g));
        foreach (bool monitored in new[] { false, true })
        {
            var (milliseconds, time) = SeqLabMilliseconds(model, size, Tokens, 60, monitored);
            Console.WriteLine($"SeqLab {(monitored ? "default" : "minimal")}: {milliseconds:F1} ms/step; " + string.Join(", ", time.Seconds.Where(p => p.Value > 0.001).Select(p => $"{p.Key} {1000 * p.Value / 60:F1} ms")));
        }
    }

    /// <summary>
    /// Item 3 of the performance issue: can a lean LSTM cell loop written with TorchSharp ops — the input projection of all
    /// time steps as one GEMM, then per step one addmm, one sigmoid over three gates and one tanh — beat LibTorch's fused
    /// CPU LSTM? Forward + backward ms of a regression on the last step, median of 30 after 5 warm-up steps.
    /// </summary>
    public static void LeanCell(int threads)
    {
        torch.set_num_threads(threads);
        Console.WriteLine();
        Console.WriteLine($"## A lean LSTM cell loop beside LibTorch's fused LSTM (forward + backward, {threads} threads; median of 30)");
        Console.WriteLine("| batch, T, input, hidden | fused nn.LSTM ms | lean cell loop ms | lean / fused | outputs agree |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (batch, length, input, hidden) in new[] { (64, 50, 2, 64), (64, 100, 64, 128), (32, 64, 64, 256), (64, 100, 64, 256) })
        {
            torch.manual_seed(1);
            using var lstm = nn.LSTM(input, hidden, 1, batchFirst: true);
            var weights = lstm.parameters().ToArray(); // weight_ih, weight_hh, bias_ih, bias_hh
            using var x = randn(batch, length, input);
            double Time(Func<Tensor> forward)
            {
                var times = new List<double>();
                for (int i = 0; i < 35; i++)
                {
                    using var scope = NewDisposeScope();
                    foreach (var w in weights) w.grad?.zero_();
                    var clock = Stopwatch.StartNew();
                    forward().pow(2).mean().backward();
                    if (i >= 5) times.Add(clock.Elapsed.TotalMilliseconds);
                }
                return times.Order().ElementAt(times.Count / 2);
            }
            Tensor Fused() => lstm.call(x).Item1.select(1, -1);
            Tensor Lean()
            {
                // All inputs through W_ih in one GEMM, time-major so each step reads a contiguous slice.
                var projected = nn.functional.linear(x.transpose(0, 1), weights[0], weights[2] + weights[3]);
                var recurrentWeight = weights[1].t();
                var h = zeros(batch, hidden);
                var c = zeros(batch, hidden);
                for (int t = 0; t < length; t++)
                {
                    var gates = projected[t].addmm(h, recurrentWeight);
                    var ifo = gates.narrow(1, 0, 2 * hidden).sigmoid();
                    var g = gates.narrow(1, 2 * hidden, hidden).tanh();
                    var o = gates.narrow(1, 3 * hidden, hidden).sigmoid();
                    c = ifo.narrow(1, hidden, hidden) * c + ifo.narrow(1, 0, hidden) * g;
                    h = o * c.tanh();
                }
                return h;
            }
            bool agree;
            using (var scope = NewDisposeScope())
                agree = Fused().allclose(Lean(), 1e-5, 1e-6);
            double fused = Time(Fused), lean = Time(Lean);
            Console.WriteLine($"| {batch}, {length}, {input}, {hidden} | {fused:F2} | {lean:F2} | {lean / fused:F2} | {(agree ? "yes" : "NO")} |");
        }
    }

    // ---------------------------------------------------------------- SeqLab's trainer

    static SequenceModelOptions Options(Model model, Size size)
    {
        var input = size.LanguageModel ? InputOptions.ForTokens(size.Vocabulary, size.Input) : InputOptions.ForFeatures(size.Input);
        EncoderOptions encoder = model switch
        {
            Model.RnnTanh => new RecurrentOptions(RecurrentKind.RnnTanh, size.Hidden),
            Model.RnnRelu => new RecurrentOptions(RecurrentKind.RnnRelu, size.Hidden),
            Model.Lstm => new RecurrentOptions(RecurrentKind.Lstm, size.Hidden),
            Model.Gru => new RecurrentOptions(RecurrentKind.Gru, size.Hidden),
            _ => new TransformerOptions(size.TransformerWidth, 4, size.TransformerLayers, Causal: size.LanguageModel,
                Kernel: model == Model.TransformerExplicit ? AttentionKernel.Explicit : AttentionKernel.Fused),
        };
        var head = size.LanguageModel ? new HeadOptions(TaskKind.LanguageModel) : new HeadOptions(TaskKind.SequenceRegression, 1);
        return new SequenceModelOptions(input, encoder, head);
    }

    /// <summary>SeqLab's trainer: milliseconds per training step (its evaluations left out), and the run's time split.</summary>
    static (double Milliseconds, TimeSplit Time) SeqLabMilliseconds(Model model, Size size, Func<Generator, SequenceBatch> sample, int steps, bool defaultMonitoring,
        StepObserver? observer = null)
    {
        torch.manual_seed(1);
        var network = new SequenceModel(Options(model, size));
        using var evaluationGenerator = new Generator(2);
        using var validation = sample(evaluationGenerator);
        using var test = sample(evaluationGenerator);
        using var monitoringBatch = validation.Take(32);
        // "Minimal" is no monitor at all: the loop still logs the loss, the global gradient norm and clipping every step.
        var monitoring = defaultMonitoring ? new MonitoringOptions(50) : new MonitoringOptions(steps) { ExpensiveEvery = steps, Monitors = [] };
        var trainer = new Trainer(new TrainingOptions(steps, size.Batch, LearningRate, Clip, 1, Threads, steps), monitoring);
        using var generator = new Generator(1);
        var outcome = trainer.Train(network, (g, _) => sample(g), generator, validation, test,
            new TrainingRun { MonitoringBatch = defaultMonitoring ? monitoringBatch : null, Observer = observer });
        network.Dispose();
        return (1000 * (outcome.WallSeconds - outcome.Log.Time[TimeSplit.Evaluation]) / steps, outcome.Log.Time);
    }

    // ---------------------------------------------------------------- arithmetic

    /// <summary>Measured single-precision matrix-multiply rate on <see cref="Threads"/> threads (GFLOP/s), median of 5.</summary>
    static double SgemmPeak()
    {
        using var a = randn(1024, 1024);
        using var b = randn(1024, 1024);
        var rates = new List<double>();
        for (int i = 0; i < 6; i++)
        {
            var clock = Stopwatch.StartNew();
            for (int j = 0; j < 10; j++) a.mm(b).Dispose();
            if (i > 0) rates.Add(10 * 2.0 * 1024 * 1024 * 1024 / clock.Elapsed.TotalSeconds / 1e9);
        }
        return rates.Order().ElementAt(rates.Count / 2);
    }

    /// <summary>
    /// Floating-point operations of one training step, counted in the matrix products (forward ×3 for forward and backward):
    /// a recurrent layer does 2·B·T·(I + H)·G·H (G = 1, 4, 3 gates for RNN, LSTM, GRU); a Transformer block 2·B·T·12·d² plus
    /// 4·B·T²·d for attention; the head 2·B·T·d·V for a language model.
    /// </summary>
    static double StepFlops(Model model, Size size)
    {
        double b = size.Batch, t = size.Length, input = size.Input, h = size.Hidden, forward;
        if (model is Model.Transformer or Model.TransformerExplicit)
        {
            double d = size.TransformerWidth;
            forward = 2 * b * t * input * d + size.TransformerLayers * (2 * b * t * 12 * d * d + 4 * b * t * t * d);
            h = d;
        }
        else
        {
            int gates = model switch { Model.Lstm => 4, Model.Gru => 3, _ => 1 };
            forward = 2 * b * t * (input + h) * gates * h;
        }
        forward += size.LanguageModel ? 2 * b * t * h * size.Vocabulary : 2 * b * h;
        return 3 * forward;
    }

    // ---------------------------------------------------------------- PyTorch

    /// <summary>The Python that imports torch: Debian's (where python3-torch installs it) before whatever python3 is on the PATH.</summary>
    static string python = "/usr/bin/python3";

    /// <summary>PyTorch's version through Debian's python3-torch, or null when it is not installed.</summary>
    static string? PyTorchVersion()
    {
        foreach (var candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                python = candidate;
                var (exit, output) = Python("-c", "import torch; print(torch.__version__)");
                if (exit == 0) return $"{output.Trim()} ({candidate})";
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
        }
        return null;
    }

    static (int Exit, string Output) Python(params string[] arguments)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, process.ExitCode == 0 ? output : error.Result);
    }

    /// <summary>The raw loop in PyTorch (bench/raw_loop.py, after 5 warm-up steps): ms per step of one run, or null when it failed.</summary>
    static double? PyTorchMilliseconds(string script, Model model, Size size, int steps, string? textFile)
    {
        var times = new List<double>();
        for (int i = 0; i < 1; i++)
        {
            var (exit, output) = Python(script, (model == Model.TransformerExplicit ? Model.Transformer : model).ToString(), size.Batch.ToString(), size.Length.ToString(), size.Input.ToString(), size.Hidden.ToString(),
                size.TransformerWidth.ToString(), size.TransformerLayers.ToString(), steps.ToString(), Threads.ToString(), size.LanguageModel ? textFile! : "-");
            if (exit != 0)
            {
                Console.Error.WriteLine($"raw_loop.py {model} failed: {output.Trim()}");
                return null;
            }
            times.Add(double.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture));
        }
        return times.Order().ElementAt(times.Count / 2);
    }

    // ---------------------------------------------------------------- the tables

    /// <summary>Every model and size: the raw loop, SeqLab at minimal and default monitoring, PyTorch; then where SeqLab's time goes.</summary>
    /// <remarks><paramref name="steps"/> replaces each size's steps a run, <paramref name="repeats"/> the number of alternating runs; <paramref name="pytorch"/> false leaves PyTorch out.</remarks>
    public static void Run(string root, IReadOnlyList<string> only, IReadOnlyList<int>? sizes = null, int? steps = null, int repeats = Repeats, bool pytorch = true)
    {
        torch.set_num_threads(Threads);
        string textFile = Path.Combine(root, "data", "tinyshakespeare", "input.txt");
        string text = TextCorpus.Load(textFile);
        var tokenizer = new CharacterTokenizer(text);
        var languageData = new LanguageModelData(tokenizer.Encode(text), 64, 64, 0.1);
        string script = Path.Combine(root, "bench", "raw_loop.py");
        string? pytorchVersion = pytorch ? PyTorchVersion() : null;
        double peak = SgemmPeak();

        Console.WriteLine();
        Console.WriteLine($"## SeqLab beside a raw TorchSharp loop and PyTorch ({Threads} threads, Adam {LearningRate}, clip {Clip}; median of {repeats} alternating run(s))");
        Console.WriteLine($"SGEMM peak (1024², {Threads} threads): {peak:F0} GFLOP/s. PyTorch: {pytorchVersion ?? (pytorch ? "not installed (sudo apt install python3-torch), column left empty" : "left out (--no-pytorch)")}.");
        Console.WriteLine("SeqLab's ms/step leave out its evaluations; minimal: `monitors: none` (loss, gradient norm and clipping logged every step); default: every monitor, every 50 steps, expensive monitors on a 32-sequence batch every 250 (and at the first and last step).");
        var splits = new List<(string Case, TimeSplit Time, int Steps)>();
        foreach (var size in Sizes.Where((_, index) => sizes is null || sizes.Count == 0 || sizes.Contains(index + 1)))
        {
            var sized = (size.LanguageModel ? size with { Vocabulary = tokenizer.VocabularySize } : size) with { Steps = steps ?? size.Steps };
            var sample = Sampler(sized, languageData);
            Console.WriteLine();
            Console.WriteLine($"### {sized.Name} ({sized.Steps} steps a run)");
            Console.WriteLine("| model | raw TorchSharp ms/step | SeqLab minimal ms/step (% of raw speed) | SeqLab default ms/step (% of raw speed) | PyTorch ms/step (% of raw speed) | raw GFLOP/s (% of peak) |");
            Console.WriteLine("|---|---|---|---|---|---|");
            foreach (var model in Enum.GetValues<Model>())
            {
                if (only.Count > 0 && !only.Contains(model.ToString(), StringComparer.OrdinalIgnoreCase)) continue;
                RawMilliseconds(model, sized, sample, 10); // warm-up
                var raw = new List<double>();
                var minimal = new List<double>();
                var monitored = new List<double>();
                TimeSplit? lastSplit = null;
                for (int i = 0; i < repeats; i++)
                {
                    raw.Add(RawMilliseconds(model, sized, sample, sized.Steps));
                    minimal.Add(SeqLabMilliseconds(model, sized, sample, sized.Steps, false).Milliseconds);
                    var (milliseconds, time) = SeqLabMilliseconds(model, sized, sample, sized.Steps, true);
                    monitored.Add(milliseconds);
                    lastSplit = time;
                }
                double r = Median(raw), m = Median(minimal), d = Median(monitored);
                double? p = pytorchVersion is null ? null : PyTorchMilliseconds(script, model, sized, sized.Steps, textFile);
                double gflops = StepFlops(model, sized) / (r / 1000) / 1e9;
                Console.WriteLine($"| {Label(model)} | {r:F1} | {m:F1} ({100 * r / m:F0} %) | {d:F1} ({100 * r / d:F0} %) | {(p is double py ? $"{py:F1} ({100 * r / py:F0} %)" : "–")} | {gflops:F1} ({100 * gflops / peak:F0} %) |");
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

    /// <summary>Resident memory and live tensors over <paramref name="steps"/> steps of the raw loop and of SeqLab's trainer (default monitoring), on the main job's size.</summary>
    public static void Memory(int steps, IReadOnlyList<Model> models)
    {
        torch.set_num_threads(Threads);
        var size = Sizes[0];
        var sample = Sampler(size, null);
        Console.WriteLine();
        Console.WriteLine($"## Memory over {steps:N0} steps ({size.Name}): resident set (MB) and live tensors at steps 500 and {steps:N0}");
        Console.WriteLine($"| model | loop | RSS at 500 | RSS at {steps:N0} | change | live tensors at 500 | at {steps:N0} |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var model in models)
        {
            foreach (var loop in new[] { "raw TorchSharp", "SeqLab, default monitoring" })
            {
                var samples = new Dictionary<int, (double Rss, long Live)>();
                void Observe(int step)
                {
                    if (step == 500 || step == steps) samples[step] = (ResidentMegabytes(), DisposeScopeManager.Statistics.ThreadTotalLiveCount);
                }
                if (loop.StartsWith("raw", StringComparison.Ordinal)) RawMilliseconds(model, size, sample, steps, Observe);
                else SeqLabMilliseconds(model, size, sample, steps, true, metrics => Observe(metrics.Step));
                var (early, late) = (samples[500], samples[steps]);
                Console.WriteLine($"| {Label(model)} | {loop} | {early.Rss:F0} | {late.Rss:F0} | {100 * (late.Rss / early.Rss - 1):+0.0;-0.0} % | {early.Live} | {late.Live} |");
            }
        }
    }

    static double ResidentMegabytes() =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;

    static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}

/// <summary>
/// TorchSharp's implicit Scalars carry a finalizer and no keep-alive: a Scalar made from a number for one call can be freed
/// by the finalizer thread while LibTorch still reads it. This provokes it — one thread masks a large tensor with an
/// implicit −∞ while another allocates (so collections happen meanwhile) — and counts what goes wrong.
/// </summary>
static class ScalarRace
{
    public static void Run(int seconds, bool explicitScalar)
    {
        int size = Environment.GetEnvironmentVariable("RACE_SIZE") is { } text ? int.Parse(text) : 220;
        using var scores = randn(4, 2, size, size);
        using var mask = ones(size, size, ScalarType.Bool).triu(1);
        using var negativeInfinity = double.NegativeInfinity.ToScalar();
        int calls = 0, failures = 0, wrong = 0;
        var stop = DateTime.UtcNow.AddSeconds(seconds);
        var churn = new Thread(() =>
        {
            var keep = new List<object>();
            while (DateTime.UtcNow < stop)
            {
                using var scope = NewDisposeScope();
                for (int i = 0; i < 1000; i++) keep.Add(new byte[256]);
                if (keep.Count > 100_000) keep.Clear();
                (ones(4) * 2.0 + 1.0).sum().item<float>();
            }
        });
        churn.Start();
        while (DateTime.UtcNow < stop)
        {
            using var scope = NewDisposeScope();
            try
            {
                var masked = explicitScalar ? scores.masked_fill(mask, negativeInfinity) : scores.masked_fill(mask, double.NegativeInfinity);
                if (!masked[0, 0, 0, 1].item<float>().Equals(float.NegativeInfinity)) wrong++;
            }
            catch (Exception) { failures++; }
            calls++;
        }
        churn.Join();
        Console.WriteLine($"scalar race ({(explicitScalar ? "explicit, kept Scalar" : "implicit Scalar")}, {seconds} s): {calls} masked_fill calls, {failures} failed, {wrong} wrong values");
    }
}
