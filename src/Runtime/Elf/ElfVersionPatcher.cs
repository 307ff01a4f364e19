using System.Buffers.Binary;

namespace SeqLab.Runtime.Elf;

/// <summary>What <see cref="ElfVersionPatcher.WeakenVersionRequirement"/> did.</summary>
public enum PatchOutcome
{
    /// <summary>The requirement was strict and is now weak.</summary>
    Weakened,
    /// <summary>The requirement was already weak; the file was not touched.</summary>
    AlreadyWeak,
}

/// <summary>
/// Marks a symbol-version requirement of a shared object as weak (<c>VER_FLG_WEAK</c>), so that the dynamic loader
/// accepts a library that lacks that version. Used on copies of <c>libLibTorchSharp.so</c>, whose only use of
/// <c>GLIBCXX_3.4.32</c> is an <c>&lt;iostream&gt;</c> anchor symbol that nothing calls.
/// </summary>
public static class ElfVersionPatcher
{
    /// <summary>
    /// Sets <c>VER_FLG_WEAK</c> on the requirement named <paramref name="versionName"/> in the ELF file at
    /// <paramref name="path"/>, changing those two bytes and nothing else. Idempotent. The file is rewritten through
    /// a temporary file and a rename, so a reader never sees it half-written. Never call this on a file you do not own
    /// (such as a NuGet cache entry): patch a copy.
    /// </summary>
    /// <exception cref="ElfFormatException">The file is not a 64-bit ELF object, or it has no such requirement.</exception>
    public static PatchOutcome WeakenVersionRequirement(string path, string versionName)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var image = ElfImage.Parse(bytes, path);
        var matches = image.VersionRequirements.Where(r => r.Name == versionName).ToList();
        if (matches.Count == 0)
        {
            var known = string.Join(", ", image.VersionRequirements.Select(r => r.Name).Distinct());
            throw new ElfFormatException($"{path}: has no version requirement named '{versionName}'; it requires: {known}.");
        }
        if (matches.All(r => r.IsWeak)) return PatchOutcome.AlreadyWeak;
        foreach (var requirement in matches)
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan((int)requirement.FlagsOffset), (ushort)(requirement.Flags | ElfImage.WeakVersionFlag));

        string temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temporary, bytes);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temporary, File.GetUnixFileMode(path));
        File.Move(temporary, path, overwrite: true);
        return PatchOutcome.Weakened;
    }
}
