using System.Buffers.Binary;
using System.Text;

namespace SeqLab.Runtime.Elf;

/// <summary>One version requirement (<c>Elf64_Vernaux</c>) of a shared object, e.g. <c>GLIBCXX_3.4.32</c> from <c>libstdc++.so.6</c>.</summary>
/// <param name="File">The library the version is required from (<c>vn_file</c>).</param>
/// <param name="Name">The version name (<c>vna_name</c>).</param>
/// <param name="Index">The version index that <c>.gnu.version</c> entries use to bind symbols to it (<c>vna_other</c>).</param>
/// <param name="Flags">The <c>vna_flags</c> field; <see cref="ElfImage.WeakVersionFlag"/> marks a weak requirement.</param>
/// <param name="FlagsOffset">File offset of the two-byte <c>vna_flags</c> field.</param>
public sealed record VersionRequirement(string File, string Name, ushort Index, ushort Flags, long FlagsOffset)
{
    /// <summary>True when the dynamic loader tolerates a library that does not define this version.</summary>
    public bool IsWeak => (Flags & ElfImage.WeakVersionFlag) != 0;
}

/// <summary>
/// A read-only view of the symbol-versioning sections of a 64-bit little-endian ELF shared object:
/// the version needs (<c>.gnu.version_r</c>), version definitions (<c>.gnu.version_d</c>) and which dynamic
/// symbols are bound to which version (<c>.dynsym</c> + <c>.gnu.version</c>).
/// </summary>
public sealed class ElfImage
{
    /// <summary><c>VER_FLG_WEAK</c>: a version need the loader does not insist on.</summary>
    public const ushort WeakVersionFlag = 0x2;

    const uint SectionDynamicSymbols = 11;           // SHT_DYNSYM
    const uint SectionVersionDefinitions = 0x6ffffffd; // SHT_GNU_verdef
    const uint SectionVersionNeeds = 0x6ffffffe;       // SHT_GNU_verneed
    const uint SectionVersionSymbols = 0x6fffffff;     // SHT_GNU_versym

    readonly byte[] bytes;
    readonly string source;
    readonly List<Section> sections;

    sealed record Section(uint Type, long Offset, long Size, uint Link, uint Info, long EntrySize);

    ElfImage(byte[] bytes, string source)
    {
        this.bytes = bytes;
        this.source = source;
        sections = ReadSectionHeaders();
        VersionRequirements = ReadVersionRequirements();
        VersionDefinitions = ReadVersionDefinitions();
    }

    /// <summary>The file name or label used in error messages.</summary>
    public string Source => source;

    /// <summary>Every version requirement, in file order.</summary>
    public IReadOnlyList<VersionRequirement> VersionRequirements { get; }

    /// <summary>The names of the versions this object defines (e.g. all <c>GLIBCXX_*</c> of a libstdc++).</summary>
    public IReadOnlyList<string> VersionDefinitions { get; }

