using System.Globalization;
using System.Reflection;

namespace SeqLab.Config;

/// <summary>How YAML keys and C# property names map onto each other, and which properties of a config record are keys.</summary>
public static class ConfigKeys
{
    /// <summary>"FeatureColumns" → "feature_columns".</summary>
    public static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString(CultureInfo.InvariantCulture)));

    /// <summary>"feature_columns" → "FeatureColumns".</summary>
    public static string PropertyName(string key) =>
        string.Concat(key.Split('_').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));

    /// <summary>The keys of a config record: each <see cref="ConfigKeyAttribute"/> property, base records first.</summary>
    public static IReadOnlyList<(string Key, PropertyInfo Property, ConfigKeyAttribute Attribute)> Of(Type configType)
    {
        int Depth(Type? type) => type is null ? 0 : 1 + Depth(type.BaseType);
        return configType.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, Attribute: p.GetCustomAttribute<ConfigKeyAttribute>()))
            .Where(p => p.Attribute is not null)
            .OrderBy(p => Depth(p.Property.DeclaringType)).ThenBy(p => p.Property.MetadataToken)
            .Select(p => (SnakeCase(p.Property.Name), p.Property, p.Attribute!)).ToList();
    }
}

/// <summary>Helps with a mistyped name.</summary>
public static class NameSuggestion
{
    /// <summary>" (did you mean 'x'?)" for the closest of <paramref name="candidates"/> within a small edit distance, else "".</summary>
    public static string For(string given, IEnumerable<string> candidates)
    {
        var best = candidates
            .Select(c => (Name: c, Distance: EditDistance(given.ToLowerInvariant(), c.ToLowerInvariant())))
            .OrderBy(c => c.Distance)
            .FirstOrDefault();
        return best.Name is not null && best.Distance <= Math.Max(2, given.Length / 3) ? $" (did you mean '{best.Name}'?)" : "";
    }

    static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }
}
