using SeqLab.Models;
using static TorchSharp.torch;

namespace SeqLab.Training;

/// <summary>The metrics each task reports beside its loss.</summary>
public static class TaskMetrics
{
    /// <summary>
    /// Regression: <c>mse</c>, <c>rmse</c>, <c>mae</c>. Classification: <c>accuracy</c>, <c>macro_f1</c> (per-step tasks over
    /// valid steps). Language models: <c>perplexity</c> and <c>bits_per_token</c> from the loss in nats.
    /// </summary>
    public static Dictionary<string, double> Compute(TaskKind task, Tensor outputs, Tensor targets, Tensor? lengths, double loss)
    {
        using var scope = NewDisposeScope();
        var metrics = new Dictionary<string, double>();
        switch (task)
        {
            case TaskKind.SequenceRegression:
            case TaskKind.StepRegression:
            {
                var (predicted, actual) = Valid(task, outputs, targets, lengths);
                var error = predicted.flatten() - actual.flatten();
                double mse = error.pow(2).mean().item<float>();
                metrics["mse"] = mse;
                metrics["rmse"] = Math.Sqrt(mse);
                metrics["mae"] = error.abs().mean().item<float>();
                break;
            }
            case TaskKind.SequenceClassification:
            case TaskKind.StepClassification:
            {
                var (logits, labels) = Valid(task, outputs, targets, lengths);
                var predicted = logits.reshape(-1, logits.shape[^1]).argmax(-1);
                var actual = labels.flatten();
                metrics["accuracy"] = predicted.eq(actual).to(ScalarType.Float64).mean().item<double>();
                metrics["macro_f1"] = MacroF1(predicted.data<long>().ToArray(), actual.data<long>().ToArray(), (int)outputs.shape[^1]);
                break;
            }
            case TaskKind.LanguageModel:
                metrics["perplexity"] = Math.Exp(loss);
                metrics["bits_per_token"] = loss / Math.Log(2);
                break;
        }
        return metrics;
    }

    /// <summary>Classification tasks: counts[actual][predicted] over the (valid) predictions; null for other tasks.</summary>
    public static long[][]? Confusion(TaskKind task, Tensor outputs, Tensor targets, Tensor? lengths)
    {
        if (task is not (TaskKind.SequenceClassification or TaskKind.StepClassification)) return null;
        using var scope = NewDisposeScope();
        var (logits, labels) = Valid(task, outputs, targets, lengths);
        int classes = (int)outputs.shape[^1];
        var predicted = logits.reshape(-1, classes).argmax(-1).data<long>().ToArray();
        var actual = labels.flatten().data<long>().ToArray();
        var counts = Enumerable.Range(0, classes).Select(_ => new long[classes]).ToArray();
        for (int i = 0; i < actual.Length; i++) counts[actual[i]][predicted[i]]++;
        return counts;
    }

    /// <summary>Mean F1 over the classes that occur in the targets or the predictions.</summary>
    public static double MacroF1(IReadOnlyList<long> predicted, IReadOnlyList<long> actual, int classes)
    {
        double sum = 0;
        int counted = 0;
        for (int c = 0; c < classes; c++)
        {
            int truePositive = 0, falsePositive = 0, falseNegative = 0;
            for (int i = 0; i < actual.Count; i++)
            {
                bool p = predicted[i] == c, a = actual[i] == c;
                if (p && a) truePositive++;
                else if (p) falsePositive++;
                else if (a) falseNegative++;
            }
            if (truePositive + falsePositive + falseNegative == 0) continue;
            sum += 2.0 * truePositive / (2.0 * truePositive + falsePositive + falseNegative);
            counted++;
        }
        return counted == 0 ? double.NaN : sum / counted;
    }

    static (Tensor Outputs, Tensor Targets) Valid(TaskKind task, Tensor outputs, Tensor targets, Tensor? lengths)
    {
        bool perStep = task is TaskKind.StepRegression or TaskKind.StepClassification;
        if (!perStep || lengths is null) return (outputs, targets);
        var valid = SeqLab.Runtime.Tensors.LengthMask.Valid(lengths, outputs.shape[0], outputs.shape[1], outputs.device);
        return (outputs[valid], targets[valid]);
    }
}
