// SeqLab benchmarks: data loading and the batch pipeline, each beside the training step it must keep up with; SeqLab's
// trainer beside a raw TorchSharp loop and PyTorch; memory over a long run.
// Run: dotnet run --project bench/SeqLab.Bench -c Release [-- data|monitoring|side-by-side|memory|lean-cell] [--models Lstm,Gru] [--sizes 1,4]
//      [--steps 250] [--repeats 3] [--no-pytorch]
using System.Diagnostics;
using SeqLab.Data.Dna;
using SeqLab.Data.Synthetic;
using SeqLab.Data.Text;
using SeqLab.Data.TimeSeries;
using SeqLab.Training;
using SeqLab.Models;
using SeqLab.Models.Recurrent;
using SeqLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

SeqLab.Runtime.Memory.Allocator.RestartWithOneArena(); // as seqlab does: the allocator every loop below runs with
TorchRuntime.EnsureLoaded();
torch.set_num_threads(2);
string root = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(root, "Toolkit.sln"))) root = Path.GetDirectoryName(root)!;
string Data(params string[] parts) => Path.Combine([root, "data", .. parts]);

// Median wall time of `repeats` runs after one warm-up.
static double Median(Action action, int repeats = 5)
{
    action();
    var times = new List<double>();
    for (int i = 0; i < repeats; i++)
    {
        var clock = Stopwatch.StartNew();
        action();
        times.Add(clock.Elapsed.TotalMilliseconds);
    }
    return times.Order().ElementAt(repeats / 2);
}

string[] sections = ["data", "monitoring", "side-by-side", "memory", "scalar-race", "probe", "lean-cell", "spectrum-cost", "transformer-parts", "attention-cost", "extras-cost", "seq2seq", "seq2seq-memory"];
bool Section(string name) => !args.Any(sections.Contains) || args.Contains(name);
var models = args.SkipWhile(a => a != "--models").Skip(1).FirstOrDefault()?.Split(',') ?? [];
var sizes = (args.SkipWhile(a => a != "--sizes").Skip(1).FirstOrDefault()?.Split(',') ?? []).Select(int.Parse).ToList(); // 1-based, in SideBySide.Sizes order

