using System.Diagnostics;
using System.Text.RegularExpressions;
using SeqLab.Experiments.Cli;
using Xunit.Abstractions;

namespace SeqLab.Tests;

/// <summary>
/// Feeds <c>seqlab validate</c> (in process) broken versions of every shipped experiments file: every line prefix, a
/// character-stride of prefixes, and seeded mutations (brackets, quotes, colons, tabs, anchors, aliases, tags, merge keys,
/// BOM, NUL, huge and negative numbers, .nan, duplicate keys, wrong indentation). Each must come back valid (exit 0) or
/// as <c>error: file:line:column: message</c> lines with exit 2 — never a stack trace, an exception's type or exit 1.
/// </summary>
public partial class ConfigFuzzTests(ITestOutputHelper output)
{
    const int Mutations = 1200, Seed = 20261130;

    static readonly string[] Insertions =
    [
        "[", "]", "{", "}", "\"", "'", ":", ": ", "\t", "  ", "\n", "- ", "&anchor ", "*anchor", "*missing", "!!str ", "!!int ", "!!binary ",
        "!custom ", "<<: *anchor\n", "<<: ", "\uFEFF", "\0", "99999999999999999999999", "-1", "-0.5", "1e309", "-1e400", ".nan", ".inf", "-.inf",
        "~", "null", "#", "|\n", ">\n", "%YAML 1.2\n---\n", "---\n", "...\n", "? ", ",", "@", "`", "%", "\\", "\r", "\u00e9", "\ud83d\ude00", "0x1F", "0o17",
        "true", "yes", "[]", "{}", "[[", "{{", "}}", "]]",
    ];

    [Fact]
    public void Every_broken_experiments_file_gets_a_placed_error_or_validates()
    {
        string folder = NativeFiles.TemporaryFolder();
        // The files read data relative to themselves: mirror the layout, with the shipped data linked in.
        Directory.CreateSymbolicLink(Path.Combine(folder, "data"), Path.Combine(TestPaths.Root, "data"));
        Directory.CreateDirectory(Path.Combine(folder, "studies"));
        var sources = new[] { "experiments.yaml" }
            .Concat(Directory.GetFiles(Path.Combine(TestPaths.Root, "studies"), "*.yaml").Order().Select(f => Path.Combine("studies", Path.GetFileName(f))))
            .Select(relative => (Relative: relative, Text: File.ReadAllText(Path.Combine(TestPaths.Root, relative))))
            .ToList();

        var cases = new List<(string Relative, string What, string Text)>();
        foreach (var (relative, text) in sources)
        {
            var lines = text.Split('\n');
            for (int i = 0; i <= lines.Length; i++)
                cases.Add((relative, $"first {i} lines", string.Join('\n', lines.Take(i))));
            int stride = Math.Max(7, text.Length / 60);
            for (int end = 1; end < text.Length; end += stride)
                cases.Add((relative, $"first {end} characters", text[..end]));
        }
        var random = new Random(Seed);
        for (int i = 0; i < Mutations; i++)
        {
            var (relative, text) = sources[random.Next(sources.Count)];
            var what = new List<string>();
            for (int m = 0, count = 1 + random.Next(3); m < count; m++) text = Mutate(text, random, what);
            cases.Add((relative, $"mutation {i}: {string.Join("; ", what)}", text));
        }

        int valid = 0, rejected = 0;
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        foreach (var (relative, what, text) in cases)
        {
            string file = Path.Combine(folder, relative);
            File.WriteAllText(file, text);
            var writer = new StringWriter();
            int exit;
            try
            {
                exit = SeqLabCli.Invoke(["validate", file], writer);
            }
            catch (Exception exception)
            {
                failures.Add($"{relative}, {what}: threw {exception.GetType().Name}: {exception.Message}");
                continue;
            }
            string printed = writer.ToString();
            var errors = printed.Split('\n').Where(line => line.StartsWith("error:", StringComparison.Ordinal)).ToList();
            string? problem = exit switch
            {
                0 when errors.Count == 0 => null,
                2 when errors.Count > 0 && errors.All(e => Placed(file).IsMatch(e)) => null,
                2 => "exit 2 without placed errors",
                _ => $"exit {exit}",
            };
            if (problem is null && (printed.Contains("Exception", StringComparison.Ordinal) || printed.Contains("   at ", StringComparison.Ordinal)))
                problem = "an exception's type or stack trace in the output";
            if (problem is not null) failures.Add($"{relative}, {what}: {problem}:\n{printed.Trim()}");
            else if (exit == 0) valid++;
            else rejected++;
        }
        // validate writes nothing: no results folder next to the files.
        Assert.Equal(["data", "experiments.yaml", "studies"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).Order());
        output.WriteLine($"{cases.Count} cases ({sources.Count} files; {Mutations} mutations, seed {Seed}) in {clock.Elapsed.TotalSeconds:F1} s: {valid} valid, {rejected} rejected with placed errors, {failures.Count} failures");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed; the first ones:\n" + string.Join("\n\n", failures.Take(5)));
        Assert.True(valid > 100 && rejected > 500, $"{valid} valid, {rejected} rejected: the cases should include both");
    }

    /// <summary>error: FILE:LINE:COLUMN: message (lines and columns from 1).</summary>
    static Regex Placed(string file) => new($"^error: {Regex.Escape(file)}:[1-9][0-9]*:[1-9][0-9]*: \\S");

    /// <summary>One seeded edit: an insertion, a deletion, a duplicated or moved line, or a changed indentation.</summary>
    static string Mutate(string text, Random random, List<string> what)
    {
        var lines = text.Split('\n').ToList();
        int position = random.Next(text.Length + 1);
        switch (random.Next(6))
        {
            case 0:
            case 1:
                string token = Insertions[random.Next(Insertions.Length)];
                what.Add($"insert {Show(token)} at {position}");
                return text.Insert(position, token);
            case 2:
                int length = Math.Min(1 + random.Next(6), text.Length - position);
                what.Add($"delete {Show(text.Substring(position, length))} at {position}");
                return text.Remove(position, length);
            case 3:
                int line = random.Next(lines.Count);
                what.Add($"duplicate line {line + 1}");
                lines.Insert(line, lines[line]);
                return string.Join('\n', lines);
            case 4:
                int from = random.Next(lines.Count), to = random.Next(lines.Count);
                what.Add($"move line {from + 1} to {to + 1}");
                string moved = lines[from];
                lines.RemoveAt(from);
                lines.Insert(Math.Min(to, lines.Count), moved);
                return string.Join('\n', lines);
            default:
                int indented = random.Next(lines.Count);
                int change = random.Next(2) == 0 ? -1 - random.Next(3) : 1 + random.Next(3);
                what.Add($"indent line {indented + 1} by {change}");
                lines[indented] = change > 0 ? new string(' ', change) + lines[indented] : lines[indented][Math.Min(-change, lines[indented].TakeWhile(c => c == ' ').Count())..];
                return string.Join('\n', lines);
        }
    }

    static string Show(string token) => "'" + string.Concat(token.Select(c => c < ' ' || c == '\uFEFF' ? $"\\u{(int)c:X4}" : c.ToString())) + "'";
}
