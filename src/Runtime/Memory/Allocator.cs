using System.Runtime.InteropServices;

namespace SeqLab.Runtime.Memory;

/// <summary>
/// Keeps glibc's allocator from growing a training process without bound. glibc raises its mmap threshold each time a
/// large block allocated with mmap is freed (up to 32 MB), so LibTorch's many short-lived activation and gradient buffers
/// end up on the heap, which fragments: measured here, the main job's LSTM grew to 11–15 GB of resident memory (2 runs in 3)
/// and trained at half speed, while the same run with a fixed threshold stayed near 0.5 GB. Fixing the threshold (which
/// also switches the dynamic adjustment off) gives large buffers back to the system when they are freed. 1 MiB, measured on
/// the main job: 128 KiB also stayed flat but mapped every mid-sized buffer (the Transformer took 34–39 s instead of 30 s);
/// 4 MiB let the GRU grow to 3.5 GB.
/// <para>The growth comes from glibc's per-thread arenas, not from large blocks as such: with one arena
/// (<c>MALLOC_ARENA_MAX=1</c>) and a 32 MiB threshold the same LSTM stays flat and trains twice as fast, because 1 MiB
/// maps and zero-fills every activation buffer anew (12 M page faults and 22 s of system time on 3,000 steps). The arena
/// count can only be chosen before the first thread allocates, so a program sets it by restarting itself
/// (<see cref="RestartWithOneArena"/>); a process that cannot (a test host, a notebook kernel) keeps the 1 MiB threshold.</para>
/// </summary>
public static class Allocator
{
    const int MmapThresholdParameter = -3; // M_MMAP_THRESHOLD in malloc.h

    /// <summary>The environment <see cref="RestartWithOneArena"/> starts the program again with.</summary>
    public static readonly IReadOnlyDictionary<string, string> OneArenaEnvironment = new Dictionary<string, string>
    {
        ["MALLOC_ARENA_MAX"] = "1",
        ["MALLOC_MMAP_THRESHOLD_"] = (32 * 1024 * 1024).ToString(), // glibc's largest; only buffers beyond it are mapped
        ["MALLOC_TRIM_THRESHOLD_"] = (256 * 1024 * 1024).ToString(), // keep freed heap for the next step instead of returning and re-faulting it
    };

    [DllImport("libc", EntryPoint = "execve", SetLastError = true)]
    private static extern int ExecVe(string path, string?[] arguments, string?[] environment);

    /// <summary>The threshold applied: allocations of at least this many bytes are mapped, and unmapped when freed.</summary>
    public const int MmapThreshold = 1024 * 1024;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);

    /// <summary>
    /// For a program's first line: replaces this process (same process id, same arguments, <c>execve</c>) with itself
    /// started with <see cref="OneArenaEnvironment"/>, once. Returns only where it does nothing: not Linux, any of those
    /// variables already set (the user's choice, or the restart already done), or the restart failed — then the program
    /// runs as it is and <see cref="FixMmapThreshold"/> still keeps its memory flat. Call it before anything is printed,
    /// opened or started.
    /// </summary>
    public static void RestartWithOneArena()
    {
        if (!OperatingSystem.IsLinux() || OneArenaEnvironment.Keys.Any(key => Environment.GetEnvironmentVariable(key) is not null)) return;
        try
        {
            string executable = Environment.ProcessPath ?? "/proc/self/exe";
            // The exact original arguments, host included (`dotnet seqlab.dll …` or the apphost's `seqlab …`).
            var arguments = File.ReadAllText("/proc/self/cmdline").TrimEnd('\0').Split('\0');
            var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                .Select(entry => $"{entry.Key}={entry.Value}")
                .Concat(OneArenaEnvironment.Select(pair => $"{pair.Key}={pair.Value}"));
            ExecVe(executable, [.. arguments, null], [.. environment, null]); // returns only on failure
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EntryPointNotFoundException or DllNotFoundException)
        {
            // Run on as we are.
        }
    }

    /// <summary>
    /// Fixes glibc's mmap threshold at <see cref="MmapThreshold"/>, unless <c>MALLOC_MMAP_THRESHOLD_</c> is set (the user's
    /// choice wins). Returns what was done, in words; does nothing off Linux or without glibc.
    /// </summary>
    public static string FixMmapThreshold()
    {
        if (!OperatingSystem.IsLinux()) return "not Linux";
        string arenas = Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is { Length: > 0 } arenaMax ? $"MALLOC_ARENA_MAX={arenaMax}, " : "";
        if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is { Length: > 0 } set) return $"{arenas}MALLOC_MMAP_THRESHOLD_={set} (left as set)";
        try
        {
            return arenas + (MallOpt(MmapThresholdParameter, MmapThreshold) == 1 ? $"mmap threshold fixed at {MmapThreshold / 1024} KiB" : "mallopt refused the mmap threshold");
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return "no glibc mallopt: allocator left as it is";
        }
    }
}
