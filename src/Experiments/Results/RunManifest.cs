using System.Reflection;
using System.Runtime.InteropServices;

namespace SeqLab.Experiments.Results;

/// <summary>Where and with what an experiment ran: enough to reproduce it or to explain a difference.</summary>
public sealed record RunManifest(
    string SeqLabVersion, string TorchSharpVersion, string LibTorchVersion, string DotNetVersion, string OperatingSystem, string Architecture,
    string Host, int ProcessorCount, int Threads, long Seed, string Device, string? GitCommit, string CommandLine,
    DateTime StartedUtc, DateTime FinishedUtc, double WallSeconds)
{
    /// <summary>The process that finished the experiment.</summary>
    public int ProcessId { get; init; } = Environment.ProcessId;

    /// <summary>The steps after which the run was resumed from a checkpoint (empty: it ran straight through).</summary>
    public IReadOnlyList<int> ResumedAfterSteps { get; init; } = [];

    /// <summary>Describes this process for an experiment that ran with <paramref name="threads"/>, <paramref name="seed"/> on <paramref name="device"/>.</summary>
    public static RunManifest Describe(int threads, long seed, string device, string? configFile, DateTime startedUtc, double wallSeconds) => new(
        typeof(RunManifest).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
        typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "unknown",
        TorchSharp.torch.__version__,
        RuntimeInformation.FrameworkDescription,
        RuntimeInformation.OSDescription,
        RuntimeInformation.ProcessArchitecture.ToString(),
        Environment.MachineName,
        Environment.ProcessorCount,
        threads, seed, device,
        FindGitCommit(configFile is null ? Environment.CurrentDirectory : Path.GetDirectoryName(Path.GetFullPath(configFile))!),
        Environment.CommandLine,
        startedUtc, DateTime.UtcNow, wallSeconds);

    /// <summary>The commit checked out in the git repository holding <paramref name="folder"/>, read from .git without running git; null outside a repository.</summary>
    public static string? FindGitCommit(string folder)
    {
        for (var directory = new DirectoryInfo(folder); directory is not null; directory = directory.Parent)
        {
            string git = Path.Combine(directory.FullName, ".git");
            if (!Directory.Exists(git)) continue;
            string head = File.ReadAllText(Path.Combine(git, "HEAD")).Trim();
            if (!head.StartsWith("ref: ", StringComparison.Ordinal)) return head;
            string reference = head[5..];
            string loose = Path.Combine(git, reference);
            if (File.Exists(loose)) return File.ReadAllText(loose).Trim();
            string packed = Path.Combine(git, "packed-refs");
            if (File.Exists(packed))
                foreach (var line in File.ReadLines(packed))
                    if (line.EndsWith(" " + reference, StringComparison.Ordinal)) return line[..line.IndexOf(' ')];
            return null;
        }
        return null;
    }
}
