using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using SeqLab.Experiments.Config;
using SeqLab.Reports;
using SeqLab.Experiments.Results;
using SeqLab.Experiments.Running;
using SeqLab.Runtime;
using Spectre.Console;

namespace SeqLab.Experiments.Cli;

/// <summary>The <c>seqlab</c> command line: <c>run FILE</c>, <c>validate FILE</c> and <c>report FOLDER</c>.</summary>
public static class SeqLabCli
{
    /// <summary>Exit code: success.</summary>
    public const int Success = 0;
    /// <summary>Exit code: at least one experiment failed with an error.</summary>
    public const int ExperimentFailed = 1;
    /// <summary>Exit code: the experiments file is invalid; nothing ran.</summary>
    public const int InvalidConfig = 2;

    /// <summary>Parses <paramref name="args"/> and runs the command, writing to <paramref name="output"/> (default: the console).</summary>
    public static int Invoke(string[] args, TextWriter? output = null)
    {
        var writer = output ?? Console.Out;
        var console = output is null
            ? AnsiConsole.Console
            : AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        if (!console.Profile.Capabilities.Interactive) console.Profile.Width = Math.Max(console.Profile.Width, 200); // CI logs: no wrapping

        var fileArgument = new Argument<FileInfo>("file") { Description = "The experiments file (YAML)." };
        var outputOption = new Option<DirectoryInfo>("--output", "-o")
        {
            Description = "Folder that holds the batch folders.",
            DefaultValueFactory = _ => new DirectoryInfo("runs"),
        };
        var overwriteOption = new Option<bool>("--overwrite") { Description = "Replace an earlier batch of the same name instead of creating name-2, name-3, …" };
        var resumeOption = new Option<bool>("--resume") { Description = "Reuse the batch folder: skip experiments that already finished there, run the rest." };
        var setOption = new Option<string[]>("--set") { Description = "Override a setting in every experiment: section.key=value (repeatable), e.g. --set training.learning_rate=0.01" };
        var onlyOption = new Option<string?>("--only") { Description = "Run only experiments whose name matches (a name or a glob with * and ?)." };
        var dryRunOption = new Option<bool>("--dry-run") { Description = "List the expanded experiments with their resolved configs; run nothing." };
        var shardOption = new Option<string?>("--shard") { Description = "Run shard i of N (i/N): experiments k with k mod N = i. Read from Slurm job arrays (SLURM_ARRAY_TASK_ID/COUNT) when absent." };
        var shardsOption = new Option<int?>("--shards") { Description = "Number of shards for a Kubernetes Indexed Job (JOB_COMPLETION_INDEX gives i)." };
        var jobsOption = new Option<int>("--jobs", "-j") { Description = "Run this many experiments at once, splitting each one's threads between them.", DefaultValueFactory = _ => 1 };

        var run = new Command("run", "Validate the experiments file, then train every experiment and write runs/<batch>/<experiment>/.")
        {
            fileArgument, outputOption, overwriteOption, resumeOption, setOption, onlyOption, dryRunOption, shardOption, shardsOption, jobsOption,
        };
        run.SetAction(parse => Run(console, writer, new RunRequest(parse.GetValue(fileArgument)!, parse.GetValue(outputOption)!, parse.GetValue(overwriteOption),
            parse.GetValue(resumeOption), parse.GetValue(setOption) ?? [], parse.GetValue(onlyOption), parse.GetValue(dryRunOption), parse.GetValue(shardOption), parse.GetValue(shardsOption), parse.GetValue(jobsOption))));

        var validateFile = new Argument<FileInfo>("file") { Description = "The experiments file (YAML)." };
        var validateSet = new Option<string[]>("--set") { Description = "Override a setting in every experiment: section.key=value (repeatable)." };
        var validate = new Command("validate", "Check the experiments file against the schema and list the expanded experiments; runs nothing.")
        {
            validateFile, validateSet,
        };
        validate.SetAction(parse => Validate(writer, parse.GetValue(validateFile)!, parse.GetValue(validateSet) ?? []));

        var reportFolder = new Argument<DirectoryInfo>("folder") { Description = "A batch folder, e.g. runs/adding-T50 (or one experiment's folder, for just its report)." };
        var selfContainedOption = new Option<bool>("--self-contained") { Description = "Embed plotly.js in every HTML page (3.6 MB each) instead of sharing one copy in the batch folder." };
        var pngOption = new Option<bool>("--png") { Description = "Also export every chart as a PNG (<experiment>/charts/<chart>.png) through headless Chromium; SEQLAB_BROWSER names the browser." };
        var chartOption = new Option<string?>("--chart") { Description = "With --png: only the charts whose id matches (a name or a glob), e.g. gradient-over-time." };
        var report = new Command("report", "Merge the experiment results under a batch folder (e.g. after sharded runs) into summary.csv/json, print the table and write the HTML reports (index.html, <experiment>/report.html).")
        {
            reportFolder, selfContainedOption, pngOption, chartOption,
        };
        report.SetAction(parse => Report(console, writer, parse.GetValue(reportFolder)!, parse.GetValue(selfContainedOption), parse.GetValue(pngOption), parse.GetValue(chartOption)));

        var schema = new Command("schema", "Print the dataset and model keys — every kind of data and model type, with types, defaults and help — as the markdown tables of docs/experiments.md.");
        schema.SetAction(_ =>
        {
            foreach (var (name, table) in SchemaDocs.Blocks()) writer.Write($"## {name}\n\n{table}\n");
            return Success;
        });

        var root = new RootCommand("SeqLab: train sequence models and watch their gradients flow (or vanish) through time.") { run, validate, report, schema };
        var configuration = new InvocationConfiguration();
        if (output is not null)
        {
            configuration.Output = output;
            configuration.Error = output;
        }
        return root.Parse(args).Invoke(configuration);
    }

