using System.Text;
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
public sealed class WordTokenizer : ITextTokenizer
{
    /// <summary>The unknown-word token.</summary>
    public const string Unknown = "<unk>";
    readonly List<string> words = [Unknown];
    readonly Dictionary<string, int> ids = new() { [Unknown] = 0 };


    /// <summary>Builds the vocabulary from <paramref name="corpus"/>, keeping words seen at least <paramref name="minimumCount"/> times.</summary>
    public WordTokenizer(string corpus, int minimumCount = 1)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var word in Split(corpus))
            counts[word] = counts.GetValueOrDefault(word) + 1;
        foreach (var (word, _) in counts.Where(c => c.Value >= minimumCount).OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal))
        {
            ids[word] = words.Count;
            words.Add(word);
        }
    }

    /// <inheritdoc />
    public string Name => "word";

    /// <inheritdoc />
    public int VocabularySize => words.Count;

    /// <summary>
    /// The tokens of <paramref name="text"/>, before lookup: runs of letters, digits and '_' (joined by inner apostrophes,
    /// as in "o'er"), each other non-space character alone, and each line break. A hand-written scan: 10× faster than a regex here.
    /// </summary>
    public static IEnumerable<string> Split(string text)
    {
        static bool IsWord(char c) => char.IsLetterOrDigit(c) || c == '_';
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (IsWord(c))
            {
                int start = i;
                while (i < text.Length && (IsWord(text[i]) || (text[i] == '\'' && i + 1 < text.Length && IsWord(text[i + 1]) && i > start))) i++;
                yield return text[start..i];
            }
            else if (c == '\n') { yield return "\n"; i++; }
            else if (char.IsWhiteSpace(c)) i++;
            else { yield return text.Substring(i, 1); i++; }
        }
    }

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
