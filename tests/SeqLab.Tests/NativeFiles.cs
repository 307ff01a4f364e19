using System.Diagnostics;

namespace SeqLab.Tests;

/// <summary>Paths and helpers for tests on real native files.</summary>
static class NativeFiles
{
    /// <summary>The package's own (unpatched) libLibTorchSharp.so, as copied into the test output.</summary>
    public static string LibTorchSharp
    {
        get
        {
            string[] candidates =
            [
                Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
                Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so"),
            ];
            return candidates.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException("libLibTorchSharp.so is not in the test output", candidates[0]);
        }
    }

    /// <summary>The libstdc++ this process uses.</summary>
    public static string LoadedLibStdCxx =>
        File.ReadLines("/proc/self/maps").Select(l => l.IndexOf('/') is var i and >= 0 ? l[i..] : "")
            .First(p => Path.GetFileName(p).StartsWith("libstdc++.so", StringComparison.Ordinal));

    static readonly string TestRoot = Path.Combine(Path.GetTempPath(), "seqlab-tests", $"{Environment.ProcessId}-{Guid.NewGuid():N}");

    static NativeFiles() =>
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(TestRoot, recursive: true); } catch (IOException) { } };

    /// <summary>A fresh temporary folder, deleted when the test process exits.</summary>
    public static string TemporaryFolder()
    {
        string folder = Path.Combine(TestRoot, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>How to start <paramref name="program"/> with <paramref name="arguments"/>, its output captured and <paramref name="environment"/> added.</summary>
    public static ProcessStartInfo Start(string program, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        return start;
    }

    /// <summary>Runs a process to its end: exit code, and its standard output followed by its error output. After <paramref name="timeout"/> it is killed and this throws.</summary>
    public static (int ExitCode, string Output, string Error) Capture(ProcessStartInfo start, TimeSpan? timeout = null)
    {
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish in {(timeout ?? TimeSpan.FromMinutes(10)).TotalMinutes:F0} minutes");
        }
        process.WaitForExit(); // the output streams are complete only after this
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs a program and returns its standard output; throws with its error output when it fails.</summary>
    public static string Run(string program, params string[] arguments)
    {
        var (exitCode, output, error) = Capture(Start(program, null, arguments));
        if (exitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {exitCode}: {error}");
        return output;
    }
}
