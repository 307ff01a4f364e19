using System.Globalization;
using SeqLab.Data;
using SeqLab.Data.TimeSeries;

namespace SeqLab.Reports;

/// <summary>One CSV file of a results folder, read back by column name.</summary>
public sealed class ResultsTable
{
    readonly Dictionary<string, int> index;

    ResultsTable(string path, IReadOnlyList<string> header, IReadOnlyList<CsvRecord> rows)
    {
        Path = path;
        Header = header;
        Rows = rows;
        index = header.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i);
    }

    /// <summary>The file read.</summary>
    public string Path { get; }
    /// <summary>Column names.</summary>
    public IReadOnlyList<string> Header { get; }
    /// <summary>Data rows with their line numbers.</summary>
    public IReadOnlyList<CsvRecord> Rows { get; }
    /// <summary>Number of data rows.</summary>
    public int Count => Rows.Count;

    /// <summary>
    /// Reads <paramref name="path"/>, or returns null when the file does not exist (that monitor did not run). A header
    /// without rows is an empty table (e.g. a run that diverged on its first step); a ragged row is an error naming its line.
    /// </summary>
    public static ResultsTable? TryRead(string path)
    {
        if (!File.Exists(path)) return null;
        var (header, rows) = CsvReader.Read(path, allowNoRows: true);
        return new ResultsTable(path, header, rows);
    }

    /// <summary>A table held in memory (a monitor's <see cref="SeqLab.Training.Logging.ResultTable"/>), read as if from its file.</summary>
    public static ResultsTable From(SeqLab.Training.Logging.ResultTable table)
    {
        var records = CsvReader.Parse(table.Content.ToString(), table.FileName).ToList();
        return new ResultsTable(table.FileName, records[0].Fields, records.Skip(1).ToList());
    }

    /// <summary>CSV text held in memory (a task's result file, not yet written), read as if from a file named <paramref name="fileName"/>.</summary>
    public static ResultsTable Parse(string fileName, string csv)
    {
        var records = CsvReader.Parse(csv, fileName).ToList();
        return new ResultsTable(fileName, records[0].Fields, records.Skip(1).ToList());
    }

    /// <summary>Whether the table has <paramref name="column"/> (files from older runs may lack newer columns).</summary>
    public bool Has(string column) => index.ContainsKey(column);

    /// <summary>The text of <paramref name="column"/> in <paramref name="row"/>.</summary>
    public string Text(CsvRecord row, string column) =>
        index.TryGetValue(column, out int i) ? row.Fields[i] : throw new DataFormatException(Path, 1, column, $"no such column in the header; columns: {string.Join(", ", Header)}");

    /// <summary>The number in <paramref name="column"/> of <paramref name="row"/>; an empty cell is NaN, anything else unreadable is an error naming file, line and column.</summary>
    public double Number(CsvRecord row, string column)
    {
        string text = Text(row, column);
        if (text.Length == 0) return double.NaN;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : throw new DataFormatException(Path, row.Line, column, $"expected a number, found '{text}'");
    }

    /// <summary>The integer in <paramref name="column"/> of <paramref name="row"/>.</summary>
    public int Integer(CsvRecord row, string column) => (int)Number(row, column);
}