    sealed record RunRequest(FileInfo File, DirectoryInfo Output, bool Overwrite, bool Resume, string[] Settings, string? Only, bool DryRun, string? Shard, int? Shards, int Jobs);

    /// <summary>Errors go out as plain, unwrapped lines (<c>error: file:line:column: message</c>) so editors and grep can use them.</summary>
    static BatchConfig? LoadOrReport(TextWriter writer, FileInfo file, IReadOnlyList<string> settings)
    {
        try
        {
            return ConfigLoader.Load(file.ToString(), settings);
        }
        catch (ConfigException exception)
        {
            foreach (var error in exception.Errors)
                writer.WriteLine($"error: {error}");
            writer.WriteLine($"{exception.Errors.Count} error(s); nothing was run.");
            return null;
        }
    }

    static int Validate(TextWriter writer, FileInfo file, IReadOnlyList<string> settings)
    {
        var batch = LoadOrReport(writer, file, settings);
        if (batch is null) return InvalidConfig;
        writer.WriteLine($"{file}: valid; batch '{batch.Name}' with {batch.Experiments.Count} experiment(s):");
        foreach (var e in batch.Experiments)
            writer.WriteLine($"  {e.Name}: {e.Model.Type} on {e.Dataset.Type}, {e.Training.Steps} steps, seed {e.Training.Seed}");
        return Success;
    }

