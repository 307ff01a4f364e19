namespace SeqLab.Data.Dna;

/// <summary>One labelled DNA sequence (upper case, IUPAC alphabet) and where it came from.</summary>
/// <param name="Id">Identifier (FASTA header without '&gt;', or the UCI instance name).</param>
/// <param name="Sequence">Upper-case nucleotides, IUPAC codes allowed.</param>
/// <param name="Label">Class label.</param>
/// <param name="Source">File the record came from.</param>
/// <param name="Line">1-based line where the record starts.</param>
public sealed record DnaRecord(string Id, string Sequence, string Label, string Source, int Line);

/// <summary>The IUPAC nucleotide alphabet: which bases each code stands for, and complements.</summary>
public static class Iupac
{
    /// <summary>Every code with the bases it may be.</summary>
    public static readonly IReadOnlyDictionary<char, string> Bases = new Dictionary<char, string>
    {
        ['A'] = "A", ['C'] = "C", ['G'] = "G", ['T'] = "T", ['U'] = "T",
        ['R'] = "AG", ['Y'] = "CT", ['S'] = "CG", ['W'] = "AT", ['K'] = "GT", ['M'] = "AC",
        ['B'] = "CGT", ['D'] = "AGT", ['H'] = "ACT", ['V'] = "ACG", ['N'] = "ACGT",
    };

    static readonly Dictionary<char, char> ComplementOf = new()
    {
        ['A'] = 'T', ['T'] = 'A', ['U'] = 'A', ['C'] = 'G', ['G'] = 'C', ['R'] = 'Y', ['Y'] = 'R', ['S'] = 'S', ['W'] = 'W',
        ['K'] = 'M', ['M'] = 'K', ['B'] = 'V', ['V'] = 'B', ['D'] = 'H', ['H'] = 'D', ['N'] = 'N',
    };

    /// <summary>True for a valid (upper-case) IUPAC nucleotide code.</summary>
    public static bool IsValid(char code) => Bases.ContainsKey(code);

    /// <summary>The reverse complement (IUPAC-aware): reading the other strand 5'→3'. Applying it twice gives the original.</summary>
    public static string ReverseComplement(string sequence)
    {
        var result = new char[sequence.Length];
        for (int i = 0; i < sequence.Length; i++)
            result[sequence.Length - 1 - i] = ComplementOf.TryGetValue(sequence[i], out var c) ? c
                : throw new ArgumentException($"'{sequence[i]}' at position {i + 1} is not an IUPAC nucleotide code");
        return new string(result);
    }
}