Console.WriteLine($"SeqLab bench, {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, {TorchRuntime.Report!.Note}");
if (Section("data")) DataBenchmarks();
if (Section("monitoring")) MonitoringOverhead();
int? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } value ? int.Parse(value) : null;
if (Section("side-by-side")) SeqLab.Bench.SideBySide.Run(root, models, sizes, Option("--steps"), Option("--repeats") ?? 3, pytorch: !args.Contains("--no-pytorch"));
if (args.Contains("lean-cell")) SeqLab.Bench.SideBySide.LeanCell(2);
if (args.Contains("attention-cost")) SeqLab.Bench.TransformerParts.Attention();
if (args.Contains("extras-cost")) SeqLab.Bench.TransformerParts.Extras_();
if (args.Contains("transformer-parts")) SeqLab.Bench.TransformerParts.Run(Option("--steps") ?? 300, Option("--repeats") ?? 3);
if (args.Contains("spectrum-cost"))
{
    // What one spectrum measurement of a 256-unit gate block costs, by operation and precision (median of 9, ms).
    using var block = randn(256, 256) / 16;
    foreach (var type in new[] { ScalarType.Float64, ScalarType.Float32 })
    {
        using var typed = block.to(type);
        double svd = Median(() => { using var s = NewDisposeScope(); linalg.svdvals(typed).max().to(ScalarType.Float64).item<double>(); }, 9);
        double eig = Median(() => { using var s = NewDisposeScope(); linalg.eigvals(typed).abs().max().to(ScalarType.Float64).item<double>(); }, 9);
        double norm = Median(() => { using var s = NewDisposeScope(); linalg.matrix_norm(typed, ord: 2).to(ScalarType.Float64).item<double>(); }, 9);
        Console.WriteLine($"{type}: svdvals {svd:F2} ms, eigvals {eig:F2} ms, matrix_norm(2) {norm:F2} ms");
    }
    using var gates = randn(4, 256, 256, ScalarType.Float64) / 16;
    double batched = Median(() => { using var s = NewDisposeScope(); linalg.eigvals(gates).abs().amax(new long[] { 1 }).cpu(); }, 5);
    double oneByOne = Median(() => { using var s = NewDisposeScope(); for (int g = 0; g < 4; g++) linalg.eigvals(gates[g]).abs().max().item<double>(); }, 5);
    double parallel = Median(() => Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 2 }, g => { using var s = NewDisposeScope(); linalg.eigvals(gates[g]).abs().max().item<double>(); }), 5);
    Console.WriteLine($"two .NET threads over the four blocks: {parallel:F1} ms");
    double hessenberg = Median(() => { using var s = NewDisposeScope(); linalg.eigvals(gates[0].t().contiguous()).abs().max().item<double>(); }, 5);
    Console.WriteLine($"four 256² gate blocks, float64 eigvals: batched {batched:F1} ms, one by one {oneByOne:F1} ms; transposed one {hessenberg:F1} ms");
    double Radius(ScalarType type) { using var s = NewDisposeScope(); return linalg.eigvals(block.to(type)).abs().max().to(ScalarType.Float64).item<double>(); }
    double Largest(ScalarType type) { using var s = NewDisposeScope(); return linalg.svdvals(block.to(type)).max().to(ScalarType.Float64).item<double>(); }
    Console.WriteLine($"relative difference float32 vs float64: spectral radius {Math.Abs(Radius(ScalarType.Float32) / Radius(ScalarType.Float64) - 1):E1}, largest singular value {Math.Abs(Largest(ScalarType.Float32) / Largest(ScalarType.Float64) - 1):E1}");
}
if (args.Length > 0 && args[0] == "probe")
{
    // probe MODEL BATCH LENGTH HIDDEN THREADS
    SeqLab.Bench.SideBySide.Probe(Enum.Parse<SeqLab.Bench.SideBySide.Model>(args[1], true), int.Parse(args[2]), int.Parse(args[3]), int.Parse(args[4]), int.Parse(args[5]));
    return;
}
if (args.Contains("scalar-race"))
{
    SeqLab.Bench.ScalarRace.Run(20, explicitScalar: false);
    SeqLab.Bench.ScalarRace.Run(20, explicitScalar: true);
}
if (Section("seq2seq")) SeqLab.Bench.SequenceToSequence.Run(models, sizes, Option("--steps"), Option("--repeats") ?? 3);
if (Section("seq2seq-memory")) SeqLab.Bench.SequenceToSequence.Memory(Option("--memory-steps") ?? 5000, models);
if (Section("memory"))
    SeqLab.Bench.SideBySide.Memory(5000, Enum.GetValues<SeqLab.Bench.SideBySide.Model>()
        .Where(m => models.Length == 0 ? m is SeqLab.Bench.SideBySide.Model.Lstm or SeqLab.Bench.SideBySide.Model.Transformer : models.Contains(m.ToString(), StringComparer.OrdinalIgnoreCase)).ToList());