    static int Run(IAnsiConsole console, TextWriter writer, RunRequest request)
    {
        var batch = LoadOrReport(writer, request.File, request.Settings);
        if (batch is null) return InvalidConfig;
        if (request.Jobs < 1)
        {
            writer.WriteLine($"error: --jobs {request.Jobs}: expected at least 1");
            return InvalidConfig;
        }

        var selected = batch.Experiments;
        if (request.Only is string pattern)
        {
            var glob = Glob(pattern);
            selected = selected.Where(e => glob.IsMatch(e.Name)).ToList();
            if (selected.Count == 0)
            {
                writer.WriteLine($"error: --only {pattern} matches no experiment; the batch has: {string.Join(", ", batch.Experiments.Select(e => e.Name))}");
                return InvalidConfig;
            }
        }
        Shard? shard;
        try
        {
            shard = Shard.Resolve(request.Shard, request.Shards, Environment.GetEnvironmentVariables());
        }
        catch (ArgumentException exception)
        {
            writer.WriteLine($"error: {exception.Message}");
            return InvalidConfig;
        }
        if (shard is not null) selected = shard.Select(selected);

        if (request.DryRun)
        {
            writer.WriteLine($"Batch '{batch.Name}': {selected.Count} of {batch.Experiments.Count} experiment(s){(shard is null ? "" : $" (shard {shard.Index}/{shard.Count})")}:");
            foreach (var experiment in selected)
            {
                writer.WriteLine($"--- {experiment.Name}");
                writer.Write(ResultsWriter.ResolvedConfigYaml(experiment));
            }
            return Success;
        }

        var runtime = TorchRuntime.EnsureLoaded();
        console.MarkupLineInterpolated($"[grey]TorchSharp natives: {runtime.Note}[/]");
        try
        {
            // Shards and resumed runs share one batch folder; a fresh run never overwrites an earlier batch.
            string folder = shard is not null || request.Resume
                ? Directory.CreateDirectory(Path.Combine(request.Output.ToString(), batch.Name)).FullName
                : ResultsWriter.CreateBatchFolder(request.Output.ToString(), batch.Name, request.Overwrite);
            console.MarkupLineInterpolated($"Batch '{batch.Name}': {selected.Count} experiment(s){(shard is null ? "" : $" (shard {shard.Index}/{shard.Count})")} → {folder}");

            var order = batch.Experiments.Select(e => e.Name).ToList();
            // Ctrl+C: finish the current step, write a checkpoint, stop; --resume continues from there.
            using var interrupt = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                if (interrupt.IsCancellationRequested) return; // a second Ctrl+C ends the process
                e.Cancel = true;
                interrupt.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            IReadOnlyList<ExperimentSummary> summaries = [];
            if (console.Profile.Capabilities.Interactive)
                console.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(context => summaries = new BatchRunner(new LiveProgress(context), request.File.FullName, interrupt.Token, request.Jobs).Run(selected, folder, order));
            else
                summaries = new BatchRunner(new PlainProgress(console), request.File.FullName, interrupt.Token, request.Jobs).Run(selected, folder, order);
            Console.CancelKeyPress -= onCancel;

            console.Write(SummaryTable(summaries));
            foreach (var s in summaries.Where(s => s.Message is not null))
                console.MarkupLineInterpolated($"[yellow]{s.Name}[/]: {s.Status}: {s.Message}");
            console.MarkupLineInterpolated($"Results: {folder}");
            if (!WriteReports(console, writer, folder, selfContained: false)) return ExperimentFailed;
            return summaries.Any(s => s.Status == "failed" && selected.Any(e => e.Name == s.Name)) ? ExperimentFailed : Success;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or TimeoutException)
        {
            // A full disk or a read-only folder: every result file is replaced whole or not at all, so what was there stays.
            writer.WriteLine($"error: writing the results under {request.Output} failed: {exception.Message}; results written before are intact");
            return ExperimentFailed;
        }
    }

    /// <summary>Writes the batch's HTML reports; a failure is reported (the results themselves are already safe on disk).</summary>
    static bool WriteReports(IAnsiConsole console, TextWriter writer, string folder, bool selfContained) =>
        TryReport(console, writer, () =>
        {
            var files = HtmlReport.WriteBatch(folder, selfContained);
            return $"{files.Index} ({files.Experiments.Count} experiment report(s))";
        });

    /// <summary>Runs <paramref name="write"/> and prints where it wrote; an error is printed and gives false rather than a crash.</summary>
    static bool TryReport(IAnsiConsole console, TextWriter writer, Func<string?> write)
    {
        try
        {
            console.MarkupLineInterpolated($"Report: {write()}");
            return true;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            writer.WriteLine($"error: writing the HTML reports failed: {exception.Message}");
            return false;
        }
    }

