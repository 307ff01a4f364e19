using System.Text;
using Microsoft.ML.Tokenizers;

namespace SeqLab.Data.Text;

/// <summary>
/// The token ids of one side of a sequence-to-sequence task: text split into pieces — characters, words (with punctuation
/// as pieces of its own) or GPT-2 subwords — and each piece kept in training text numbered after four reserved ids:
/// <c>&lt;pad&gt;</c> 0, <c>&lt;s&gt;</c> 1 (start), <c>&lt;/s&gt;</c> 2 (end), <c>&lt;unk&gt;</c> 3 (any piece not kept).
/// </summary>
public sealed class TokenVocabulary
{
    /// <summary>Padding (never predicted: padded steps are masked).</summary>
    public const long Padding = 0;
    /// <summary>The start token the decoder reads first.</summary>
    public const long Start = 1;
    /// <summary>The token that ends a target.</summary>
    public const long End = 2;
    /// <summary>Any piece the vocabulary does not hold.</summary>
    public const long Unknown = 3;
    /// <summary>The reserved pieces, by id.</summary>
    public static readonly IReadOnlyList<string> Reserved = ["<pad>", "<s>", "</s>", "<unk>"];

    /// <summary>The units a vocabulary can split text into.</summary>
    public static readonly IReadOnlyList<string> Units = ["char", "word", "subword"];

    readonly List<string> pieces = [.. Reserved];
    readonly Dictionary<string, long> ids = new(StringComparer.Ordinal);
    readonly ISplitter splitter;

    TokenVocabulary(string unit, ISplitter splitter)
    {
        Unit = unit;
        this.splitter = splitter;
        for (int i = 0; i < Reserved.Count; i++) ids[Reserved[i]] = i;
    }

    /// <summary>
    /// A vocabulary of <paramref name="unit"/>s (char, word or subword) over <paramref name="texts"/> (the training side):
    /// pieces seen at least <paramref name="minimumCount"/> times, the most frequent first, at most
    /// <paramref name="maximumSize"/> ids in all (null: no limit); ties in frequency go by ordinal order, so the ids are the
    /// same on every machine.
    /// </summary>
    public static TokenVocabulary Build(string unit, IEnumerable<string> texts, int minimumCount = 1, int? maximumSize = null)
    {
        ISplitter splitter = unit switch
        {
            "char" => new Characters(),
            "word" => new Words(),
            "subword" => new Subwords(),
            _ => throw new ArgumentException($"unknown unit '{unit}'; known: {string.Join(", ", Units)}", nameof(unit)),
        };
        var vocabulary = new TokenVocabulary(unit, splitter);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (var piece in splitter.Split(text))
                counts[piece] = counts.GetValueOrDefault(piece) + 1;
        var kept = counts.Where(c => c.Value >= minimumCount && !vocabulary.ids.ContainsKey(c.Key))
            .OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Select(c => c.Key);
        if (maximumSize is int limit) kept = kept.Take(Math.Max(0, limit - Reserved.Count));
        foreach (var piece in kept)
        {
            vocabulary.ids[piece] = vocabulary.pieces.Count;
            vocabulary.pieces.Add(piece);
        }
        return vocabulary;
    }

    /// <summary>char, word or subword.</summary>
    public string Unit { get; }

    /// <summary>Number of ids, the reserved ones included.</summary>
    public int Size => pieces.Count;

    /// <summary>The pieces of <paramref name="text"/>, as this vocabulary splits it (before lookup).</summary>
    public IReadOnlyList<string> Split(string text) => splitter.Split(text).ToList();

    /// <summary>The ids of <paramref name="text"/> (no start or end token); pieces not held become <see cref="Unknown"/>.</summary>
    public long[] Encode(string text) => splitter.Split(text).Select(p => ids.TryGetValue(p, out long id) ? id : Unknown).ToArray();

    /// <summary>The piece of one id (reserved ids as their names).</summary>
    public string Piece(long id) => id >= 0 && id < pieces.Count ? pieces[(int)id] : Reserved[(int)Unknown];

    /// <summary>One id as a reader sees it on a chart's axis: the piece's text (a subword decoded; reserved ids as their names).</summary>
    public string Label(long id) => id < Reserved.Count ? Piece(id) : splitter.Join([Piece(id)]);

    /// <summary>The text of <paramref name="tokens"/>: up to the first end token, without padding or start tokens.</summary>
    public string Decode(IEnumerable<long> tokens) =>
        splitter.Join(tokens.TakeWhile(t => t != End).Where(t => t != Padding && t != Start).Select(Piece));

    /// <summary>Unknown pieces in <paramref name="texts"/>, as a share of all pieces (how much a held-out side falls outside the vocabulary).</summary>
    public double UnknownShare(IEnumerable<string> texts)
    {
        long all = 0, unknown = 0;
        foreach (var text in texts)
            foreach (var piece in splitter.Split(text))
            {
                all++;
                if (!ids.ContainsKey(piece)) unknown++;
            }
        return all == 0 ? 0 : unknown / (double)all;
    }

    interface ISplitter
    {
        IEnumerable<string> Split(string text);
        string Join(IEnumerable<string> pieces);
    }

    /// <summary>Unicode scalar values (an emoji stays one piece); spaces are pieces too.</summary>
    sealed class Characters : ISplitter
    {
        public IEnumerable<string> Split(string text) => text.EnumerateRunes().Select(r => r.ToString());
        public string Join(IEnumerable<string> pieces) => string.Concat(pieces);
    }

    /// <summary>Words and single punctuation marks (<see cref="WordTokenizer.Split"/>); joined with spaces, none before closing punctuation.</summary>
    sealed class Words : ISplitter
    {
        public IEnumerable<string> Split(string text) => WordTokenizer.Split(text).Where(w => w != "\n");

        public string Join(IEnumerable<string> pieces)
        {
            var text = new StringBuilder();
            string previous = "";
            foreach (var piece in pieces)
            {
                bool glue = text.Length == 0 || previous is "(" or "[" or "«" or "'" || (piece.Length == 1 && piece[0] is '.' or ',' or ';' or ':' or '!' or '?' or ')' or ']' or '»' or '\'');
                if (!glue) text.Append(' ');
                text.Append(piece);
                previous = piece;
            }
            return text.ToString();
        }
    }

    /// <summary>GPT-2's byte-level BPE pieces (Microsoft.ML.Tokenizers, no download); joined by its decoder.</summary>
    sealed class Subwords : ISplitter
    {
        static readonly Lazy<Tokenizer> Bpe = new(() => TiktokenTokenizer.CreateForModel("gpt2"));

        public IEnumerable<string> Split(string text) => Bpe.Value.EncodeToIds(text).Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        public string Join(IEnumerable<string> pieces) =>
            Bpe.Value.Decode(pieces.Select(p => int.TryParse(p, System.Globalization.CultureInfo.InvariantCulture, out int id) ? id : -1).Where(id => id >= 0)) ?? "";
    }
}
