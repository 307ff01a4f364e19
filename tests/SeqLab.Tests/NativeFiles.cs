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

    /// <summary>Runs a program and returns its standard output; throws with its error output when it fails.</summary>
    public static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {error}");
        return output;
    }
}
