using System.Globalization;
using Microsoft.Data.Analysis;

namespace SeqLab.Data.TimeSeries;

/// <summary>What to do with a missing value (<c>null</c>, empty, <c>NA</c>, <c>NaN</c>).</summary>
public enum MissingValuePolicy
{
    /// <summary>Stop with an error naming the line and column.</summary>
    Error,
    /// <summary>Drop the whole row.</summary>
    Drop,
    /// <summary>Repeat the last known value of that column (a leading missing value is an error).</summary>
    ForwardFill,
}

/// <summary>How to read a date-indexed CSV.</summary>
/// <param name="DateColumn">The date/time column.</param>
/// <param name="ValueColumns">Numeric columns to keep; null = every other column.</param>
/// <param name="Missing">Policy for missing values.</param>
/// <param name="DateFormats">Exact formats to try first (invariant culture); ISO forms are always accepted.</param>
public sealed record TimeSeriesOptions(string DateColumn = "Date", IReadOnlyList<string>? ValueColumns = null,
    MissingValuePolicy Missing = MissingValuePolicy.Drop, IReadOnlyList<string>? DateFormats = null);

/// <summary>
/// A date-indexed table of numeric columns, sorted by date, with no repeated dates and no missing values left. Loaded
/// from any CSV layout (column names and order configurable, quotes, BOM, CRLF); <see cref="ToDataFrame"/> gives it as a
/// Microsoft.Data.Analysis <see cref="DataFrame"/>.
/// </summary>
public sealed class TimeSeriesTable
{
    static readonly string[] IsoFormats = ["yyyy-MM-dd", "yyyy-MM", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy/MM/dd", "yyyyMMdd"];
    static readonly HashSet<string> MissingMarkers = new(StringComparer.OrdinalIgnoreCase) { "", "null", "na", "n/a", "nan", "-", "?" };

    readonly Dictionary<string, double[]> columns;

    TimeSeriesTable(string source, DateTime[] dates, Dictionary<string, double[]> columns, IReadOnlyDictionary<string, int> missing, int droppedRows, int filledValues)
    {
        Source = source;
        Dates = dates;
        this.columns = columns;
        MissingByColumn = missing;
        DroppedRows = droppedRows;
        FilledValues = filledValues;
    }

    /// <summary>The file it came from.</summary>
    public string Source { get; }

    /// <summary>Dates, strictly increasing.</summary>
    public IReadOnlyList<DateTime> Dates { get; }

    /// <summary>Names of the numeric columns.</summary>
    public IReadOnlyList<string> ColumnNames => columns.Keys.ToList();

    /// <summary>Rows.</summary>
    public int Count => Dates.Count;

    /// <summary>Missing values found per column (before the policy was applied).</summary>
    public IReadOnlyDictionary<string, int> MissingByColumn { get; }

    /// <summary>Rows dropped by <see cref="MissingValuePolicy.Drop"/>.</summary>
    public int DroppedRows { get; }

    /// <summary>Values filled by <see cref="MissingValuePolicy.ForwardFill"/>.</summary>
    public int FilledValues { get; }

    /// <summary>One column's values in date order.</summary>
    public IReadOnlyList<double> this[string column] =>
        columns.TryGetValue(column, out var values) ? values
        : throw new KeyNotFoundException($"{Source}: no column '{column}'; columns: {string.Join(", ", columns.Keys)}");

    /// <summary>The table as a DataFrame: a <c>Date</c> column and one double column per value column.</summary>
    public DataFrame ToDataFrame()
    {
        var frame = new DataFrame(new PrimitiveDataFrameColumn<DateTime>("Date", Dates));
        foreach (var (name, values) in columns) frame.Columns.Add(new DoubleDataFrameColumn(name, values));
        return frame;
    }

    /// <summary>A Yahoo Finance CSV (<c>Date,Open,High,Low,Close,Adj Close,Volume</c>).</summary>
    public static TimeSeriesTable LoadYahoo(string path, MissingValuePolicy missing = MissingValuePolicy.Drop) =>
        Load(path, new TimeSeriesOptions("Date", ["Open", "High", "Low", "Close", "Adj Close", "Volume"], missing));

    /// <summary>Loads <paramref name="path"/>; malformed rows, unparsable numbers or dates and repeated dates are errors naming line and field.</summary>
    public static TimeSeriesTable Load(string path, TimeSeriesOptions options)
    {
        var (header, records) = CsvReader.Read(path);
        int dateIndex = IndexOf(header, options.DateColumn, path);
        var names = options.ValueColumns ?? header.Where((_, i) => i != dateIndex).ToList();
        var indices = names.Select(n => IndexOf(header, n, path)).ToArray();
        var formats = (options.DateFormats ?? []).Concat(IsoFormats).ToArray();

        var rows = new List<(int Line, DateTime Date, double?[] Values)>(records.Count);
        foreach (var record in records)
        {
            string dateText = record.Fields[dateIndex].Trim();
            if (!DateTime.TryParseExact(dateText, formats, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var date))
                throw new DataFormatException(path, record.Line, options.DateColumn, $"expected a date ({string.Join(" or ", formats.Take(3))}, …), found '{dateText}'");
            var values = new double?[indices.Length];
            for (int c = 0; c < indices.Length; c++)
            {
                string text = record.Fields[indices[c]].Trim();
                if (MissingMarkers.Contains(text)) { values[c] = null; continue; }
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
                    throw new DataFormatException(path, record.Line, names[c], $"expected a number, found '{text}'");
                values[c] = value;
            }
            rows.Add((record.Line, date, values));
        }

        // Chronological order is what every split relies on; a repeated date would make "the value at t" ambiguous.
        rows = rows.OrderBy(r => r.Date).ThenBy(r => r.Line).ToList();
        for (int i = 1; i < rows.Count; i++)
            if (rows[i].Date == rows[i - 1].Date)
                throw new DataFormatException(path, Math.Max(rows[i].Line, rows[i - 1].Line), options.DateColumn,
                    $"date {rows[i].Date:yyyy-MM-dd HH:mm:ss} appears twice (lines {Math.Min(rows[i].Line, rows[i - 1].Line)} and {Math.Max(rows[i].Line, rows[i - 1].Line)})");

        var missing = names.ToDictionary(n => n, n => 0);
        for (int c = 0; c < names.Count; c++) missing[names[c]] = rows.Count(r => r.Values[c] is null);
        int dropped = 0, filled = 0;
        var kept = new List<(DateTime Date, double[] Values)>(rows.Count);
        var last = new double?[names.Count];
        foreach (var (line, date, values) in rows)
        {
            int firstMissing = Array.FindIndex(values, v => v is null);
            if (firstMissing >= 0)
            {
                switch (options.Missing)
                {
                    case MissingValuePolicy.Error:
                        throw new DataFormatException(path, line, names[firstMissing], "missing value (the missing-value policy is 'error'; use 'drop' or 'forward_fill')");
                    case MissingValuePolicy.Drop:
                        dropped++;
                        continue;
                    case MissingValuePolicy.ForwardFill:
                        for (int c = 0; c < values.Length; c++)
                            if (values[c] is null)
                            {
                                values[c] = last[c] ?? throw new DataFormatException(path, line, names[c], "missing value with no earlier value to carry forward");
                                filled++;
                            }
                        break;
                }
            }
            for (int c = 0; c < values.Length; c++) last[c] = values[c];
            kept.Add((date, values.Select(v => v!.Value).ToArray()));
        }
        if (kept.Count == 0) throw new DataFormatException(path, 0, null, "no rows are left after dropping missing values");

        var columnValues = new Dictionary<string, double[]>();
        for (int c = 0; c < names.Count; c++) columnValues[names[c]] = kept.Select(r => r.Values[c]).ToArray();
        return new TimeSeriesTable(path, kept.Select(r => r.Date).ToArray(), columnValues, missing, dropped, filled);
    }

    static int IndexOf(IReadOnlyList<string> header, string column, string path)
    {
        for (int i = 0; i < header.Count; i++)
            if (header[i] == column) return i;
        throw new DataFormatException(path, 1, column, $"no such column; the header has: {string.Join(", ", header)}");
    }
}
