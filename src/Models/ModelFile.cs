using System.Text.Json;
using System.Text.Json.Serialization;

namespace SeqLab.Models;

/// <summary>A model that can say how to build it again: its options, which <see cref="ModelFile"/> keeps beside the weights.</summary>
public interface IRebuildableModel
{
    /// <summary>Everything needed to build an untrained twin of the model.</summary>
    ModelOptions Options { get; }
}

/// <summary>The options of a kind of model, enough to build it again (saved as JSON, named by the <c>model</c> property).</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "model")]
[JsonDerivedType(typeof(SequenceModelOptions), "sequence")]
[JsonDerivedType(typeof(SequenceToSequence.RecurrentEncoderDecoderOptions), "recurrent_encoder_decoder")]
[JsonDerivedType(typeof(SequenceToSequence.TransformerEncoderDecoderOptions), "transformer_encoder_decoder")]
public abstract record ModelOptions
{
    /// <summary>An untrained model of these options (initialisation draws from torch's global generator).</summary>
    public abstract ISequenceModel Build();
}

/// <summary>Saves a model's weights with the options needed to rebuild it, and loads both back.</summary>
public static class ModelFile
{
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        AllowOutOfOrderMetadataProperties = true,
    };

    /// <summary>Writes the weights to <paramref name="path"/> and the options to <paramref name="path"/>.json (each via a temporary file and a rename).</summary>
    /// <exception cref="ArgumentException">The model cannot say how to rebuild it (<see cref="IRebuildableModel"/>).</exception>
    public static void Save(ISequenceModel model, string path)
    {
        var options = model.Capability<IRebuildableModel>()?.Options ?? throw new ArgumentException($"{model.Description}: the model does not offer its options (IRebuildableModel), so it cannot be rebuilt from a file");
        string weights = path + ".tmp";
        model.Module.save(weights);
        File.Move(weights, path, overwrite: true);
        string optionsFile = path + ".json.tmp";
        File.WriteAllText(optionsFile, JsonSerializer.Serialize(options, Json));
        File.Move(optionsFile, path + ".json", overwrite: true);
    }

    /// <summary>Rebuilds the model from <paramref name="path"/>.json and loads the weights from <paramref name="path"/>.</summary>
    public static ISequenceModel LoadAny(string path)
    {
        string optionsPath = path + ".json";
        if (!File.Exists(optionsPath)) throw new FileNotFoundException($"{optionsPath}: the model's options file is missing", optionsPath);
        var options = JsonSerializer.Deserialize<ModelOptions>(File.ReadAllText(optionsPath), Json)
            ?? throw new InvalidDataException($"{optionsPath}: empty options");
        var model = options.Build();
        model.Module.load(path);
        return model;
    }

    /// <summary>A <see cref="SequenceModel"/> saved by <see cref="Save"/>.</summary>
    public static SequenceModel Load(string path) => LoadAny(path) as SequenceModel
        ?? throw new InvalidDataException($"{path}: the file holds another kind of model; use ModelFile.LoadAny");
}
