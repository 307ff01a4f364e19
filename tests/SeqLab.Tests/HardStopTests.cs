using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using SeqLab.Experiments.Config;
using SeqLab.Training.Callbacks;
using Xunit.Abstractions;

namespace SeqLab.Tests;

/// <summary>
/// The real <c>seqlab</c> program under hard stops: SIGKILL at seeded random moments and inside checkpoint, summary and
/// report writes, then <c>--resume</c>; two runs of one batch at once; a full disk.
/// </summary>
public class HardStopTests(ITestOutputHelper output)
{
    const string Batch = """
        batch: hard-stops
        defaults:
          dataset: {type: adding, length: 16, validation_size: 64, test_size: 64}
          training: {steps: 150, batch_size: 16, learning_rate: 0.01, seed: 3, threads: 1, eval_every: 25, checkpoint_every: 10}
          monitoring: {log_every: 10, expensive_every: 50}
        experiments:
          - name: lstm
            model: {type: lstm, hidden_size: 24}
          - name: gru
            model: {type: gru, hidden_size: 24}
        """;

    static readonly string[] Experiments = ["lstm", "gru"];

    static string Seqlab => Path.Combine(AppContext.BaseDirectory, "seqlab");

    static ProcessStartInfo Start(params string[] arguments) => NativeFiles.Start(Seqlab, new Dictionary<string, string> { ["COLUMNS"] = "250" }, arguments);

    /// <summary>Runs seqlab to the end: exit code and everything it printed.</summary>
    static (int ExitCode, string Output) Run(params string[] arguments)
    {
        var (exitCode, printed, error) = NativeFiles.Capture(Start(arguments));
        return (exitCode, printed + error);
    }

    static string Write(string folder, string name, string yaml)
    {
        string file = Path.Combine(folder, name);
        File.WriteAllText(file, yaml);
        return file;
    }

    static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();

    /// <summary>metrics.csv without its wall-clock column.</summary>
    static string[] Metrics(string experimentFolder) =>
        File.ReadLines(Path.Combine(experimentFolder, "metrics.csv")).Select(line => line[..line.LastIndexOf(',')]).ToArray();

    /// <summary>Every result file a user may open reads whole: JSON parses, CSV rows have the header's width, YAML validates, HTML is complete.</summary>
    static void AssertEveryFileReadable(string batchFolder)
    {
        foreach (var file in Directory.GetFiles(batchFolder, "*", SearchOption.AllDirectories))
        {
            string name = Path.GetFileName(file);
            if (name.StartsWith('.') || file.Contains($"{Path.DirectorySeparatorChar}.checkpoint.", StringComparison.Ordinal)) continue; // temporaries and locks: never read as results
            switch (Path.GetExtension(file))
            {
                case ".json":
                    JsonDocument.Parse(File.ReadAllText(file)).Dispose();
                    break;
                case ".csv":
                    var rows = File.ReadAllLines(file);
                    Assert.True(rows.Length > 0, $"{file} is empty");
                    int width = rows[0].Split(',').Length;
                    Assert.All(rows, row => Assert.True(row.Split(',').Length >= width, $"{file}: a short row '{row}'"));
                    break;
                case ".yaml":
                    ConfigLoader.Load(file);
                    break;
                case ".html":
                    Assert.EndsWith("</html>", File.ReadAllText(file).TrimEnd());
                    break;
            }
        }
    }

