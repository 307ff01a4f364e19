using System.Globalization;
using Microsoft.Data.Analysis;
using SeqLab.Reports;
using SeqLab.Training;

namespace SeqLab.Notebooks;

/// <summary>Result tables as DataFrames: the CSV files <c>seqlab run</c> writes, from a folder or from a run in memory.</summary>
public static class Frames
{
    /// <summary>
    /// The table <paramref name="fileName"/> (e.g. <c>grad_time.csv</c>) of a run in memory, exactly as it would be written to
    /// the results folder; numeric columns become double columns.
    /// </summary>
    public static DataFrame Of(TrainingOutcome outcome, string fileName)
    {
        var table = outcome.Log.Tables().FirstOrDefault(t => t.FileName == fileName)
            ?? throw new KeyNotFoundException($"the run wrote no {fileName}; it has: {string.Join(", ", outcome.Log.Tables().Select(t => t.FileName))}");
        return Of(ResultsTable.From(table));
    }

    /// <summary>A CSV file of a results folder as a DataFrame.</summary>
    public static DataFrame Read(string path) =>
        Of(ResultsTable.TryRead(path) ?? throw new FileNotFoundException($"{path}: no such results file", path));

    /// <summary>A results table as a DataFrame: a column whose cells all read as numbers is a double column, any other a string column.</summary>
    public static DataFrame Of(ResultsTable table)
    {
        var columns = new List<DataFrameColumn>();
        foreach (string name in table.Header)
        {
            var cells = table.Rows.Select(row => table.Text(row, name)).ToList();
            bool numeric = cells.All(c => c.Length == 0 || double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
            columns.Add(numeric
                ? new DoubleDataFrameColumn(name, cells.Select(c => c.Length == 0 ? (double?)null : double.Parse(c, NumberStyles.Float, CultureInfo.InvariantCulture)))
                : new StringDataFrameColumn(name, cells));
        }
        return new DataFrame(columns);
    }
}
