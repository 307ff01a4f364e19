using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace SeqLab.Data.Text;

/// <summary>Turns text into token ids and back.</summary>
public interface ITextTokenizer
{
    /// <summary>char, word or subword.</summary>
    string Name { get; }

    /// <summary>Number of ids (ids run from 0 to VocabularySize − 1).</summary>
    int VocabularySize { get; }

    /// <summary>The ids of <paramref name="text"/>.</summary>
    int[] Encode(string text);

    /// <summary>The text of <paramref name="ids"/>.</summary>
    string Decode(IEnumerable<int> ids);
}

/// <summary>Character-level vocabulary: every distinct character of the corpus, in ordinal order (tiny Shakespeare: 65).</summary>
public sealed class CharacterTokenizer : ITextTokenizer
{
    readonly char[] symbols;
    readonly Dictionary<char, int> ids;

    /// <summary>Builds the vocabulary from <paramref name="corpus"/>.</summary>
    public CharacterTokenizer(string corpus)
    {
        symbols = corpus.Distinct().Order().ToArray();
        ids = symbols.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
    }

    /// <inheritdoc />
    public string Name => "char";

    /// <inheritdoc />
    public int VocabularySize => symbols.Length;

    /// <summary>The characters, by id.</summary>
    public IReadOnlyList<char> Symbols => symbols;

    /// <inheritdoc />
    public int[] Encode(string text)
    {
        var result = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
            result[i] = ids.TryGetValue(text[i], out int id) ? id
                : throw new ArgumentException($"character '{text[i]}' (U+{(int)text[i]:X4}) at position {i} is not in the vocabulary of {symbols.Length} characters");
        return result;
    }

    /// <inheritdoc />
    public string Decode(IEnumerable<int> ids) => new(ids.Select(i => symbols[i]).ToArray());
}

/// <summary>Word-level vocabulary: words (with inner apostrophes), single punctuation marks and line breaks; rare words map to <c>&lt;unk&gt;</c> (id 0).</summary>
public sealed partial class WordTokenizer : ITextTokenizer
{
    /// <summary>The unknown-word token.</summary>
    public const string Unknown = "<unk>";
    readonly List<string> words = [Unknown];
    readonly Dictionary<string, int> ids = new() { [Unknown] = 0 };

    [GeneratedRegex(@"\w+(?:'\w+)*|[^\w\s]|\n")]
    private static partial Regex TokenPattern();

    /// <summary>Builds the vocabulary from <paramref name="corpus"/>, keeping words seen at least <paramref name="minimumCount"/> times.</summary>
    public WordTokenizer(string corpus, int minimumCount = 1)
    {
        foreach (var group in Split(corpus).GroupBy(w => w).Where(g => g.Count() >= minimumCount).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            ids[group.Key] = words.Count;
            words.Add(group.Key);
        }
    }

    /// <inheritdoc />
    public string Name => "word";

    /// <inheritdoc />
    public int VocabularySize => words.Count;

    /// <summary>The tokens of <paramref name="text"/>, before lookup.</summary>
    public static IEnumerable<string> Split(string text) => TokenPattern().Matches(text).Select(m => m.Value);

    /// <inheritdoc />
    public int[] Encode(string text) => Split(text).Select(w => ids.TryGetValue(w, out int id) ? id : 0).ToArray();

    /// <inheritdoc />
    public string Decode(IEnumerable<int> tokens)
    {
        var text = new StringBuilder();
        string previous = "\n";
        foreach (var word in tokens.Select(i => words[i]))
        {
            bool glue = previous == "\n" || word == "\n" || (word.Length == 1 && char.IsPunctuation(word[0]) && word != "(");
            if (!glue) text.Append(' ');
            text.Append(word);
            previous = word;
        }
        return text.ToString();
    }
}

/// <summary>
/// Subword tokens from GPT-2's byte-pair encoding (Microsoft.ML.Tokenizers; its data ships in a NuGet package, no download),
/// re-numbered compactly over the ids the corpus uses so small models need no 50,257-row embedding. Ids never seen in the
/// corpus map to 0 (<c>&lt;unk&gt;</c>).
/// </summary>
public sealed class SubwordTokenizer : ITextTokenizer
{
    readonly Tokenizer bpe = TiktokenTokenizer.CreateForModel("gpt2");
    readonly List<int> toBpe = [-1];
    readonly Dictionary<int, int> fromBpe = [];

    /// <summary>Builds the compact vocabulary from <paramref name="corpus"/>.</summary>
    public SubwordTokenizer(string corpus)
    {
        foreach (int id in bpe.EncodeToIds(corpus).Distinct().Order())
        {
            fromBpe[id] = toBpe.Count;
            toBpe.Add(id);
        }
    }

    /// <inheritdoc />
    public string Name => "subword";

    /// <inheritdoc />
    public int VocabularySize => toBpe.Count;

    /// <inheritdoc />
    public int[] Encode(string text) => bpe.EncodeToIds(text).Select(id => fromBpe.TryGetValue(id, out int compact) ? compact : 0).ToArray();

    /// <inheritdoc />
    public string Decode(IEnumerable<int> ids) => bpe.Decode(ids.Where(i => i > 0).Select(i => toBpe[i])) ?? "";
}
