using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SeqLab.NotebookRunner;

/// <summary>
/// A Jupyter notebook (<c>.ipynb</c>, nbformat 4) read as JSON, so that everything the runner does not touch — markdown,
/// metadata, cell ids — survives a save exactly as it was.
/// </summary>
public sealed class NotebookDocument
{
    readonly JsonObject root;

    NotebookDocument(string path, JsonObject root)
    {
        Path = path;
        this.root = root;
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>The notebook's code cells, in order.</summary>
    public IReadOnlyList<JsonObject> CodeCells =>
        root["cells"]!.AsArray().OfType<JsonObject>().Where(c => (string?)c["cell_type"] == "code").ToList();

    /// <summary>Reads <paramref name="path"/>; a file that is not a notebook is an error naming it.</summary>
    public static NotebookDocument Load(string path)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a notebook (line {e.LineNumber + 1}: {e.Message})"); }
        if (node is not JsonObject root || root["cells"] is not JsonArray)
            throw new InvalidDataException($"{path}: not a notebook (expected a JSON object with a 'cells' array)");
        return new NotebookDocument(System.IO.Path.GetFullPath(path), root);
    }

    /// <summary>The text of a cell's <c>source</c> (a string or a list of lines).</summary>
    public static string Source(JsonObject cell) => cell["source"] switch
    {
        JsonArray lines => string.Concat(lines.Select(l => (string?)l)),
        JsonValue text => (string?)text ?? "",
        _ => "",
    };

    /// <summary>
    /// The fingerprint of the code a cell's outputs came from: SHA-256 over this cell's source and every code cell before it
    /// (a cell's result depends on what ran before). Markdown does not count.
    /// </summary>
    public IReadOnlyList<string> SourceFingerprints()
    {
        var fingerprints = new List<string>();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var cell in CodeCells)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Source(cell).Replace("\r\n", "\n")));
            hash.AppendData([0]);
            fingerprints.Add(Convert.ToHexStringLower(hash.GetCurrentHash()));
        }
        return fingerprints;
    }

    /// <summary>Replaces the outputs of code cell <paramref name="index"/> and records the fingerprint they came from.</summary>
    public void SetOutputs(int index, int executionCount, JsonArray outputs, string fingerprint, double seconds)
    {
        var cell = CodeCells[index];
        cell["outputs"] = outputs;
        cell["execution_count"] = executionCount;
        var metadata = cell["metadata"] as JsonObject ?? new JsonObject();
        cell["metadata"] = metadata;
        metadata["seqlab"] = new JsonObject { ["source_sha256"] = fingerprint, ["seconds"] = Math.Round(seconds, 1) };
    }

    /// <summary>Records how the whole notebook ran (kernel, wall time) in the notebook's metadata.</summary>
    public void SetRunInfo(string kernel, double seconds)
    {
        var metadata = root["metadata"] as JsonObject ?? new JsonObject();
        root["metadata"] = metadata;
        metadata["seqlab"] = new JsonObject { ["kernel"] = kernel, ["seconds"] = Math.Round(seconds, 1), ["cpu"] = Processor() };
    }

    /// <summary>
    /// The processor the notebook ran on, with its core count: chaotic runs (a tanh RNN at spectral radius 2 under SGD) give
    /// other numbers on another CPU's kernels, so a saved output names where it came from.
    /// </summary>
    static string Processor()
    {
        string model = "unknown processor";
        try
        {
            model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? model;
        }
        catch (IOException)
        {
            // not Linux: the model stays unknown
        }
        return $"{model}, {Environment.ProcessorCount} cores";
    }

    /// <summary>
    /// What is wrong with the committed outputs: a code cell without outputs or with an error output, or outputs recorded
    /// from a different source than the cell's current one (edited since it last ran). Empty when all is well.
    /// </summary>
    public IReadOnlyList<string> OutputProblems()
    {
        var problems = new List<string>();
        var fingerprints = SourceFingerprints();
        for (int i = 0; i < CodeCells.Count; i++)
        {
            var cell = CodeCells[i];
            string where = $"{System.IO.Path.GetFileName(Path)}, code cell {i + 1}";
            if (cell["outputs"] is not JsonArray { Count: > 0 } outputs) { problems.Add($"{where}: no outputs (run `seqlab-notebooks run --save`)"); continue; }
            if (outputs.Any(o => (string?)o?["output_type"] == "error")) problems.Add($"{where}: the saved outputs hold an error");
            string? recorded = (string?)cell["metadata"]?["seqlab"]?["source_sha256"];
            if (recorded != fingerprints[i]) problems.Add($"{where}: outputs come from other source code than the notebook's (the cell or one before it changed since it ran)");
        }
        return problems;
    }

    /// <summary>Writes the notebook (one-space indentation, as Jupyter does) to a temporary file, then renames it over <paramref name="path"/>.</summary>
    public void Save(string path)
    {
        string json = root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, IndentSize = 1, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
        string temporary = path + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, json, new UTF8Encoding(false));
        File.Move(temporary, path, overwrite: true);
    }
}
