using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Models.Generation;

/// <summary>Generates token sequences from a language model by sampling, reproducibly for a given generator state.</summary>
public static class TokenSampler
{
    /// <summary>
    /// Extends <paramref name="prompt"/> by <paramref name="count"/> tokens. Each step runs the model over the text so far,
    /// divides the last step's logits by <paramref name="temperature"/> (0 = greedy), keeps the <paramref name="topK"/> most
    /// likely tokens (null = all) and samples with <paramref name="generator"/>.
    /// </summary>
    public static long[] Generate(SequenceModel model, IReadOnlyList<long> prompt, int count, double temperature, int? topK, Generator generator)
    {
        if (model.Task != TaskKind.LanguageModel) throw new InvalidOperationException($"generation needs a language model, this one does {model.Task}");
        if (prompt.Count == 0) throw new ArgumentException("the prompt needs at least one token", nameof(prompt));
        if (temperature < 0) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "must be ≥ 0");
        int? window = model.Options.Encoder is TransformerOptions t ? t.MaxLength : null;
        var tokens = prompt.ToList();
        var device = model.parameters().First().device; // the model's device; sampling itself stays on the CPU with the CPU generator
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            for (int i = 0; i < count; i++)
            {
                using var scope = NewDisposeScope();
                var context = window is int w && tokens.Count > w ? tokens.Skip(tokens.Count - w).ToArray() : tokens.ToArray();
                var logits = model.Forward(tensor(context, device: device).unsqueeze(0))[0, -1].cpu();
                long next;
                if (temperature == 0) next = logits.argmax().item<long>();
                else
                {
                    logits = logits / temperature;
                    if (topK is int k && k < logits.shape[0])
                    {
                        var threshold = logits.topk(k).values[-1];
                        logits = logits.masked_fill(logits.lt(threshold), SeqLab.Runtime.Tensors.Scalars.NegativeInfinity);
                    }
                    next = logits.softmax(0).multinomial(1, generator: generator).item<long>();
                }
                tokens.Add(next);
            }
        }
        finally
        {
            if (wasTraining) model.train();
        }
        return tokens.Skip(prompt.Count).ToArray();
    }
}
