using System.Diagnostics;
using SeqLab.NotebookRunner;

// seqlab-notebooks: runs notebooks in the .NET Interactive kernel (each in a fresh process, as each notebook gets its own
// kernel in an editor), saves them with their outputs, and checks that saved outputs match the notebooks' code.
const string Usage = """
    usage:
      seqlab-notebooks run [NOTEBOOK|FOLDER ...] [--save] [--root DIR] [--timeout SECONDS]
          run every code cell of each notebook (default: the folder notebooks/) in a fresh kernel; a failing cell fails the run.
          --save     write each notebook back with its outputs (only when every cell ran)
          --root     the folder the notebooks' relative paths start from (default: each notebook's own folder)
          --timeout  stop a notebook that runs longer (default 600 s)
      seqlab-notebooks verify [NOTEBOOK|FOLDER ...]
          check that every code cell has saved outputs, without errors, recorded from the cell's current code.
    """;

try
{
    if (args.Length == 0 || args[0] is "-h" or "--help") { Console.WriteLine(Usage); return 0; }
    var (paths, save, root, timeout) = ParseOptions(args.Skip(1).ToArray());
    return args[0] switch
    {
        "run" => await RunAll(Notebooks(paths), save, root, timeout),
        "verify" => Verify(Notebooks(paths)),
        "execute" => await ExecuteOne(paths.Single(), save, root), // one notebook in this process: what `run` starts per notebook
        _ => throw new ArgumentException($"unknown command '{args[0]}'; expected run or verify"),
    };
}
catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
{
    Console.Error.WriteLine($"seqlab-notebooks: {e.Message}");
    return 2;
}

static (List<string> Paths, bool Save, string? Root, int Timeout) ParseOptions(string[] options)
{
    var paths = new List<string>();
    bool save = false;
    string? root = null;
    int timeout = 600;
    for (int i = 0; i < options.Length; i++)
    {
        string Value() => i + 1 < options.Length ? options[++i] : throw new ArgumentException($"{options[i]} needs a value");
        switch (options[i])
        {
            case "--save": save = true; break;
            case "--root": root = Path.GetFullPath(Value()); break;
            case "--timeout":
                string text = Value();
                timeout = int.TryParse(text, out int seconds) && seconds > 0 ? seconds : throw new ArgumentException($"--timeout expects a positive number of seconds, got '{text}'");
                break;
            case var option when option.StartsWith('-'): throw new ArgumentException($"unknown option '{option}'\n{Usage}");
            default: paths.Add(options[i]); break;
        }
    }
    return (paths, save, root, timeout);
}

static List<string> Notebooks(List<string> paths)
{
    var notebooks = new List<string>();
    foreach (string path in paths.Count == 0 ? ["notebooks"] : paths)
    {
        if (Directory.Exists(path)) notebooks.AddRange(Directory.GetFiles(path, "*.ipynb").Order(StringComparer.Ordinal));
        else if (File.Exists(path)) notebooks.Add(path);
        else throw new FileNotFoundException($"{path}: no such notebook or folder");
    }
    return notebooks.Count > 0 ? notebooks : throw new ArgumentException($"no notebooks in {string.Join(", ", paths)}");
}

static async Task<int> ExecuteOne(string path, bool save, string? root)
{
    var notebook = NotebookDocument.Load(path);
    try
    {
        await NotebookExecutor.ExecuteAsync(notebook, root, Console.WriteLine);
    }
    catch (CellFailedException failure)
    {
        Console.Error.WriteLine(failure.Message);
        return 1; // the saved notebook keeps its earlier outputs: nothing half-run is written
    }
    if (save) notebook.Save(notebook.Path);
    return 0;
}

static async Task<int> RunAll(List<string> notebooks, bool save, string? root, int timeoutSeconds)
{
    var results = new List<(string Notebook, string Status, double Seconds)>();
    foreach (string notebook in notebooks)
    {
        var clock = Stopwatch.StartNew();
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = false, RedirectStandardError = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") start.ArgumentList.Add(typeof(NotebookExecutor).Assembly.Location);
        start.ArgumentList.Add("execute");
        start.ArgumentList.Add(notebook);
        if (save) start.ArgumentList.Add("--save");
        if (root is not null) { start.ArgumentList.Add("--root"); start.ArgumentList.Add(root); }
        // LibTorch's OpenMP threads sleep instead of spinning while they wait: the same numbers, and a kernel that shares its
        // cores (with tests, or another program) is not stalled by its own idle threads. A value the user set is kept.
        if (!start.Environment.ContainsKey("OMP_WAIT_POLICY")) start.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        string status;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            status = process.ExitCode == 0 ? (save ? "ran, saved" : "ran") : "FAILED";
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Console.Error.WriteLine($"{notebook}: stopped after {timeoutSeconds} s (--timeout)");
            status = "TIMED OUT";
        }
        results.Add((notebook, status, clock.Elapsed.TotalSeconds));
    }
    Console.WriteLine();
    foreach (var (notebook, status, seconds) in results) Console.WriteLine($"{status,-11} {seconds,6:F1} s  {notebook}");
    return results.All(r => r.Status.StartsWith("ran", StringComparison.Ordinal)) ? 0 : 1;
}

static int Verify(List<string> notebooks)
{
    var problems = notebooks.SelectMany(path => NotebookDocument.Load(path).OutputProblems()).ToList();
    foreach (string problem in problems) Console.Error.WriteLine(problem);
    if (problems.Count == 0) Console.WriteLine($"{notebooks.Count} notebooks: every code cell has outputs from its current code");
    return problems.Count == 0 ? 0 : 1;
}
