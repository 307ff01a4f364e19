using System.Globalization;
using System.Text;

namespace SeqLab.Training.Logging;

/// <summary>Builds tidy CSV text (invariant culture, round-trip numbers, quoted where needed).</summary>
public sealed class Csv
{
    readonly StringBuilder text = new();
    readonly int columns;

    /// <summary>Starts a table with the given header.</summary>
    public Csv(params string[] header)
    {
        columns = header.Length;
        Append(header);
    }

    /// <summary>Adds one row; null cells stay empty (read back as missing values).</summary>
    public Csv Row(params object?[] cells)
    {
        if (cells.Length != columns) throw new ArgumentException($"expected {columns} cells, got {cells.Length}", nameof(cells));
        Append(cells.Select(Format));
        return this;
    }

    /// <inheritdoc />
    public override string ToString() => text.ToString();

    void Append(IEnumerable<string> cells)
    {
        text.AppendJoin(',', cells.Select(Quote));
        text.Append('\n');
    }

    static string Format(object? cell) => cell switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => cell.ToString() ?? "",
    };

    static string Quote(string cell) =>
        cell.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{cell.Replace("\"", "\"\"")}\"" : cell;
}
