using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using SeqLab.Runtime.Elf;
using TorchSharp;

namespace SeqLab.Runtime;

/// <summary>What <see cref="TorchRuntime.EnsureLoaded"/> found and did.</summary>
/// <param name="LibTorchDirectory">Folder whose <c>libc10.so</c>, <c>libtorch_cpu.so</c> and <c>libtorch.so</c> were loaded.</param>
/// <param name="LibTorchSharpPath">The <c>libLibTorchSharp.so</c> actually loaded (the package's own, or a patched copy).</param>
/// <param name="LibStdCxxPath">The C++ runtime the process uses.</param>
/// <param name="WeakenedVersions">Version requirements weakened in the loaded copy; empty when none was needed.</param>
/// <param name="Note">A one-line human explanation.</param>
public sealed record TorchRuntimeReport(string? LibTorchDirectory, string? LibTorchSharpPath, string? LibStdCxxPath, IReadOnlyList<string> WeakenedVersions, string Note)
{
    /// <summary>True when a patched copy of <c>libLibTorchSharp.so</c> is in use.</summary>
    public bool Patched => WeakenedVersions.Count > 0;
}

/// <summary>
/// Loads TorchSharp's native libraries so that they work on Debian 12 / Ubuntu 22.04 and inside notebooks.
/// <para>
/// TorchSharp-cpu 0.107's <c>libLibTorchSharp.so</c> requires <c>GLIBCXX_3.4.32</c> (GCC 13) only for the anchor symbol
/// <c>std::ios_base_library_init()</c>, which nothing calls. Where the process's libstdc++ lacks that version, a copy of
/// the library in a cache folder owned by SeqLab gets the requirement marked weak and is loaded instead. The package's own
/// <c>libc10.so</c>, <c>libtorch_cpu.so</c> and <c>libtorch.so</c> are loaded first by full path, so a system LibTorch
/// (Debian's <c>python3-torch</c>) can never be picked up. Where libstdc++ is new enough, nothing is patched.
/// </para>
/// Call <see cref="EnsureLoaded"/> before the first use of <c>torch</c>; it is idempotent and thread-safe.
/// </summary>
public static class TorchRuntime
{
    /// <summary>Symbols known to be referenced for their version only and never called; the only ones that may lose a version.</summary>
    static readonly HashSet<string> UncalledAnchors = ["_ZSt21ios_base_library_initv"];

    const string LibTorchSharpFile = "libLibTorchSharp.so";
    static readonly string[] LibTorchFiles = ["libc10.so", "libtorch_cpu.so", "libtorch.so"];

    static readonly Lock gate = new();
    static TorchRuntimeReport? report;
    static readonly Dictionary<string, IntPtr> handles = new(StringComparer.Ordinal);

    /// <summary>The result of the first <see cref="EnsureLoaded"/> call, or null before it.</summary>
    public static TorchRuntimeReport? Report => report;

    /// <summary>
    /// Makes TorchSharp loadable in this process (see the class remarks) and initialises its CPU backend.
    /// </summary>
    /// <exception cref="InvalidOperationException">The natives cannot be found, or libstdc++ lacks a version that real symbols need.</exception>
    public static TorchRuntimeReport EnsureLoaded()
    {
        lock (gate)
        {
            if (report is not null) return report;
            string allocator = Memory.Allocator.FixMmapThreshold(); // before LibTorch allocates anything (see Allocator)
            report = OperatingSystem.IsLinux() ? LoadOnLinux() : new TorchRuntimeReport(null, null, null, [], "not Linux: TorchSharp loads its natives itself");
            report = report with { Note = $"{report.Note}; allocator: {allocator}" };
            torch.InitializeDeviceType(DeviceType.CPU);
            return report;
        }
    }

    static TorchRuntimeReport LoadOnLinux()
    {
        if (LoadedLibraries().Any(p => Path.GetFileName(p) == LibTorchSharpFile))
            return new TorchRuntimeReport(null, LoadedLibraries().First(p => Path.GetFileName(p) == LibTorchSharpFile), FindLoadedLibStdCxx(), [],
                "libLibTorchSharp.so was already loaded before SeqLab's loader ran; left as it is");

        var directories = CandidateDirectories().ToList();
        string original = directories.Select(d => Path.Combine(d, LibTorchSharpFile)).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"Cannot find {LibTorchSharpFile}. Looked in: {string.Join(", ", directories)}. Does the project reference the TorchSharp-cpu package?");
        string libTorchDirectory = directories.FirstOrDefault(d => LibTorchFiles.All(f => File.Exists(Path.Combine(d, f))))
            ?? throw new InvalidOperationException($"Cannot find LibTorch ({string.Join(", ", LibTorchFiles)}) in one folder. Looked in: {string.Join(", ", directories)}.");

        foreach (var file in LibTorchFiles)
            handles[file] = NativeLibrary.Load(Path.Combine(libTorchDirectory, file));

        string libStdCxx = FindLoadedLibStdCxx()
            ?? throw new InvalidOperationException("LibTorch is loaded but no libstdc++ appears in /proc/self/maps.");
        var defined = ElfImage.Load(libStdCxx).VersionDefinitions.ToHashSet(StringComparer.Ordinal);
        var needs = ElfImage.Load(original);
        var missing = MissingRequirements(needs, defined);

