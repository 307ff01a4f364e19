using System.Text;

namespace SeqLab.Data.TimeSeries;

/// <summary>One CSV record with the line it started on.</summary>
public sealed record CsvRecord(int Line, IReadOnlyList<string> Fields);

/// <summary>
/// A small RFC 4180 reader: comma (or another) delimiter, double-quoted fields with doubled quotes, LF or CRLF endings,
/// a UTF-8 BOM, blank lines skipped, a missing final newline accepted. Every record keeps its line number for errors.
/// </summary>
public static class CsvReader
{
    /// <summary>
    /// Reads <paramref name="path"/>: the header and the records; an empty file or a ragged record is an error naming its
    /// line, and so is a header without records unless <paramref name="allowNoRows"/>.
    /// </summary>
    public static (IReadOnlyList<string> Header, IReadOnlyList<CsvRecord> Records) Read(string path, char delimiter = ',', bool allowNoRows = false)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var records = Parse(File.ReadAllText(path, Encoding.UTF8), path, delimiter).ToList();
        if (records.Count == 0) throw new DataFormatException(path, 1, null, "the file is empty; expected a header line and data rows");
        var header = records[0].Fields.Select(f => f.Trim()).ToList();
        var rows = records.Skip(1).ToList();
        if (rows.Count == 0 && !allowNoRows) throw new DataFormatException(path, records[0].Line, null, "the file has a header but no data rows");
        foreach (var row in rows)
            if (row.Fields.Count != header.Count)
                throw new DataFormatException(path, row.Line, null, $"expected {header.Count} fields ({string.Join(",", header)}), found {row.Fields.Count}");
        return (header, rows);
    }

    /// <summary>Splits CSV text into records; a quote left open is an error naming the line it opened on.</summary>
    public static IEnumerable<CsvRecord> Parse(string text, string source, char delimiter = ',')
    {
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        int line = 1, recordLine = 1;
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false, any = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else { if (c == '\n') line++; field.Append(c); }
                continue;
            }
            if (c == '"' && field.Length == 0) { quoted = true; any = true; }
            else if (c == delimiter) { fields.Add(field.ToString()); field.Clear(); any = true; }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') { }
            else if (c == '\n' || c == '\r')
            {
                if (any || field.Length > 0) { fields.Add(field.ToString()); yield return new CsvRecord(recordLine, fields.ToArray()); }
                fields.Clear(); field.Clear(); any = false;
                line++;
                recordLine = line;
            }
            else { field.Append(c); any = true; }
        }
        if (quoted) throw new DataFormatException(source, recordLine, null, "a double-quoted field is never closed");
        if (any || field.Length > 0) { fields.Add(field.ToString()); yield return new CsvRecord(recordLine, fields.ToArray()); }
    }
}