    [Fact]
    public void Killed_at_any_moment_a_resumed_batch_continues_from_its_last_checkpoint_and_ends_as_if_never_stopped()
    {
        string root = NativeFiles.TemporaryFolder();
        string file = Write(root, "hard-stops.yaml", Batch);
        var reference = Run("run", file, "--output", Path.Combine(root, "reference"));
        Assert.True(reference.ExitCode == 0, reference.Output);
        string referenceBatch = Path.Combine(root, "reference", "hard-stops");
        var clock = Stopwatch.StartNew();
        var timed = Run("run", file, "--output", Path.Combine(root, "timed"));
        double wall = clock.Elapsed.TotalSeconds;
        Assert.True(timed.ExitCode == 0, timed.Output);

        var random = new Random(14);
        int checkpoints = 0;
        // Seeded moments inside training: when the progress line of a random step (of the 10 printed per experiment) appears.
        string RandomStep(string experiment) => $"{experiment}  step {15 * (1 + random.Next(9)),6}/150";
        var kills = new List<(string Name, Func<string, string, bool>? When, double Seconds, string? Line)>
        {
            ("at a random moment", null, wall * (0.15 + 0.65 * random.NextDouble()), null),
            ("at a random step", null, 0, RandomStep("lstm")),
            ("at a random step", null, 0, RandomStep("gru")),
            ("at a random step", null, 0, RandomStep("gru")),
            ("while the gru's third checkpoint is written", (folder, path) => Path.GetFileName(folder) == "gru" && Path.GetFileName(path).StartsWith(".checkpoint.", StringComparison.Ordinal) && ++checkpoints == 3, 0, null),
            ("while the batch summary is written", (folder, path) => Path.GetFileName(folder) == "hard-stops" && Path.GetFileName(path).StartsWith(".summary.json.", StringComparison.Ordinal), 0, null),
            ("while the HTML report is written", (folder, path) => Path.GetFileName(path).Contains(".html.", StringComparison.Ordinal) || Path.GetFileName(path).StartsWith(".plotly", StringComparison.Ordinal), 0, null),
        };
        var lines = new List<string>();
        for (int k = 0; k < kills.Count; k++)
        {
            var (name, when, seconds, line) = kills[k];
            checkpoints = 0;
            string output = Path.Combine(root, $"kill-{k}");
            string batch = Path.Combine(output, "hard-stops");
            foreach (var experiment in Experiments) Directory.CreateDirectory(Path.Combine(batch, experiment));
            using var process = new Process { StartInfo = Start("run", file, "--output", output, "--resume") };
            string? seen = null;
            process.OutputDataReceived += (_, e) =>
            {
                if (line is not null && seen is null && e.Data is { } printed && printed.StartsWith(line, StringComparison.Ordinal))
                {
                    seen = printed;
                    try { process.Kill(); } catch (InvalidOperationException) { } // SIGKILL
                }
            };
            process.ErrorDataReceived += (_, _) => { };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using var watcher = new FileSystemWatcher(batch) { IncludeSubdirectories = true };
            if (when is not null)
            {
                watcher.Created += (_, e) =>
                {
                    if (seen is null && when(Path.GetDirectoryName(e.FullPath)!, e.FullPath))
                    {
                        seen = e.FullPath;
                        try { process.Kill(); } catch (InvalidOperationException) { } // SIGKILL
                    }
                };
                watcher.EnableRaisingEvents = true;
                Assert.True(process.WaitForExit(120_000), "the run did not end");
            }
            else if (line is not null) Assert.True(process.WaitForExit(120_000), "the run did not end");
            else if (!process.WaitForExit(TimeSpan.FromSeconds(seconds)))
            {
                process.Kill();
                process.WaitForExit();
            }
            watcher.EnableRaisingEvents = false;
            Assert.True((when is null && line is null) || seen is not null, $"kill {name}: the moment never came");
            Assert.True(process.ExitCode == 137, $"kill {name}: exit {process.ExitCode}, not killed"); // 128 + SIGKILL

            AssertEveryFileReadable(batch);
            // Where each experiment must continue: its newest complete checkpoint, or nowhere if none (or if it finished).
            var expected = Experiments.ToDictionary(e => e, e =>
            {
                string folder = Path.Combine(batch, e);
                if (File.Exists(Path.Combine(folder, "summary.json"))) return (int?)-1;
                return Checkpointing.Latest(folder) is string checkpoint ? Json(Path.Combine(checkpoint, "state.json")).GetProperty("Step").GetInt32() : null;
            });

            var resumed = Run("run", file, "--output", output, "--resume");
            Assert.True(resumed.ExitCode == 0, resumed.Output);
            AssertEveryFileReadable(batch);
            foreach (var experiment in Experiments)
            {
                string folder = Path.Combine(batch, experiment), straight = Path.Combine(referenceBatch, experiment);
                Assert.Equal(Json(Path.Combine(straight, "summary.json")).GetProperty("test_loss").GetDouble(), Json(Path.Combine(folder, "summary.json")).GetProperty("test_loss").GetDouble());
                Assert.Equal(Metrics(straight), Metrics(folder));
                Assert.Equal(File.ReadAllText(Path.Combine(straight, "grad_time.csv")), File.ReadAllText(Path.Combine(folder, "grad_time.csv")));
                var resumedAfter = Json(Path.Combine(folder, "manifest.json")).GetProperty("resumed_after_steps").EnumerateArray().Select(s => s.GetInt32()).ToList();
                switch (expected[experiment])
                {
                    case -1: break; // finished before the kill: skipped, its files untouched
                    case int step: Assert.Equal([step], resumedAfter); break;
                    case null: Assert.Empty(resumedAfter); break;
                }
                Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
                Assert.Empty(Directory.GetDirectories(folder));
            }
            Assert.Equal(Experiments, Json(Path.Combine(batch, "summary.json")).EnumerateArray().Select(e => e.GetProperty("name").GetString()));
            lines.Add($"kill {name} ({(seen is null ? $"{seconds:F1} s" : line ?? Path.GetFileName(seen))}): " +
                string.Join(", ", Experiments.Select(e => $"{e} {(expected[e] switch { -1 => "had finished", int s => $"resumed after step {s}", null => "restarted" })}")));
        }
        output.WriteLine($"uninterrupted run {wall:F1} s");
        foreach (var line in lines) output.WriteLine(line);
        Assert.Contains(lines, line => line.Contains("resumed after step", StringComparison.Ordinal));
    }

