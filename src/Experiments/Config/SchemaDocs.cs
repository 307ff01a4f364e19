using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using SeqLab.Tasks;

namespace SeqLab.Experiments.Config;

/// <summary>
/// The key tables of docs/experiments.md, written from the schema — and so from the kinds' config records and the Models
/// option records — so the reference cannot drift from the code: a test compares them, <c>seqlab schema</c> prints them.
/// </summary>
public static partial class SchemaDocs
{
    /// <summary>The generated blocks by name: <c>dataset</c>, <c>dataset-kinds</c>, <c>model</c>, <c>date-formats</c>.</summary>
    public static IReadOnlyDictionary<string, string> Blocks() => new Dictionary<string, string>
    {
        ["dataset"] = Table(Schema.Dataset),
        ["dataset-kinds"] = Kinds(),
        ["model"] = Table(Schema.Model),
        ["date-formats"] = DateFormats(),
    };

    /// <summary>The formats <c>dates</c> writes, with their language and an example (3 November 2021).</summary>
    public static string DateFormats()
    {
        var text = new StringBuilder("| format | language | example |\n|---|---|---|\n");
        foreach (var format in SeqLab.Data.Synthetic.DatePairs.AllFormats)
            text.Append(CultureInfo.InvariantCulture, $"| `{format.Name}` | `{format.Language}` | {Escape(format.Example)} |\n");
        return text.ToString();
    }

    /// <summary><paramref name="markdown"/> with every <c>&lt;!-- schema:NAME --&gt;</c> … <c>&lt;!-- /schema:NAME --&gt;</c> block replaced by its generated text.</summary>
    public static string Update(string markdown) =>
        Block().Replace(markdown, match => Blocks().TryGetValue(match.Groups[1].Value, out var text)
            ? $"<!-- schema:{match.Groups[1].Value} -->\n{text}<!-- /schema:{match.Groups[1].Value} -->" : match.Value);

    [GeneratedRegex(@"<!-- schema:([a-z-]+) -->\n.*?<!-- /schema:\1 -->", RegexOptions.Singleline)]
    private static partial Regex Block();

    /// <summary>A section's keys as a markdown table: key, type, default, the types it applies to, meaning.</summary>
    public static string Table(SectionSpec section)
    {
        var text = new StringBuilder("| key | type | default | applies to | meaning |\n|---|---|---|---|---|\n");
        foreach (var field in section.Fields)
        {
            // A key's default may differ by type (e.g. layers: 1 recurrent, 2 Transformer): name each.
            var defaults = section.ByType is null || field.Key == "type"
                ? [(Types: "", Spec: field)]
                : section.ByType.Where(t => field.Applies(t.Key))
                    .Select(t => (Type: t.Key, Spec: t.Value.First(f => f.Key == field.Key)))
                    .GroupBy(t => Default(t.Spec)).Select(g => (Types: string.Join(", ", g.Select(t => t.Type)), Spec: g.First().Spec)).ToList();
            string value = defaults.Count == 1 ? Default(defaults[0].Spec) : string.Join("; ", defaults.Select(d => $"{Default(d.Spec)} ({d.Types})"));
            string applies = field.AppliesTo.Count == 0 ? "all" : string.Join(", ", field.AppliesTo.Select(t => $"`{t}`"));
            text.Append(CultureInfo.InvariantCulture, $"| `{field.Key}` | {Type(field)} | {value} | {applies} | {Escape(field.Help)} |\n");
        }
        return text.ToString();
    }

    /// <summary>What each kind's model reads and predicts, its loss and its baseline (from <see cref="IDataKind.Summary"/>).</summary>
    public static string Kinds()
    {
        var text = new StringBuilder("| type | the model reads | it predicts | loss and metrics | baseline beside it |\n|---|---|---|---|---|\n");
        foreach (var kind in DataKinds.All)
            text.Append(CultureInfo.InvariantCulture, $"| `{kind.Name}` | {string.Join(" | ", kind.Summary.Split(" | ").Select(Escape))} |\n");
        return text.ToString();
    }

    static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    static string Number(double value) => value.ToString("G", CultureInfo.InvariantCulture);

    static string Type(FieldSpec field)
    {
        string range = field.Kind is FieldKind.Integer or FieldKind.Number ? Range(field) : "";
        string type = field.Kind switch
        {
            FieldKind.Integer => "integer" + range,
            FieldKind.Number => "number" + range,
            FieldKind.Boolean => "boolean",
            FieldKind.Choice => string.Join(", ", field.Choices.Select(c => $"`{c}`")),
            FieldKind.Names => "list of names",
            FieldKind.Path => "file",
            FieldKind.Files => "mapping of label to file",
            _ => "string",
        };
        return field.Nullable ? $"{type} or `null`" : type;
    }

    static string Range(FieldSpec field)
    {
        bool low = double.IsFinite(field.Minimum), high = double.IsFinite(field.Maximum);
        if (low && high) return field.ExclusiveMinimum ? $" in ({Number(field.Minimum)}, {Number(field.Maximum)}]" : $" {Number(field.Minimum)}…{Number(field.Maximum)}";
        if (low) return field.ExclusiveMinimum ? $" > {Number(field.Minimum)}" : $" ≥ {Number(field.Minimum)}";
        return high ? $" ≤ {Number(field.Maximum)}" : "";
    }

    static string Default(FieldSpec field) => field switch
    {
        { Required: true } => "required",
        { Default: null } => "`null`",
        { Default: bool b } => b ? "`true`" : "`false`",
        { Default: string s } => $"`{s}`",
        { Default: double d } => Number(d),
        { Default: IFormattable f } => f.ToString(null, CultureInfo.InvariantCulture),
        _ => "–",
    };
}
