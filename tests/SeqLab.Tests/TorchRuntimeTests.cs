using System.Diagnostics;
using System.Text.RegularExpressions;
using SeqLab.Runtime;
using SeqLab.Runtime.Elf;
using TorchSharp;

namespace SeqLab.Tests;

public class TorchRuntimeTests
{
    static bool SystemLacksGlibcxx3432 => !ElfImage.Load(NativeFiles.LoadedLibStdCxx).VersionDefinitions.Contains("GLIBCXX_3.4.32");

    [Fact]
    public void TorchSharp_initialises_in_the_test_process_through_the_loader()
    {
        var report = TorchRuntime.EnsureLoaded();
        Assert.Same(report, TorchRuntime.EnsureLoaded());
        using var sum = torch.arange(1, 5).sum();
        Assert.Equal(10, sum.item<long>());

        var loaded = File.ReadLines("/proc/self/maps").Where(l => l.EndsWith("/libLibTorchSharp.so", StringComparison.Ordinal))
            .Select(l => l[l.IndexOf('/')..]).Distinct().ToList();
        Assert.Equal([report.LibTorchSharpPath!], loaded);
        Assert.Equal(SystemLacksGlibcxx3432, report.Patched);
        if (report.Patched)
        {
            Assert.Equal(["GLIBCXX_3.4.32"], report.WeakenedVersions);
            Assert.StartsWith(TorchRuntime.NativeCacheRoot(), report.LibTorchSharpPath);
            Assert.True(ElfImage.Load(report.LibTorchSharpPath!).VersionRequirements.Single(r => r.Name == "GLIBCXX_3.4.32").IsWeak);
            // The package's file was left alone.
            Assert.False(ElfImage.Load(NativeFiles.LibTorchSharp).VersionRequirements.Single(r => r.Name == "GLIBCXX_3.4.32").IsWeak);
        }
    }

    [Fact]
    public void Nothing_is_patched_where_libstdcxx_defines_every_needed_version()
    {
        var library = ElfImage.Load(NativeFiles.LibTorchSharp);
        var systemDefinitions = ElfImage.Load(NativeFiles.LoadedLibStdCxx).VersionDefinitions.ToHashSet();
        var newerRuntime = systemDefinitions.Union(["GLIBCXX_3.4.31", "GLIBCXX_3.4.32", "GLIBCXX_3.4.33"]).ToHashSet();
        Assert.Empty(TorchRuntime.MissingRequirements(library, newerRuntime));

        var missingHere = TorchRuntime.MissingRequirements(library, systemDefinitions).Select(r => r.Name).ToList();
        Assert.Equal(SystemLacksGlibcxx3432 ? ["GLIBCXX_3.4.32"] : [], missingHere);
    }

    [Fact]
    public void A_weakened_requirement_no_longer_counts_as_missing()
    {
        string copy = Path.Combine(NativeFiles.TemporaryFolder(), "libLibTorchSharp.so");
        File.Copy(NativeFiles.LibTorchSharp, copy);
        ElfVersionPatcher.WeakenVersionRequirement(copy, "GLIBCXX_3.4.32");
        var oldRuntime = new HashSet<string> { "GLIBCXX_3.4", "GLIBCXX_3.4.30" };
        Assert.DoesNotContain(TorchRuntime.MissingRequirements(ElfImage.Load(copy), oldRuntime), r => r.Name == "GLIBCXX_3.4.32");
    }
}

/// <summary>Resident memory is process-wide: this runs alone, after the parallel tests, so no other test allocates or frees meanwhile.</summary>
[CollectionDefinition(nameof(AllocatorTests), DisableParallelization = true)]
public class AllocatorCollection;

/// <summary>The allocator setting of the loader, measured in resident memory.</summary>
[Collection(nameof(AllocatorTests))]
public class AllocatorTests
{
    [Fact]
    public void The_loader_fixes_the_allocators_mmap_threshold_so_freed_buffers_go_back()
    {
        TorchRuntime.EnsureLoaded();
        Assert.Equal(Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is { Length: > 0 } set
            ? $"MALLOC_MMAP_THRESHOLD_={set} (left as set)" : "mmap threshold fixed at 1024 KiB", SeqLab.Runtime.Memory.Allocator.FixMmapThreshold());
        // A buffer above the threshold is mapped, and unmapped when freed: resident memory comes back (a dynamic threshold would keep it on the heap).
        static long Quiet()
        {
            // Finish every pending finalizer first, so no tensor of an earlier test is freed while this one measures.
            for (int i = 0; i < 2; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            return Resident();
        }
        static long Resident() => long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        for (int round = 0; round < 3; round++)
        {
            long before = Quiet();
            var buffers = Enumerable.Range(0, 16).Select(i => torch.ones(4 * 1024 * 1024 + 4096 * i, torch.ScalarType.Byte)).ToList(); // 16 × ≈ 4 MB, touched
            // (In a long test process the buffers may land on pages already resident, so only the release is asserted.)
            foreach (var buffer in buffers) buffer.Dispose();
            Assert.True(Resident() - before < 16 * 1024, $"round {round}: {Resident() - before} KB still resident after freeing 64 MB");
        }
    }
}

/// <summary>The <c>seqlab</c> program, run as a user runs it, and the allocator it trains with.</summary>
public class CommandLineAllocatorTests
{
    static (int ExitCode, string Output) RunSeqlab(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = NativeFiles.Start(Path.Combine(AppContext.BaseDirectory, "seqlab"), null, arguments);
        foreach (var key in SeqLab.Runtime.Memory.Allocator.OneArenaEnvironment.Keys) start.Environment.Remove(key);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var (exitCode, output, error) = NativeFiles.Capture(start);
        // The console wraps long lines at its width: compare words, not line breaks.
        return (exitCode, Regex.Replace(output + error, @"\s+", " "));
    }

    static string TestLoss(string batchFolder, string experiment) =>
        System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(batchFolder, experiment, "summary.json"))).RootElement.GetProperty("test_loss").GetRawText();

    [Fact]
    public void Seqlab_restarts_itself_once_with_one_allocator_arena_unless_the_user_chose_and_trains_the_same_either_way()
    {
        string root = NativeFiles.TemporaryFolder();
        var restarted = RunSeqlab(new Dictionary<string, string>(), "run", TestPaths.TestData("tiny.yaml"), "--output", Path.Combine(root, "restarted"));
        Assert.True(restarted.ExitCode == 0, restarted.Output);
        Assert.Contains("allocator: MALLOC_ARENA_MAX=1, MALLOC_MMAP_THRESHOLD_=33554432 (left as set)", restarted.Output);

        var chosen = RunSeqlab(new Dictionary<string, string> { ["MALLOC_ARENA_MAX"] = "4" }, "run", TestPaths.TestData("tiny.yaml"), "--output", Path.Combine(root, "chosen"));
        Assert.True(chosen.ExitCode == 0, chosen.Output);
        Assert.Contains("allocator: MALLOC_ARENA_MAX=4, mmap threshold fixed at 1024 KiB", chosen.Output);

        // The allocator changes where buffers live, never a number.
        foreach (var experiment in new[] { "rnn-tanh", "lstm" })
            Assert.Equal(TestLoss(Path.Combine(root, "chosen", "tiny"), experiment), TestLoss(Path.Combine(root, "restarted", "tiny"), experiment));
    }
}
