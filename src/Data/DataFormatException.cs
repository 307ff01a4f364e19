namespace SeqLab.Data;

/// <summary>A data file that cannot be read as asked: names the file, the 1-based line, the field (when known) and what was expected.</summary>
public sealed class DataFormatException(string file, int line, string? field, string reason)
    : Exception(field is null ? $"{file}:{line}: {reason}" : $"{file}:{line}: field '{field}': {reason}")
{
    /// <summary>The file.</summary>
    public string File { get; } = file;
    /// <summary>1-based line (0 when the problem concerns the whole file).</summary>
    public int Line { get; } = line;
    /// <summary>The column or field name, if the problem is in one.</summary>
    public string? Field { get; } = field;
    /// <summary>What was wrong and what was expected.</summary>
    public string Reason { get; } = reason;
}