        string toLoad = original;
        if (missing.Count > 0)
        {
            foreach (var requirement in missing)
            {
                var bound = needs.SymbolsBoundTo(requirement.Index);
                var called = bound.Where(s => !UncalledAnchors.Contains(s)).ToList();
                if (called.Count > 0)
                    throw new InvalidOperationException(
                        $"{original} needs {requirement.Name} from libstdc++ for {string.Join(", ", called)}, but {libStdCxx} does not define it. " +
                        "Install a newer libstdc++ (GCC 13 or later).");
            }
            toLoad = PatchedCopy(original, missing.Select(r => r.Name).ToList());
        }

        var handle = NativeLibrary.Load(toLoad);
        handles[LibTorchSharpFile] = handle;
        NativeLibrary.SetDllImportResolver(typeof(torch).Assembly, Resolve);
        var weakened = missing.Select(r => r.Name).ToList();
        string note = weakened.Count == 0
            ? $"{Path.GetFileName(libStdCxx)} defines every version LibTorchSharp needs; using the package's library unchanged"
            : $"{Path.GetFileName(libStdCxx)} lacks {string.Join(", ", weakened)} (bound only to an uncalled anchor symbol); using a patched copy";
        return new TorchRuntimeReport(libTorchDirectory, toLoad, libStdCxx, weakened, note);
    }

    /// <summary>The strict libstdc++ version requirements of <paramref name="library"/> that <paramref name="defined"/> lacks.</summary>
    internal static IReadOnlyList<VersionRequirement> MissingRequirements(ElfImage library, IReadOnlySet<string> defined) =>
        library.VersionRequirements
            .Where(r => r.File.StartsWith("libstdc++", StringComparison.Ordinal) && !r.IsWeak && !defined.Contains(r.Name))
            .ToList();

    static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        string file = name.StartsWith("lib", StringComparison.Ordinal) ? name : "lib" + name;
        if (!file.EndsWith(".so", StringComparison.Ordinal)) file += ".so";
        return handles.TryGetValue(file, out var handle) ? handle : IntPtr.Zero;
    }

    /// <summary>Returns the path of a copy of <paramref name="original"/> with <paramref name="versions"/> weakened, creating it once per original content.</summary>
    static string PatchedCopy(string original, IReadOnlyList<string> versions)
    {
        string hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(original)))[..16].ToLowerInvariant();
        string folder = Path.Combine(NativeCacheRoot(), hash);
        string target = Path.Combine(folder, LibTorchSharpFile);
        if (File.Exists(target) && IsPatched(target, versions)) return target;

        Directory.CreateDirectory(folder);
        string temporary = Path.Combine(folder, $"{LibTorchSharpFile}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        File.Copy(original, temporary);
        foreach (var version in versions)
            ElfVersionPatcher.WeakenVersionRequirement(temporary, version);
        File.Move(temporary, target, overwrite: true); // concurrent processes write identical bytes, so the last rename wins harmlessly
        return target;
    }

    static bool IsPatched(string path, IReadOnlyList<string> versions)
    {
        try
        {
            var requirements = ElfImage.Load(path).VersionRequirements;
            return versions.All(v => requirements.Any(r => r.Name == v && r.IsWeak));
        }
        catch (ElfFormatException)
        {
            return false;
        }
    }

    /// <summary>The folder for patched native copies: <c>SEQLAB_NATIVE_CACHE</c>, else <c>$XDG_CACHE_HOME/seqlab/native</c>, else <c>~/.cache/seqlab/native</c>.</summary>
    public static string NativeCacheRoot()
    {
        var explicitRoot = Environment.GetEnvironmentVariable("SEQLAB_NATIVE_CACHE");
        if (!string.IsNullOrEmpty(explicitRoot)) return explicitRoot;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "seqlab", "native");
    }

    /// <summary>Where an app, a test host or a notebook kernel can have the natives: the host's native search folders, the app folder, and the NuGet package layout.</summary>
    static IEnumerable<string> CandidateDirectories()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        IEnumerable<string> All()
        {
            if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirectories)
                foreach (var d in searchDirectories.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)) yield return d;
            yield return AppContext.BaseDirectory;
            yield return Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
            string torchSharpFolder = Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? AppContext.BaseDirectory;
            yield return torchSharpFolder;
            // NuGet layout: <packages>/torchsharp/<version>/lib/<tfm>/TorchSharp.dll
            string packageRoot = Path.GetFullPath(Path.Combine(torchSharpFolder, "..", ".."));
            yield return Path.Combine(packageRoot, "runtimes", "linux-x64", "native");
            string packages = Path.GetFullPath(Path.Combine(packageRoot, ".."));
            string libTorchPackage = Path.Combine(Path.GetDirectoryName(packages) ?? packages, "libtorch-cpu-linux-x64");
            if (Directory.Exists(libTorchPackage))
                foreach (var version in Directory.GetDirectories(libTorchPackage).OrderByDescending(v => v, StringComparer.Ordinal))
                    yield return Path.Combine(version, "runtimes", "linux-x64", "native");
        }
        foreach (var directory in All())
        {
            var full = Path.GetFullPath(directory);
            if (seen.Add(full) && Directory.Exists(full)) yield return full;
        }
    }

    static string? FindLoadedLibStdCxx() =>
        LoadedLibraries().FirstOrDefault(p => Path.GetFileName(p).StartsWith("libstdc++.so", StringComparison.Ordinal));

    static IEnumerable<string> LoadedLibraries()
    {
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/');
            if (slash >= 0) yield return line[slash..];
        }
    }
}
