using System.CommandLine;
using System.Globalization;
using SeqLab.Experiments.Config;
using SeqLab.Experiments.Results;
using SeqLab.Experiments.Running;
using SeqLab.Runtime;
using Spectre.Console;

namespace SeqLab.Experiments.Cli;

/// <summary>The <c>seqlab</c> command line: <c>run FILE</c> and <c>validate FILE</c>.</summary>
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

        var run = new Command("run", "Validate the experiments file, then train every experiment and write runs/<batch>/<experiment>/.")
        {
            fileArgument, outputOption, overwriteOption,
        };
        run.SetAction(parse => Run(console, writer, parse.GetValue(fileArgument)!, parse.GetValue(outputOption)!, parse.GetValue(overwriteOption)));

        var validateFile = new Argument<FileInfo>("file") { Description = "The experiments file (YAML)." };
        var validate = new Command("validate", "Check the experiments file against the schema and list the resolved experiments; runs nothing.")
        {
            validateFile,
        };
        validate.SetAction(parse => Validate(writer, parse.GetValue(validateFile)!));

        var root = new RootCommand("SeqLab: train sequence models and watch their gradients flow (or vanish) through time.") { run, validate };
        var configuration = new InvocationConfiguration();
        if (output is not null)
        {
            configuration.Output = output;
            configuration.Error = output;
        }
        return root.Parse(args).Invoke(configuration);
    }

    /// <summary>Errors go out as plain, unwrapped lines (<c>error: file:line:column: message</c>) so editors and grep can use them.</summary>
    static BatchConfig? LoadOrReport(TextWriter writer, FileInfo file)
    {
        try
        {
            return ConfigLoader.Load(file.ToString());
        }
        catch (ConfigException exception)
        {
            foreach (var error in exception.Errors)
                writer.WriteLine($"error: {error}");
            writer.WriteLine($"{exception.Errors.Count} error(s); nothing was run.");
            return null;
        }
    }

    static int Validate(TextWriter writer, FileInfo file)
    {
        var batch = LoadOrReport(writer, file);
        if (batch is null) return InvalidConfig;
        writer.WriteLine($"{file}: valid; batch '{batch.Name}' with {batch.Experiments.Count} experiment(s):");
        foreach (var e in batch.Experiments)
            writer.WriteLine($"  {e.Name}: {e.Model.Type} on {e.Dataset.Type}, {e.Training.Steps} steps, seed {e.Training.Seed}");
        return Success;
    }

    static int Run(IAnsiConsole console, TextWriter writer, FileInfo file, DirectoryInfo outputRoot, bool overwrite)
    {
        var batch = LoadOrReport(writer, file);
        if (batch is null) return InvalidConfig;

        var runtime = TorchRuntime.EnsureLoaded();
        console.MarkupLineInterpolated($"[grey]TorchSharp natives: {runtime.Note}[/]");
        string folder = ResultsWriter.CreateBatchFolder(outputRoot.ToString(), batch.Name, overwrite);
        console.MarkupLineInterpolated($"Batch '{batch.Name}': {batch.Experiments.Count} experiment(s) → {folder}");

        IReadOnlyList<ExperimentSummary> summaries = [];
        if (console.Profile.Capabilities.Interactive)
            console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(context => summaries = new BatchRunner(new LiveProgress(context)).Run(batch, folder));
        else
            summaries = new BatchRunner(new PlainProgress(console)).Run(batch, folder);

        console.Write(SummaryTable(summaries));
        foreach (var s in summaries.Where(s => s.Message is not null))
            console.MarkupLineInterpolated($"[yellow]{s.Name}[/]: {s.Status}: {s.Message}");
        console.MarkupLineInterpolated($"Results: {folder}");
        return summaries.Any(s => s.Status == "failed") ? ExperimentFailed : Success;
    }

    static Table SummaryTable(IReadOnlyList<ExperimentSummary> summaries)
    {
        var table = new Table().Title("Summary")
            .AddColumns("experiment", "model", "data", "status", "test loss", "baseline", "loss / baseline", "metric", "grad x₁/x_T start → end", "clipped", "time");
        foreach (var s in summaries)
        {
            string Number(double? value, string format) => value is double d && double.IsFinite(d) ? d.ToString(format, CultureInfo.InvariantCulture) : "–";
            string metric = new[] { "accuracy", "perplexity", "mase", "rmse" }.FirstOrDefault(s.TestMetrics.ContainsKey) is string name
                ? $"{name} {Number(s.TestMetrics[name], "F3")}" : "–";
            table.AddRow(
                Markup.Escape(s.Name), Markup.Escape(s.Model), Markup.Escape(s.Dataset), Markup.Escape(s.Status),
                Number(s.TestLoss, "F4"), Number(s.BaselineLoss, "F4"), Number(s.TestLoss / s.BaselineLoss, "F3"), Markup.Escape(metric),
                $"{Number(s.GradientRatioFirst, "E1")} → {Number(s.GradientRatioLast, "E1")}",
                $"{s.ClipFraction:P0}", $"{s.WallSeconds:F1} s");
        }
        return table;
    }
}
