using System.Globalization;
using System.Reflection;

namespace SeqLab.Experiments.Config;

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
