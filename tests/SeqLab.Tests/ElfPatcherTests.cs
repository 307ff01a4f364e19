using System.Runtime.InteropServices;
using SeqLab.Runtime.Elf;

namespace SeqLab.Tests;

public class ElfPatcherTests
{
    const string Anchor = "_ZSt21ios_base_library_initv";

    [Fact]
    public void LibTorchSharp_needs_GLIBCXX_3_4_32_for_the_iostream_anchor_only()
    {
        var image = ElfImage.Load(NativeFiles.LibTorchSharp);
        var requirement = Assert.Single(image.VersionRequirements, r => r.Name == "GLIBCXX_3.4.32");
        Assert.Equal("libstdc++.so.6", requirement.File);
        Assert.False(requirement.IsWeak);
        Assert.Equal([Anchor], image.SymbolsBoundTo(requirement.Index));
        // Many other versions are needed too, from libstdc++ and glibc.
        Assert.Contains(image.VersionRequirements, r => r.File == "libc.so.6" && r.Name == "GLIBC_2.2.5");
    }

    [Fact]
    public void Weakening_changes_exactly_the_named_entry_and_a_second_run_changes_nothing()
    {
        string folder = NativeFiles.TemporaryFolder();
        string copy = Path.Combine(folder, "libLibTorchSharp.so");
        File.Copy(NativeFiles.LibTorchSharp, copy);
        byte[] before = File.ReadAllBytes(copy);
        var target = ElfImage.Load(copy).VersionRequirements.Single(r => r.Name == "GLIBCXX_3.4.32");

        Assert.Equal(PatchOutcome.Weakened, ElfVersionPatcher.WeakenVersionRequirement(copy, "GLIBCXX_3.4.32"));
        byte[] after = File.ReadAllBytes(copy);

        Assert.Equal(before.Length, after.Length);
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToList();
        Assert.Equal([(int)target.FlagsOffset], changed); // vna_flags 0x0000 → 0x0002: one byte of the little-endian field
        Assert.Equal(ElfImage.WeakVersionFlag, after[target.FlagsOffset]);

        var reread = ElfImage.Load(copy);
        Assert.All(reread.VersionRequirements, r => Assert.Equal(r.Name == "GLIBCXX_3.4.32", r.IsWeak));

        Assert.Equal(PatchOutcome.AlreadyWeak, ElfVersionPatcher.WeakenVersionRequirement(copy, "GLIBCXX_3.4.32"));
        Assert.Equal(after, File.ReadAllBytes(copy));
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    [Fact]
    public void A_library_compiled_here_loads_and_runs_after_its_requirement_is_weakened_and_readelf_agrees()
    {
        string folder = NativeFiles.TemporaryFolder();
        string source = Path.Combine(folder, "answer.cpp");
        string library = Path.Combine(folder, "libanswer.so");
        File.WriteAllText(source, """
            #include <iostream>
            #include <string>
            extern "C" int answer() { std::string s(42, 'x'); std::cerr << ""; return (int)s.size(); }
            """);
        NativeFiles.Run("g++", "-shared", "-fPIC", "-O1", "-o", library, source);

        var image = ElfImage.Load(library);
        var glibcxx = image.VersionRequirements.First(r => r.Name.StartsWith("GLIBCXX_", StringComparison.Ordinal));
        byte[] before = File.ReadAllBytes(library);
        Assert.Equal(PatchOutcome.Weakened, ElfVersionPatcher.WeakenVersionRequirement(library, glibcxx.Name));
        byte[] after = File.ReadAllBytes(library);
        Assert.Equal([(int)glibcxx.FlagsOffset], Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]));

        // binutils' own reader sees the same change.
        string readelf = NativeFiles.Run("readelf", "-V", "-W", library);
        Assert.Matches($@"Name: {System.Text.RegularExpressions.Regex.Escape(glibcxx.Name)}\s+Flags: WEAK", readelf);

        var handle = NativeLibrary.Load(library);
        var answer = Marshal.GetDelegateForFunctionPointer<AnswerFunction>(NativeLibrary.GetExport(handle, "answer"));
        Assert.Equal(42, answer());
    }

    delegate int AnswerFunction();

    [Fact]
    public void A_file_that_is_not_ELF_gets_a_clear_error()
    {
        string file = Path.Combine(NativeFiles.TemporaryFolder(), "notes.txt");
        File.WriteAllText(file, "this is not a shared library, just some text that is long enough to pass the size check for a header....");
        var error = Assert.Throws<ElfFormatException>(() => ElfVersionPatcher.WeakenVersionRequirement(file, "GLIBCXX_3.4.32"));
        Assert.Contains(file, error.Message);
        Assert.Contains("not an ELF file", error.Message);
    }

    [Fact]
    public void A_truncated_or_32_bit_file_gets_a_clear_error()
    {
        string folder = NativeFiles.TemporaryFolder();
        string truncated = Path.Combine(folder, "truncated.so");
        File.WriteAllBytes(truncated, File.ReadAllBytes(NativeFiles.LibTorchSharp)[..4096]);
        var error = Assert.Throws<ElfFormatException>(() => ElfImage.Load(truncated));
        Assert.Contains("outside the file", error.Message);

        byte[] header = File.ReadAllBytes(NativeFiles.LibTorchSharp)[..64];
        header[4] = 1; // ELFCLASS32
        error = Assert.Throws<ElfFormatException>(() => ElfImage.Parse(header, "tiny32.so"));
        Assert.Contains("64-bit", error.Message);
        Assert.Contains("tiny32.so", error.Message);
    }

    [Fact]
    public void Asking_for_a_version_the_file_does_not_need_lists_what_it_needs()
    {
        string copy = Path.Combine(NativeFiles.TemporaryFolder(), "lib.so");
        File.Copy(NativeFiles.LibTorchSharp, copy);
        var error = Assert.Throws<ElfFormatException>(() => ElfVersionPatcher.WeakenVersionRequirement(copy, "GLIBCXX_9.9.99"));
        Assert.Contains("no version requirement named 'GLIBCXX_9.9.99'", error.Message);
        Assert.Contains("GLIBCXX_3.4.32", error.Message);
    }

    [Fact]
    public void The_system_libstdcxx_definitions_are_read()
    {
        var definitions = ElfImage.Load(NativeFiles.LoadedLibStdCxx).VersionDefinitions;
        Assert.Contains("GLIBCXX_3.4", definitions);
        Assert.Contains("CXXABI_1.3", definitions);
    }
}
