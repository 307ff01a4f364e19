namespace SeqLab.Experiments.Config;

/// <summary>One problem in an experiments file, with its place (1-based line and column).</summary>
public sealed record ConfigError(string File, int Line, int Column, string Message)
{
    /// <summary>Compiler-style <c>file:line:column: message</c>.</summary>
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>An experiments file that cannot run; <see cref="Errors"/> lists every problem found.</summary>
public sealed class ConfigException(IReadOnlyList<ConfigError> errors)
    : Exception(string.Join(Environment.NewLine, errors.Select(e => e.ToString())))
{
    /// <summary>The problems, in file order.</summary>
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}