    /// <summary>Reads and parses the ELF file at <paramref name="path"/>.</summary>
    /// <exception cref="ElfFormatException">The file is not a 64-bit little-endian ELF object or its tables are out of bounds.</exception>
    public static ElfImage Load(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>Parses an ELF image held in memory; <paramref name="source"/> names it in error messages.</summary>
    public static ElfImage Parse(byte[] bytes, string source) => new(bytes, source);

    /// <summary>The dynamic symbols whose <c>.gnu.version</c> entry binds them to <paramref name="versionIndex"/>.</summary>
    public IReadOnlyList<string> SymbolsBoundTo(ushort versionIndex)
    {
        var symbols = sections.FirstOrDefault(s => s.Type == SectionDynamicSymbols);
        var versions = sections.FirstOrDefault(s => s.Type == SectionVersionSymbols);
        if (symbols is null || versions is null) return [];
        var strings = StringTable(symbols.Link);
        long count = symbols.Size / 24;
        var names = new List<string>();
        for (long i = 0; i < count; i++)
        {
            ushort index = (ushort)(U16(versions.Offset + 2 * i) & 0x7fff); // the top bit only marks hidden symbols
            if (index != versionIndex) continue;
            names.Add(ReadString(strings, U32(symbols.Offset + 24 * i)));
        }
        return names;
    }

    List<Section> ReadSectionHeaders()
    {
        if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
            throw new ElfFormatException($"{source}: not an ELF file (the first four bytes are not 0x7F 'E' 'L' 'F').");
        if (bytes[4] != 2)
            throw new ElfFormatException($"{source}: expected a 64-bit ELF object (EI_CLASS = 2), found class {bytes[4]}.");
        if (bytes[5] != 1)
            throw new ElfFormatException($"{source}: expected a little-endian ELF object (EI_DATA = 1), found {bytes[5]}.");
        long headerOffset = checked((long)U64(0x28));
        int headerSize = U16(0x3A);
        int count = U16(0x3C);
        if (headerOffset == 0 || count == 0)
            throw new ElfFormatException($"{source}: the ELF object has no section headers, so its version tables cannot be found.");
        if (headerSize < 64)
            throw new ElfFormatException($"{source}: section header size {headerSize} is smaller than the 64 bytes of ELF64.");
        var list = new List<Section>(count);
        for (int i = 0; i < count; i++)
        {
            long at = headerOffset + (long)i * headerSize;
            Require(at, 64, "section header table");
            var section = new Section(U32(at + 4), checked((long)U64(at + 24)), checked((long)U64(at + 32)), U32(at + 40), U32(at + 44), checked((long)U64(at + 56)));
            if (section.Type != 8) Require(section.Offset, section.Size, $"section {i}"); // SHT_NOBITS occupies no file bytes
            list.Add(section);
        }
        return list;
    }

    List<VersionRequirement> ReadVersionRequirements()
    {
        var result = new List<VersionRequirement>();
        foreach (var section in sections.Where(s => s.Type == SectionVersionNeeds))
        {
            var strings = StringTable(section.Link);
            long entry = section.Offset;
            for (uint n = 0; n < section.Info; n++)
            {
                Require(entry, 16, "Elf64_Verneed entry");
                ushort auxCount = U16(entry + 2);
                string file = ReadString(strings, U32(entry + 4));
                long aux = entry + U32(entry + 8);
                for (int k = 0; k < auxCount; k++)
                {
                    Require(aux, 16, "Elf64_Vernaux entry");
                    result.Add(new VersionRequirement(file, ReadString(strings, U32(aux + 8)), U16(aux + 6), U16(aux + 4), aux + 4));
                    uint nextAux = U32(aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = U32(entry + 12);
                if (next == 0) break;
                entry += next;
            }
        }
        return result;
    }

    List<string> ReadVersionDefinitions()
    {
        var result = new List<string>();
        foreach (var section in sections.Where(s => s.Type == SectionVersionDefinitions))
        {
            var strings = StringTable(section.Link);
            long entry = section.Offset;
            for (uint n = 0; n < section.Info; n++)
            {
                Require(entry, 20, "Elf64_Verdef entry");
                ushort auxCount = U16(entry + 6);
                if (auxCount > 0)
                {
                    long aux = entry + U32(entry + 12);
                    Require(aux, 8, "Elf64_Verdaux entry");
                    result.Add(ReadString(strings, U32(aux)));
                }
                uint next = U32(entry + 16);
                if (next == 0) break;
                entry += next;
            }
        }
        return result;
    }

    Section StringTable(uint index)
    {
        if (index >= sections.Count)
            throw new ElfFormatException($"{source}: a version or symbol section links to string table {index}, but there are only {sections.Count} sections.");
        return sections[(int)index];
    }

    string ReadString(Section table, uint offset)
    {
        if (offset >= table.Size)
            throw new ElfFormatException($"{source}: string offset {offset} lies outside its string table ({table.Size} bytes).");
        long start = table.Offset + offset;
        long end = start;
        long limit = table.Offset + table.Size;
        while (end < limit && bytes[end] != 0) end++;
        return Encoding.ASCII.GetString(bytes, (int)start, (int)(end - start));
    }

    void Require(long offset, long length, string what)
    {
        if (offset < 0 || length < 0 || offset + length > bytes.Length)
            throw new ElfFormatException($"{source}: the {what} at offset {offset} (+{length} bytes) lies outside the file ({bytes.Length} bytes); the file is truncated or corrupt.");
    }

    ushort U16(long at) { Require(at, 2, "field"); return BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan((int)at)); }
    uint U32(long at) { Require(at, 4, "field"); return BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)at)); }
    ulong U64(long at) { Require(at, 8, "field"); return BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan((int)at)); }
}
