namespace SeqLab.Runtime.Elf;

/// <summary>A file is not the kind of ELF object the reader or patcher expects; the message names the file and what was wrong.</summary>
public sealed class ElfFormatException(string message) : Exception(message);