    static int Report(IAnsiConsole console, TextWriter writer, DirectoryInfo folder, bool selfContained = false, bool png = false, string? chart = null)
    {
        if (!folder.Exists)
        {
            writer.WriteLine($"error: {folder}: no such batch folder");
            return InvalidConfig;
        }
        if (File.Exists(Path.Combine(folder.FullName, "config.yaml")) && ExperimentResults.ReadSummary(folder.FullName) is not null)
        {
            // An experiment folder rather than a batch: just its report.
            return TryReport(console, writer, () => HtmlReport.WriteExperiment(folder.FullName)) ? Success : ExperimentFailed;
        }
        var summaries = ResultsWriter.MergeBatchSummary(folder.FullName, ExperimentResults.ReadBatchOrder(folder.FullName)); // keep the experiments file's order; newcomers by name
        if (summaries.Count == 0)
        {
            writer.WriteLine($"error: {folder}: no experiment results (no */summary.json)");
            return InvalidConfig;
        }
        console.Write(SummaryTable(summaries));
        console.MarkupLineInterpolated($"Merged {summaries.Count} experiment(s) into {Path.Combine(folder.ToString(), "summary.csv")}");
        if (!WriteReports(console, writer, folder.FullName, selfContained)) return ExperimentFailed;
        if (png)
        {
            if (ChartImages.FindBrowser() is not string browser)
            {
                writer.WriteLine("error: --png needs a Chromium-based browser: install Debian's chromium (apt-get install chromium) or set SEQLAB_BROWSER");
                return ExperimentFailed;
            }
            var glob = chart is null ? null : Glob(chart);
            Func<string, bool>? filter = glob is null ? null : glob.IsMatch;
            try
            {
                var images = ChartImages.ExportBatch(folder.FullName, browser, filter);
                console.MarkupLineInterpolated($"Wrote {images.Count} PNG chart(s) with {browser}");
            }
            catch (Exception exception) when (exception is InvalidOperationException or TimeoutException or IOException or System.ComponentModel.Win32Exception)
            {
                writer.WriteLine($"error: PNG export failed: {exception.Message}");
                return ExperimentFailed;
            }
        }
        return Success;
    }

    /// <summary>A name or a glob with * and ? as a whole-string pattern.</summary>
    static Regex Glob(string pattern) => new("^" + Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$");

    static Table SummaryTable(IReadOnlyList<ExperimentSummary> summaries)
    {
        var table = new Table().Title("Summary")
            .AddColumns("experiment", "model", "data", "status", "test loss", "baseline", "loss / baseline", "metric", "grad x₁/x_T start → end", "verdict", "clipped", "time");
        foreach (var s in summaries)
        {
            string Number(double? value, string format) => value is double d && double.IsFinite(d) ? d.ToString(format, CultureInfo.InvariantCulture) : "–";
            string metric = new[] { "accuracy", "perplexity", "mase", "rmse" }.FirstOrDefault(s.TestMetrics.ContainsKey) is string name
                ? $"{name} {Number(s.TestMetrics[name], "F3")}" : "–";
            table.AddRow(
                Markup.Escape(s.Name), Markup.Escape(s.Model), Markup.Escape(s.Dataset), Markup.Escape(s.Status),
                Number(s.TestLoss, "F4"), Number(s.BaselineLoss, "F4"), Number(s.TestLoss / s.BaselineLoss, "F3"), Markup.Escape(metric),
                $"{Number(s.Diagnostic("gradient_ratio_first"), "E1")} → {Number(s.Diagnostic("gradient_ratio_last"), "E1")}",
                Markup.Escape(s.Verdict), $"{s.ClipFraction:P0}", $"{s.WallSeconds:F1} s");
        }
        return table;
    }
}
