using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace SeqLab.Training.Callbacks;

/// <summary>
/// Stops after <paramref name="patience"/> validation evaluations without an improvement of at least
/// <paramref name="minDelta"/>, keeping a copy of the best weights and restoring them when training ends.
/// </summary>
public sealed class EarlyStopping(int patience, double minDelta) : ITrainingCallback, ICheckpointed, IDisposable
{
    Dictionary<string, Tensor>? best;
    double bestLoss = double.PositiveInfinity;
    int bestStep, evaluationsSinceBest;

    /// <inheritdoc />
    public string CheckpointKey => "early_stopping";

    /// <inheritdoc />
    public void AfterEvaluation(StepContext step, Logging.Evaluation validation)
    {
        if (validation.Loss < bestLoss - minDelta)
        {
            (bestLoss, bestStep, evaluationsSinceBest) = (validation.Loss, step.Step, 0);
            Replace(step.Run.Model.Module.state_dict().ToDictionary(p => p.Key, p => p.Value));
        }
        else if (++evaluationsSinceBest >= patience && step.Step < step.Run.Training.Steps)
            step.RequestStop($"stopped early at step {step.Step}: no validation improvement for {patience} evaluations; restored the best weights (step {bestStep}, validation loss {bestLoss:G4})");
    }

    /// <inheritdoc />
    public void OnTrainEnd(TrainingContext context)
    {
        if (best is not null) context.Model.Module.load_state_dict(best);
    }

    /// <summary>Keeps a copy of <paramref name="weights"/> outside every dispose scope, disposing the previous copy.</summary>
    void Replace(Dictionary<string, Tensor>? weights)
    {
        if (best is not null) foreach (var tensor in best.Values) tensor.Dispose();
        using var noGrad = no_grad();
        best = weights?.ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope());
    }

    /// <inheritdoc />
    public JsonNode? SaveState(string folder)
    {
        if (best is not null) Checkpointing.SaveTensors(best, Path.Combine(folder, "best.bin"));
        return new JsonObject { ["best_loss"] = bestLoss, ["best_step"] = bestStep, ["evaluations_since_best"] = evaluationsSinceBest, ["has_best"] = best is not null };
    }

    /// <inheritdoc />
    public void LoadState(JsonNode? state, string folder)
    {
        if (state is null) return;
        bestLoss = state["best_loss"]!.GetValue<double>();
        bestStep = state["best_step"]!.GetValue<int>();
        evaluationsSinceBest = state["evaluations_since_best"]!.GetValue<int>();
        if (state["has_best"]!.GetValue<bool>())
        {
            var loaded = Checkpointing.LoadTensors(Path.Combine(folder, "best.bin"));
            Replace(null);
            best = loaded;
        }
    }

    /// <inheritdoc />
    public void Dispose() => Replace(null);
}
