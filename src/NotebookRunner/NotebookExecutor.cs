using System.Diagnostics;
using System.Reactive.Linq;
using System.Runtime.Loader;
using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace SeqLab.NotebookRunner;

/// <summary>A code cell that failed: which one, and what the kernel said.</summary>
public sealed class CellFailedException(string notebook, int cell, string message)
    : Exception($"{notebook}, code cell {cell} failed: {message}")
{
    /// <summary>1-based index among the code cells.</summary>
    public int Cell { get; } = cell;
}

/// <summary>
/// Executes a notebook's code cells in order in a fresh .NET Interactive C# kernel, set up as Polyglot Notebooks sets up
/// its kernel: <c>#r "nuget:…"</c> restored by the kernel's package manager (and the packages' kernel extensions loaded),
/// <c>#r "path"</c> relative to the notebook's folder, HTML as the preferred output. The first failing cell stops the run.
/// </summary>
public static class NotebookExecutor
{
    /// <summary>The kernel's version, recorded in every executed notebook.</summary>
    public static string KernelVersion =>
        $"Microsoft.DotNet.Interactive {typeof(Kernel).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false).OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0]}";

    /// <summary>
    /// Runs every code cell of <paramref name="notebook"/> with <paramref name="workingDirectory"/> as the current directory
    /// (default: the notebook's folder) and writes the outputs into the document; <paramref name="progress"/> hears of each cell.
    /// Throws <see cref="CellFailedException"/> at the first cell that fails.
    /// </summary>
    public static async Task ExecuteAsync(NotebookDocument notebook, string? workingDirectory, Action<string> progress)
    {
        Directory.SetCurrentDirectory(workingDirectory ?? Path.GetDirectoryName(Path.GetFullPath(notebook.Path))!);
        // Polyglot Notebooks' browser front end: HTML for objects, plain text for strings.
        Formatter.DefaultMimeType = HtmlFormatter.MimeType;
        Formatter.SetPreferredMimeTypesFor(typeof(string), PlainTextFormatter.MimeType);

        using var kernel = new CompositeKernel { new CSharpKernel().UseNugetDirective(ReferencePackages).UseKernelHelpers().UseValueSharing() };
        kernel.DefaultKernelName = "csharp";
        LoadExtensionsOfAddedPackages(kernel);

        string name = Path.GetFileName(notebook.Path);
        var cells = notebook.CodeCells;
        var fingerprints = notebook.SourceFingerprints();
        var total = Stopwatch.StartNew();
        for (int i = 0; i < cells.Count; i++)
        {
            var clock = Stopwatch.StartNew();
            var result = await kernel.SendAsync(new SubmitCode(NotebookDocument.Source(cells[i]), "csharp"));
            var outputs = new JsonArray();
            var displayed = new Dictionary<string, JsonObject>(); // display id → its output, for updates (e.g. "Installing…" → "Installed")
            foreach (var e in result.Events)
            {
                switch (e)
                {
                    case StandardOutputValueProduced output: AppendStream(outputs, "stdout", Text(output)); break;
                    case StandardErrorValueProduced error: AppendStream(outputs, "stderr", Text(error)); break;
                    case ReturnValueProduced value: outputs.Add(Display("execute_result", value, i + 1)); break;
                    case DisplayedValueUpdated update when update.ValueId is { } updated && displayed.TryGetValue(updated, out var earlier):
                        earlier["data"] = Display("display_data", update, null)["data"]!.DeepClone();
                        break;
                    case DisplayEvent display and (DisplayedValueProduced or DisplayedValueUpdated):
                        var shown = Display("display_data", display, null);
                        if (display is DisplayedValueProduced { ValueId: { } id }) displayed[id] = shown;
                        outputs.Add(shown);
                        break;
                    case CommandFailed failed:
                        throw new CellFailedException(name, i + 1, failed.Message);
                }
            }
            notebook.SetOutputs(i, i + 1, outputs, fingerprints[i], clock.Elapsed.TotalSeconds);
            progress($"{name}: code cell {i + 1}/{cells.Count} ran in {clock.Elapsed.TotalSeconds:F1} s");
        }
        notebook.SetRunInfo(KernelVersion, total.Elapsed.TotalSeconds);
    }

    // What dotnet-interactive's C# kernel does with restored packages: reference their assemblies.
    static Task ReferencePackages(CSharpKernel kernel, IReadOnlyList<ResolvedPackageReference> packages)
    {
        kernel.AddAssemblyReferences(packages.SelectMany(p => p.AssemblyPaths));
        return Task.CompletedTask;
    }

    static string Text(DisplayEvent e) => e.FormattedValues.FirstOrDefault(v => v.MimeType == PlainTextFormatter.MimeType)?.Value ?? e.Value?.ToString() ?? "";

    // Jupyter keeps consecutive writes to one stream as one output.
    static void AppendStream(JsonArray outputs, string stream, string text)
    {
        if (outputs.Count > 0 && outputs[^1] is JsonObject last && (string?)last["output_type"] == "stream" && (string?)last["name"] == stream)
            last["text"] = (string?)last["text"] + text;
        else
            outputs.Add(new JsonObject { ["output_type"] = "stream", ["name"] = stream, ["text"] = text });
    }

    static JsonObject Display(string type, DisplayEvent e, int? executionCount)
    {
        var data = new JsonObject();
        foreach (var value in e.FormattedValues.Where(v => !v.SuppressDisplay)) data[value.MimeType] = value.Value;
        var output = new JsonObject { ["output_type"] = type, ["data"] = data, ["metadata"] = new JsonObject() };
        if (executionCount is int count) output["execution_count"] = count;
        return output;
    }

    /// <summary>
    /// As dotnet-interactive does: a package added by <c>#r "nuget:"</c> that carries <c>interactive-extensions/dotnet/*.dll</c>
    /// (Microsoft.Data.Analysis does: its DataFrame formatter) has its kernel extensions loaded after the cell.
    /// </summary>
    static void LoadExtensionsOfAddedPackages(CompositeKernel kernel)
    {
        var pending = new Queue<string>();
        var seen = new HashSet<string>();
        kernel.RegisterForDisposal(kernel.KernelEvents.OfType<PackageAdded>().Subscribe(added =>
        {
            lock (pending) if (added.PackageReference.PackageRoot is { } root && seen.Add(root)) pending.Enqueue(root);
        }));
        kernel.AddMiddleware(async (command, context, next) =>
        {
            await next(command, context);
            while (true)
            {
                string root;
                lock (pending) { if (pending.Count == 0) break; root = pending.Dequeue(); }
                var folder = new DirectoryInfo(Path.Combine(root, "interactive-extensions", "dotnet"));
                if (!folder.Exists) continue;
                foreach (var dll in folder.GetFiles("*.dll"))
                {
                    var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(dll.FullName);
                    foreach (var type in assembly.ExportedTypes.Where(t => !t.IsAbstract && !t.IsInterface && typeof(IKernelExtension).IsAssignableFrom(t)))
                        await ((IKernelExtension)Activator.CreateInstance(type)!).OnLoadAsync(kernel);
                }
            }
        });
    }
}
