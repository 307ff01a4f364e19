using Microsoft.Data.Analysis;
using SeqLab.Reports;

namespace SeqLab.Notebooks;

/// <summary>A DataFrame as a notebook shows it: <see cref="TableHtml"/>'s rounded table, no float noise, no time-stamped ids.</summary>
public static class DataFrameHtml
{
    /// <summary>The frame's HTML, at most <paramref name="maxRows"/> rows shown (half from the top, half from the bottom).</summary>
    public static string Html(DataFrame frame, int maxRows = 20) =>
        TableHtml.Html(frame.Columns.Select(c => c.Name).ToList(), frame.Rows.Count, (row, column) => frame.Columns[column][row], maxRows);
}