void DataBenchmarks()
{
Console.WriteLine("## Loading and encoding the shipped files (median of 5, ms)");
Console.WriteLine("| file | what | ms |\n|---|---|---|");
string shakespeare = "";
var loads = new (string File, string What, Action Run)[]
{
    ("tinyshakespeare/input.txt", "load + char vocabulary + encode 1.1 M chars", () => { shakespeare = TextCorpus.Load(Data("tinyshakespeare", "input.txt")); new CharacterTokenizer(shakespeare).Encode(shakespeare); }),
    ("tinyshakespeare/input.txt", "word vocabulary + encode", () => new WordTokenizer(shakespeare).Encode(shakespeare)),
    ("tinyshakespeare/input.txt", "GPT-2 BPE subword vocabulary + encode", () => new SubwordTokenizer(shakespeare).Encode(shakespeare)),
    ("stocks_yahoo/orcl-1995-2014.txt", "load 5,036 rows + DataFrame", () => TimeSeriesTable.LoadYahoo(Data("stocks_yahoo", "orcl-1995-2014.txt")).ToDataFrame()),
    ("stocks_yahoo/^GSPC.csv", "load + 30-step log-return windows, scaled", () => ForecastWindows.Build(new ForecastOptions("Close", ["Close", "Volume"]), TimeSeriesTable.LoadYahoo(Data("stocks_yahoo", "^GSPC.csv")))),
    ("daily_min_temperatures/…csv", "load 3,650 rows", () => TimeSeriesTable.Load(Data("daily_min_temperatures", "daily-min-temperatures.csv"), new TimeSeriesOptions("Date"))),
    ("dna_uci_splice/splice.data", "load 3,190 records + one-hot batch", () => { var r = DnaReaders.ReadUci(Data("dna_uci_splice", "splice.data")); DnaEncoding.OneHotBatch(r, ["EI", "IE", "N"]).Dispose(); }),
    ("dna_ecoli_promoters_fasta/*.fa", "load 3,839 FASTA records + 3-mers", () => { foreach (var f in new[] { "Ecoli_prom.fa", "Ecoli_non_prom.fa" }) foreach (var r in DnaReaders.ReadFasta(Data("dna_ecoli_promoters_fasta", f), _ => "x")) DnaEncoding.KmerTokens(r.Sequence, 3); }),
};
foreach (var (file, what, run) in loads)
    Console.WriteLine($"| {file} | {what} | {Median(run):F1} |");

Console.WriteLine();
Console.WriteLine("## Batch pipeline beside a training step (batch 64; LSTM hidden 64, Adam; 2 threads)");
Console.WriteLine("| data | batches/s | LSTM train steps/s on it | pipeline share of a step |\n|---|---|---|---|");
using var generator = new Generator(1);
var adding = new AddingProblem(50);
var copy = new CopyMemory(30);
var order = new TemporalOrder(50);
var gspc = ForecastWindows.Build(new ForecastOptions("Close", ["Close", "Volume"]), TimeSeriesTable.LoadYahoo(Data("stocks_yahoo", "^GSPC.csv")));
var text = new LanguageModelData(new CharacterTokenizer(shakespeare).Encode(shakespeare), 64, 64, 0.1);
var random = new Random(1);
var cases = new (string Name, Func<SeqLab.Data.Batches.SequenceBatch> Batch, SequenceModelOptions Model)[]
{
    ("adding T=50", () => adding.Sample(64, generator), new(InputOptions.ForFeatures(2), new RecurrentOptions(RecurrentKind.Lstm, 64), new HeadOptions(TaskKind.SequenceRegression, 1))),
    ("adding T∈[25,50], padded", () => AddingProblem.SampleVariable(64, 25, 50, generator), new(InputOptions.ForFeatures(2), new RecurrentOptions(RecurrentKind.Lstm, 64), new HeadOptions(TaskKind.SequenceRegression, 1))),
    ("copy memory T=30", () => copy.Sample(64, generator), new(InputOptions.ForTokens(10, 16), new RecurrentOptions(RecurrentKind.Lstm, 64), new HeadOptions(TaskKind.StepClassification, 9))),
    ("temporal order L=50", () => order.Sample(64, generator), new(InputOptions.ForFeatures(6), new RecurrentOptions(RecurrentKind.Lstm, 64), new HeadOptions(TaskKind.SequenceClassification, 4))),
    ("^GSPC windows", () => gspc.Train.ToBatch(Enumerable.Range(0, 64).Select(_ => random.Next(gspc.Train.Count)).ToArray()), new(InputOptions.ForFeatures(2), new RecurrentOptions(RecurrentKind.Lstm, 64), new HeadOptions(TaskKind.SequenceRegression, 1))),
    ("Shakespeare chars, 64-token windows", () => text.SampleTraining(64, generator), new(InputOptions.ForTokens(65, 32), new RecurrentOptions(RecurrentKind.Lstm, 64), new HeadOptions(TaskKind.LanguageModel))),
};
foreach (var (name, makeBatch, modelOptions) in cases)
{
    const int count = 200;
    var clock = Stopwatch.StartNew();
    for (int i = 0; i < count; i++)
    {
        using var scope = NewDisposeScope();
        makeBatch().Dispose();
    }
    double batchesPerSecond = count / clock.Elapsed.TotalSeconds;

    torch.manual_seed(1);
    var model = new SequenceModel(modelOptions);
    using var optimizer = optim.Adam(model.parameters(), 1e-3);
    const int steps = 60;
    clock.Restart();
    for (int i = 0; i < steps; i++)
    {
        using var scope = NewDisposeScope();
        using var batch = makeBatch();
        optimizer.zero_grad();
        SeqLab.Training.Criteria.TaskCriteria.For(model.Task).Loss(model.Forward(batch.Inputs, batch.Lengths), batch).backward();
        optimizer.step();
    }
    double stepsPerSecond = steps / clock.Elapsed.TotalSeconds;
    Console.WriteLine($"| {name} | {batchesPerSecond:F0} | {stepsPerSecond:F1} | {100 * stepsPerSecond / batchesPerSecond:F1} % |");
}
}

