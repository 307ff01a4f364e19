namespace SeqLab.Training.Logging;

/// <summary>A table a monitor writes into the experiment folder: its file name (e.g. <c>grad_time.csv</c>) and its rows.</summary>
/// <param name="FileName">File name inside the experiment folder.</param>
/// <param name="Content">The rows, header first.</param>
public sealed record ResultTable(string FileName, Csv Content);
