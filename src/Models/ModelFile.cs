using System.Text.Json;
using System.Text.Json.Serialization;

namespace SeqLab.Models;

/// <summary>Saves a model's weights with the options needed to rebuild it, and loads both back.</summary>
public static class ModelFile
{
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Writes the weights to <paramref name="path"/> and the options to <paramref name="path"/>.json (each via a temporary file and a rename).</summary>
    public static void Save(SequenceModel model, string path)
    {
        string weights = path + ".tmp";
        model.save(weights);
        File.Move(weights, path, overwrite: true);
        string options = path + ".json.tmp";
        File.WriteAllText(options, JsonSerializer.Serialize(model.Options, Json));
        File.Move(options, path + ".json", overwrite: true);
    }

    /// <summary>Rebuilds the model from <paramref name="path"/>.json and loads the weights from <paramref name="path"/>.</summary>
    public static SequenceModel Load(string path)
    {
        string optionsPath = path + ".json";
        if (!File.Exists(optionsPath)) throw new FileNotFoundException($"{optionsPath}: the model's options file is missing", optionsPath);
        var options = JsonSerializer.Deserialize<SequenceModelOptions>(File.ReadAllText(optionsPath), Json)
            ?? throw new InvalidDataException($"{optionsPath}: empty options");
        var model = new SequenceModel(options);
        model.load(path);
        return model;
    }
}