// The training loop with default monitoring against the same loop with no monitor (`monitors: none`), on the main job's
// setting. Pairs alternate so drift in machine speed hits both alike.
void MonitoringOverhead()
{
    const int steps = 500, repeats = 3;
    Console.WriteLine();
    Console.WriteLine($"## Monitoring overhead: adding T=50, batch 64, {steps} steps, Adam 3e-3, clip 1, 2 threads (median of {repeats} alternating pairs)");
    Console.WriteLine("| model | no monitors s | default monitoring s (log_every 50, expensive_every 250, monitor batch 32) | overhead |\n|---|---|---|---|");
    var task = new AddingProblem(50);
    using var validation = task.FixedSet(256, 101);
    using var test = task.FixedSet(256, 102);
    using var monitoringBatch = validation.Take(32);
    var models = new (string Name, Func<SequenceModelOptions> Options)[]
    {
        ("tanh RNN 64", () => new(InputOptions.ForFeatures(2), new RecurrentOptions(RecurrentKind.RnnTanh, 64), new HeadOptions(TaskKind.SequenceRegression, 1))),
        ("LSTM 64", () => new(InputOptions.ForFeatures(2), new RecurrentOptions(RecurrentKind.Lstm, 64), new HeadOptions(TaskKind.SequenceRegression, 1))),
        ("GRU 64", () => new(InputOptions.ForFeatures(2), new RecurrentOptions(RecurrentKind.Gru, 64), new HeadOptions(TaskKind.SequenceRegression, 1))),
        ("Transformer d32 ×2", () => new(InputOptions.ForFeatures(2), new TransformerOptions(32, 4, 2), new HeadOptions(TaskKind.SequenceRegression, 1))),
    };
    double Seconds(Func<SequenceModelOptions> options, bool monitored)
    {
        torch.manual_seed(1);
        var model = new SequenceModel(options());
        using var generator = new Generator(1);
        var trainer = new Trainer(new TrainingOptions(steps, 64, 3e-3, 1.0, 1, 2, steps), monitored ? new MonitoringOptions(50) : new MonitoringOptions(steps) { Monitors = [] });
        var clock = Stopwatch.StartNew();
        trainer.Train(model, (g, _) => task.Sample(64, g), generator, validation, test, new TrainingRun { MonitoringBatch = monitored ? monitoringBatch : null });
        return clock.Elapsed.TotalSeconds;
    }
    foreach (var (name, options) in models)
    {
        Seconds(options, false); // warm-up
        var plain = new List<double>();
        var monitored = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            plain.Add(Seconds(options, false));
            monitored.Add(Seconds(options, true));
        }
        double a = plain.Order().ElementAt(repeats / 2), b = monitored.Order().ElementAt(repeats / 2);
        Console.WriteLine($"| {name} | {a:F2} | {b:F2} | {100 * (b / a - 1):+0.0;-0.0} % |");
    }
}
