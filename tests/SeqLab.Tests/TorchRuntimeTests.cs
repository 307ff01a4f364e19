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