    [Fact]
    public void Two_runs_of_one_batch_at_once_share_the_experiments_and_train_each_once()
    {
        string root = NativeFiles.TemporaryFolder();
        string file = Write(root, "together.yaml", Batch.Replace("batch: hard-stops", "batch: together") + "\n" +
            "  - name: rnn\n    model: {type: rnn, hidden_size: 24}\n  - name: lstm-wide\n    model: {type: lstm, hidden_size: 32}\n");
        // Long enough (≈ 1 s an experiment) that both processes are still starting experiments when the other reaches one.
        string[] longer = ["--set", "training.steps=400", "--set", "training.checkpoint_every=null"];
        var alone = Run(["run", file, "--output", Path.Combine(root, "alone"), .. longer]);
        Assert.True(alone.ExitCode == 0, alone.Output);

        string shared = Path.Combine(root, "shared");
        var first = Process.Start(Start(["run", file, "--output", shared, "--resume", .. longer]))!;
        var second = Process.Start(Start(["run", file, "--output", shared, "--resume", .. longer]))!;
        var outputs = new[] { first, second }.Select(p => (Process: p, Text: p.StandardOutput.ReadToEndAsync(), Error: p.StandardError.ReadToEndAsync())).ToList();
        foreach (var (process, _, _) in outputs) Assert.True(process.WaitForExit(180_000));
        var printed = outputs.Select(o => o.Text.Result + o.Error.Result).ToList();
        Assert.True(first.ExitCode == 0 && second.ExitCode == 0, string.Join("\n----\n", printed));

        string[] names = ["lstm", "gru", "rnn", "lstm-wide"];
        string batch = Path.Combine(shared, "together");
        foreach (var name in names)
        {
            // Trained by exactly one of the two; the other left it, or found it done.
            int trained = printed.Count(text => Regex.IsMatch(text, $@"(^|\n){Regex.Escape(name)}: completed in"));
            Assert.True(trained == 1, $"{name} trained {trained} times:\n{string.Join("\n----\n", printed)}");
            int by = Json(Path.Combine(batch, name, "manifest.json")).GetProperty("process_id").GetInt32();
            Assert.Contains(by, new[] { first.Id, second.Id });
            Assert.Equal(Json(Path.Combine(root, "alone", "together", name, "summary.json")).GetProperty("test_loss").GetDouble(),
                Json(Path.Combine(batch, name, "summary.json")).GetProperty("test_loss").GetDouble());
            Assert.Equal(Metrics(Path.Combine(root, "alone", "together", name)), Metrics(Path.Combine(batch, name)));
        }
        Assert.Contains(printed, text => Regex.IsMatch(text, @": left to seqlab process \d+ on "));
        // The last merge saw every result.
        Assert.Equal(names, Json(Path.Combine(batch, "summary.json")).EnumerateArray().Select(e => e.GetProperty("name").GetString()));
        output.WriteLine(string.Join("\n----\n", printed.Select(text => string.Join("\n", text.Split('\n').Where(l => l.Contains(": completed in") || l.Contains("left to") || l.Contains("skipped"))))));
    }

