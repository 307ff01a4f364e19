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
/// </summary>
public static class Allocator
{
    const int MmapThresholdParameter = -3; // M_MMAP_THRESHOLD in malloc.h

    /// <summary>The threshold applied: allocations of at least this many bytes are mapped, and unmapped when freed.</summary>
    public const int MmapThreshold = 1024 * 1024;

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);

    /// <summary>
    /// Fixes glibc's mmap threshold at <see cref="MmapThreshold"/>, unless <c>MALLOC_MMAP_THRESHOLD_</c> is set (the user's
    /// choice wins). Returns what was done, in words; does nothing off Linux or without glibc.
    /// </summary>
    public static string FixMmapThreshold()
    {
        if (!OperatingSystem.IsLinux()) return "not Linux";
        if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is { Length: > 0 } set) return $"MALLOC_MMAP_THRESHOLD_={set} (left as set)";
        try
        {
            return MallOpt(MmapThresholdParameter, MmapThreshold) == 1 ? $"mmap threshold fixed at {MmapThreshold / 1024} KiB" : "mallopt refused the mmap threshold";
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return "no glibc mallopt: allocator left as it is";
        }
    }
}
