using System.Text;

namespace SeqLab.Data.Dna;

/// <summary>Reads DNA from FASTA files and from the UCI <c>class, name, sequence</c> layout, checking every symbol.</summary>
public static class DnaReaders
{
    /// <summary>
    /// Reads a FASTA file: records may span many lines, upper or lower case, IUPAC codes allowed; blank lines are skipped.
    /// The label of each record comes from <paramref name="label"/> applied to its header (e.g. <c>_ =&gt; "promoter"</c> for a
    /// label-per-file layout, or a function of the header), or from <paramref name="labels"/> (id → label, a side file).
    /// An unknown symbol, a sequence before any header, an empty record or an unlabelled id is an error naming line and column.
    /// </summary>
    public static IReadOnlyList<DnaRecord> ReadFasta(string path, Func<string, string>? label = null, IReadOnlyDictionary<string, string>? labels = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var records = new List<DnaRecord>();
        string? header = null;
        int headerLine = 0, lineNumber = 0;
        var sequence = new StringBuilder();

        void Finish()
        {
            if (header is null) return;
            if (sequence.Length == 0) throw new DataFormatException(path, headerLine, null, $"record '{header}' has no sequence");
            string id = header.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
            string recordLabel = label?.Invoke(header)
                ?? (labels is not null ? labels.TryGetValue(id, out var l) ? l : throw new DataFormatException(path, headerLine, "label", $"no label for id '{id}' in the label file")
                : throw new ArgumentException("give a label function or a label map"));
            records.Add(new DnaRecord(id, sequence.ToString(), recordLabel, path, headerLine));
        }

        foreach (var raw in File.ReadLines(path, Encoding.UTF8))
        {
            lineNumber++;
            string line = raw.TrimEnd('\r').Trim();
            if (lineNumber == 1 && line.Length > 0 && line[0] == '\uFEFF') line = line[1..];
            if (line.Length == 0) continue;
            if (line[0] == '>')
            {
                Finish();
                header = line[1..].Trim();
                headerLine = lineNumber;
                sequence.Clear();
                continue;
            }
            if (header is null) throw new DataFormatException(path, lineNumber, null, "sequence data before the first '>' header line");
            AppendChecked(sequence, line, path, lineNumber, 1);
        }
        Finish();
        if (records.Count == 0) throw new DataFormatException(path, 0, null, "the file holds no FASTA records (expected lines starting with '>')");
        return records;
    }

    /// <summary>
    /// Reads the UCI molecular-biology layout (<c>splice.data</c>, <c>promoters.data</c>): <c>class, name, sequence</c> per line,
    /// fields padded with spaces or tabs. A line with the wrong number of fields, an empty field or an unknown symbol is an error.
    /// </summary>
    public static IReadOnlyList<DnaRecord> ReadUci(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var records = new List<DnaRecord>();
        int lineNumber = 0;
        foreach (var raw in File.ReadLines(path, Encoding.UTF8))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(raw)) continue;
            var fields = raw.Split(',');
            if (fields.Length != 3)
                throw new DataFormatException(path, lineNumber, null, $"expected 3 comma-separated fields (class, name, sequence), found {fields.Length}");
            string label = fields[0].Trim(), id = fields[1].Trim(), text = fields[2].Trim();
            if (label.Length == 0) throw new DataFormatException(path, lineNumber, "class", "empty class label");
            if (text.Length == 0) throw new DataFormatException(path, lineNumber, "sequence", "empty sequence");
            var sequence = new StringBuilder(text.Length);
            AppendChecked(sequence, text, path, lineNumber, raw.IndexOf(text, StringComparison.Ordinal) + 1);
            records.Add(new DnaRecord(id, sequence.ToString(), label, path, lineNumber));
        }
        if (records.Count == 0) throw new DataFormatException(path, 0, null, "the file is empty; expected lines of 'class, name, sequence'");
        return records;
    }

    static void AppendChecked(StringBuilder sequence, string text, string path, int line, int firstColumn)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char code = char.ToUpperInvariant(text[i]);
            if (!Iupac.IsValid(code))
                throw new DataFormatException(path, line, "sequence", $"column {firstColumn + i}: '{text[i]}' is not a nucleotide (expected A, C, G, T or an IUPAC code such as N, R, Y)");
            sequence.Append(code);
        }
    }
}