    [Fact]
    public void A_full_disk_gives_a_clear_error_and_the_earlier_results_stay_intact()
    {
        string root = NativeFiles.TemporaryFolder();
        string tiny = TestPaths.TestData("tiny.yaml");
        string second = Write(root, "second.yaml", File.ReadAllText(tiny).Replace("batch: tiny", "batch: second", StringComparison.Ordinal));
        string disk = Path.Combine(root, "disk"), before = Path.Combine(root, "before"), after = Path.Combine(root, "after");
        Directory.CreateDirectory(disk);
        // A small tmpfs of our own, mounted in a private mount namespace (no root needed where user namespaces are allowed):
        // the first batch fits; then the disk is shrunk to leave 64 KB, less than the second batch's results need.
        string script = $"""
            set -u
            mount -t tmpfs -o size=8m tmpfs '{disk}' || exit 90
            '{Seqlab}' run '{tiny}' --output '{disk}' > '{root}/first.txt' 2>&1; echo $? > '{root}/first.rc'
            cp -a '{disk}/.' '{before}'
            used=$(df -k --output=used '{disk}' | tail -n 1 | tr -d ' ')
            mount -o remount,size=$((used + 64))k '{disk}' || exit 91
            '{Seqlab}' run '{second}' --output '{disk}' > '{root}/second.txt' 2>&1; echo $? > '{root}/second.rc'
            cp -a '{disk}/tiny/.' '{after}'
            """;
        var shell = NativeFiles.Run("unshare", "--user", "--map-root-user", "--mount", "bash", "-c", script);
        string firstOutput = File.ReadAllText(Path.Combine(root, "first.txt")), secondOutput = File.ReadAllText(Path.Combine(root, "second.txt"));
        Assert.True(File.ReadAllText(Path.Combine(root, "first.rc")).Trim() == "0", firstOutput);
        string exit = File.ReadAllText(Path.Combine(root, "second.rc")).Trim();
        output.WriteLine($"second run: exit {exit}\n{secondOutput}");
        Assert.Equal("1", exit);
        // The run says what failed and where, in words (the message names the full disk), and that the earlier results stand.
        Assert.Matches(@"error: writing the results under .*(disk was full|No space left on device).*; results written before are intact", secondOutput);
        Assert.DoesNotContain("Exception", secondOutput);
        Assert.DoesNotContain("   at ", secondOutput);
        // The first batch is byte for byte what it was.
        var files = Directory.GetFiles(Path.Combine(before, "tiny"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Path.Combine(before, "tiny"), f)).Order().ToList();
        Assert.Equal(files, Directory.GetFiles(after, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(after, f)).Order());
        Assert.All(files, relative => Assert.Equal(File.ReadAllBytes(Path.Combine(before, "tiny", relative)), File.ReadAllBytes(Path.Combine(after, relative))));
        _ = shell;
    }
}
