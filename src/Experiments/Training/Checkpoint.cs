using System.Text.Json;
using SeqLab.Experiments.Results;
using SeqLab.Models;
using SeqLab.Models.Recurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Experiments.Training;

/// <summary>
/// Everything needed to continue a run exactly where it stopped: model weights, optimiser state, the data generator's and
/// torch's global RNG state, the step, the log so far and the early-stopping bookkeeping. Written into
/// <c>&lt;experiment&gt;/checkpoint/</c> through a temporary folder, so a crash never leaves a half-written checkpoint.
/// </summary>
public static class Checkpoint
{
    const string StateFile = "state.json";
    static readonly JsonSerializerOptions Json = new() { IncludeFields = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The bookkeeping part of a checkpoint.</summary>
    public sealed record State(int Step, List<StepMetrics> Steps, List<ParameterGradient> ParameterGradients, List<TimeGradient> TimeGradients,
        List<EvaluationRecord> Evaluations, double BestLoss, int BestStep, int EvaluationsSinceBest, bool HasBest)
    {
        /// <summary>Recurrent spectra logged so far.</summary>
        public List<RecurrentSpectrum> Spectra { get; init; } = [];
        /// <summary>Hidden-state gradients logged so far.</summary>
        public List<HiddenGradient> HiddenGradients { get; init; } = [];
        /// <summary>Gate activations logged so far.</summary>
        public List<GateActivation> GateActivations { get; init; } = [];
        /// <summary>Gate saturations logged so far.</summary>
        public List<GateSaturation> GateSaturations { get; init; } = [];
        /// <summary>Attention entropies logged so far.</summary>
        public List<AttentionEntropy> AttentionEntropies { get; init; } = [];
        /// <summary>Attention maps kept so far.</summary>
        public List<AttentionWeight> AttentionMaps { get; init; } = [];
    }

    /// <summary>Saves a checkpoint after <paramref name="step"/> into <paramref name="folder"/>/checkpoint.</summary>
    public static void Save(string folder, int step, ISequenceModel model, optim.Optimizer optimizer, Generator dataGenerator, TrainingLog log,
        double bestLoss, int bestStep, int evaluationsSinceBest, IReadOnlyDictionary<string, Tensor>? best, RecurrentState? carried = null)
    {
        string target = Path.Combine(folder, "checkpoint");
        string temporary = Path.Combine(folder, $".checkpoint.{Environment.ProcessId}.tmp");
        if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        Directory.CreateDirectory(temporary);
        model.Module.save(Path.Combine(temporary, "model.bin"));
        ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(Path.Combine(temporary, "optimizer.bin"));
        // Generator states are uint8 tensors, which TorchSharp's tensor files do not round-trip: keep their raw bytes.
        using (var state = dataGenerator.get_state()) File.WriteAllBytes(Path.Combine(temporary, "data_rng.bin"), state.data<byte>().ToArray());
        using (var state = torch.random.get_rng_state()) File.WriteAllBytes(Path.Combine(temporary, "global_rng.bin"), state.data<byte>().ToArray());
        if (best is not null)
        {
            SaveTensors(best, Path.Combine(temporary, "best.bin"));
        }
        if (carried is not null)
            SaveTensors(carried.Cell is null ? new Dictionary<string, Tensor> { ["hidden"] = carried.Hidden } : new() { ["hidden"] = carried.Hidden, ["cell"] = carried.Cell },
                Path.Combine(temporary, "carried.bin"));
        var bookkeeping = new State(step, log.Steps, log.ParameterGradients, log.TimeGradients, log.Evaluations, bestLoss, bestStep, evaluationsSinceBest, best is not null)
        {
            Spectra = log.Spectra,
            HiddenGradients = log.HiddenGradients,
            GateActivations = log.GateActivations,
            GateSaturations = log.GateSaturations,
            AttentionEntropies = log.AttentionEntropies,
            AttentionMaps = log.AttentionMaps,
        };
        File.WriteAllText(Path.Combine(temporary, StateFile), JsonSerializer.Serialize(bookkeeping, Json)); // last: its presence marks a complete checkpoint
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        Directory.Move(temporary, target);
    }

    /// <summary>
    /// Loads the checkpoint in <paramref name="folder"/>/checkpoint, if a complete one exists, into the model, optimiser,
    /// generator and log; returns its bookkeeping, or null when there is none.
    /// </summary>
    public static State? TryLoad(string folder, ISequenceModel model, optim.Optimizer optimizer, Generator dataGenerator, TrainingLog log,
        out Dictionary<string, Tensor>? best, out RecurrentState? carried)
    {
        best = null;
        carried = null;
        string source = Path.Combine(folder, "checkpoint");
        if (!File.Exists(Path.Combine(source, StateFile))) return null;
        var state = JsonSerializer.Deserialize<State>(File.ReadAllText(Path.Combine(source, StateFile)), Json)
            ?? throw new InvalidDataException($"{source}: empty checkpoint state");
        model.Module.load(Path.Combine(source, "model.bin"));
        ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(Path.Combine(source, "optimizer.bin"));
        using (var data = tensor(File.ReadAllBytes(Path.Combine(source, "data_rng.bin")))) dataGenerator.set_state(data);
        using (var global = tensor(File.ReadAllBytes(Path.Combine(source, "global_rng.bin")))) torch.random.set_rng_state(global);
        if (state.HasBest) best = LoadTensors(Path.Combine(source, "best.bin"));
        if (File.Exists(Path.Combine(source, "carried.bin")))
        {
            var tensors = LoadTensors(Path.Combine(source, "carried.bin"));
            carried = new RecurrentState(tensors["hidden"], tensors.GetValueOrDefault("cell"));
        }
        log.Steps.AddRange(state.Steps);
        log.ParameterGradients.AddRange(state.ParameterGradients);
        log.TimeGradients.AddRange(state.TimeGradients);
        log.Evaluations.AddRange(state.Evaluations);
        log.Spectra.AddRange(state.Spectra);
        log.HiddenGradients.AddRange(state.HiddenGradients);
        log.GateActivations.AddRange(state.GateActivations);
        log.GateSaturations.AddRange(state.GateSaturations);
        log.AttentionEntropies.AddRange(state.AttentionEntropies);
        log.AttentionMaps.AddRange(state.AttentionMaps);
        return state;
    }

    /// <summary>Removes the checkpoint of a finished experiment.</summary>
    public static void Delete(string folder)
    {
        string target = Path.Combine(folder, "checkpoint");
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
    }

    static void SaveTensors(IReadOnlyDictionary<string, Tensor> tensors, string path)
    {
        using var stream = File.Create(path);
        using var writer = new BinaryWriter(stream);
        writer.Write(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            writer.Write(name);
            tensor.Save(writer);
        }
    }

    static Dictionary<string, Tensor> LoadTensors(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        int count = reader.ReadInt32();
        var result = new Dictionary<string, Tensor>();
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            result[name] = Tensor.Load(reader).DetachFromDisposeScope();
        }
        return result;
    }
}
