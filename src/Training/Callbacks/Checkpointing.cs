using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SeqLab.Training.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Training.Callbacks;

/// <summary>
/// Checkpoints: everything needed to continue a run exactly where it stopped — model weights, optimiser state, the data
/// generator's and torch's global RNG state, the step, the log so far and the state of every <see cref="ICheckpointed"/>
/// callback (monitor records, early stopping, the carried BPTT state). Written into <c>&lt;folder&gt;/checkpoint/</c> through a
/// temporary folder, so a crash never leaves a half-written checkpoint; loaded at the start of a run; written every
/// <see cref="TrainingOptions.CheckpointEvery"/> steps and when the run is interrupted; deleted when it completes.
/// Run it last, so every other callback is ready to receive its state.
/// </summary>
public sealed class Checkpointing(string folder) : ITrainingCallback
{
    const string StateFile = "state.json";

    /// <summary>How checkpoint state is written: fields included, NaN and ∞ allowed.</summary>
    public static readonly JsonSerializerOptions Json = new() { IncludeFields = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The bookkeeping part of a checkpoint.</summary>
    sealed record State(int Step, List<StepMetrics> Steps, List<EvaluationRecord> Evaluations, Dictionary<string, JsonNode?> Callbacks, Dictionary<string, double>? Time = null,
        List<int>? ResumedAfter = null);

    /// <summary>
    /// The newest complete checkpoint in <paramref name="experimentFolder"/>: <c>checkpoint/</c>, or a temporary one whose
    /// state file was written (complete) when the process died between removing the old checkpoint and renaming the new.
    /// </summary>
    public static string? Latest(string experimentFolder)
    {
        if (!Directory.Exists(experimentFolder)) return null;
        var complete = Temporaries(experimentFolder).Append(Path.Combine(experimentFolder, "checkpoint"))
            .Where(candidate => File.Exists(Path.Combine(candidate, StateFile)))
            .Select(candidate => (Folder: candidate, Step: StepOf(candidate)))
            .Where(candidate => candidate.Step is not null)
            .ToList();
        return complete.Count == 0 ? null : complete.MaxBy(candidate => candidate.Step)!.Folder;
    }

    /// <summary>The temporary checkpoint folders in <paramref name="experimentFolder"/>: the one being written, or what a killed process left.</summary>
    static string[] Temporaries(string experimentFolder) => Directory.GetDirectories(experimentFolder, ".checkpoint.*.tmp");

    /// <summary>The step a checkpoint was written after; null when its state file cannot be read (a torn write).</summary>
    static int? StepOf(string checkpoint)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(checkpoint, StateFile)));
            return document.RootElement.GetProperty(nameof(State.Step)).GetInt32();
        }
        catch (Exception exception) when (exception is JsonException or IOException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public void OnTrainStart(TrainingContext context)
    {
        if (Latest(folder) is not string source) return;
        var state = JsonSerializer.Deserialize<State>(File.ReadAllText(Path.Combine(source, StateFile)), Json)
            ?? throw new InvalidDataException($"{source}: empty checkpoint state");
        if (state.Callbacks is null)
            throw new InvalidDataException($"{source}: this checkpoint was written by an earlier SeqLab (no callback states); delete the folder to start the experiment again");
        context.Model.Module.load(Path.Combine(source, "model.bin"));
        ((TorchSharp.Modules.OptimizerHelper)context.Optimizer).load_state_dict(Path.Combine(source, "optimizer.bin"));
        using (var data = tensor(File.ReadAllBytes(Path.Combine(source, "data_rng.bin")))) context.DataGenerator.set_state(data);
        using (var global = tensor(File.ReadAllBytes(Path.Combine(source, "global_rng.bin")))) torch.random.set_rng_state(global);
        context.Log.Steps.AddRange(state.Steps);
        context.Log.Evaluations.AddRange(state.Evaluations);
        if (state.Time is not null) context.Log.Time.AddAll(state.Time);
        context.Log.ResumedAfter.AddRange(state.ResumedAfter ?? []);
        context.Log.ResumedAfter.Add(state.Step);
        foreach (var participant in context.Callbacks.OfType<ICheckpointed>())
            participant.LoadState(state.Callbacks.GetValueOrDefault(participant.CheckpointKey), source);
        context.FirstStep = state.Step + 1;
    }

    /// <inheritdoc />
    public void OnStepEnd(StepContext step)
    {
        if (step.Run.Training.CheckpointEvery is int every && step.Step % every == 0 && step.Step < step.Run.Training.Steps && !step.StopRequested)
            Save(step.Run, step.Step);
    }

    /// <inheritdoc />
    public void OnInterrupted(TrainingContext context, int lastStep)
    {
        if (lastStep > 0) Save(context, lastStep);
    }

    /// <inheritdoc />
    public void OnTrainEnd(TrainingContext context)
    {
        if (!Directory.Exists(folder)) return;
        foreach (var checkpoint in Temporaries(folder).Append(Path.Combine(folder, "checkpoint")).Where(Directory.Exists))
            Directory.Delete(checkpoint, recursive: true);
    }

    /// <summary>Saves a checkpoint after <paramref name="step"/>.</summary>
    void Save(TrainingContext context, int step)
    {
        string target = Path.Combine(folder, "checkpoint");
        string temporary = Path.Combine(folder, $".checkpoint.{Environment.ProcessId}.tmp");
        if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        Directory.CreateDirectory(temporary);
        context.Model.Module.save(Path.Combine(temporary, "model.bin"));
        ((TorchSharp.Modules.OptimizerHelper)context.Optimizer).save_state_dict(Path.Combine(temporary, "optimizer.bin"));
        // Generator states are uint8 tensors, which TorchSharp's tensor files do not round-trip: keep their raw bytes.
        using (var state = context.DataGenerator.get_state()) File.WriteAllBytes(Path.Combine(temporary, "data_rng.bin"), state.data<byte>().ToArray());
        using (var state = torch.random.get_rng_state()) File.WriteAllBytes(Path.Combine(temporary, "global_rng.bin"), state.data<byte>().ToArray());
        var callbacks = context.Callbacks.OfType<ICheckpointed>().ToDictionary(c => c.CheckpointKey, c => c.SaveState(temporary));
        var bookkeeping = new State(step, context.Log.Steps, context.Log.Evaluations, callbacks, context.Log.Time.Seconds.ToDictionary(), context.Log.ResumedAfter);
        File.WriteAllText(Path.Combine(temporary, StateFile), JsonSerializer.Serialize(bookkeeping, Json)); // last: its presence marks a complete checkpoint
        // A kill between these two lines leaves the complete temporary checkpoint, which Latest finds.
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        Directory.Move(temporary, target);
        // Leftovers of a killed process hold no step beyond this one (the run resumed from the newest): clear them.
        foreach (var stale in Temporaries(folder)) Directory.Delete(stale, recursive: true);
    }

    /// <summary>Writes named tensors into one file (for callbacks that keep tensors in their state).</summary>
    public static void SaveTensors(IReadOnlyDictionary<string, Tensor> tensors, string path)
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

    /// <summary>Reads what <see cref="SaveTensors"/> wrote; the tensors live outside every dispose scope.</summary>
    public static Dictionary<string, Tensor> LoadTensors(string path)
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
