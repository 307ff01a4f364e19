using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using Xunit.Abstractions;

namespace SeqLab.Tests;

/// <summary>
/// Runs the C# cells of every notebook in order with Roslyn scripting, the way the .NET Interactive kernel runs them
/// (one submission after another, sharing state), against the assemblies the notebook's <c>#r</c> lines name.
/// </summary>
public class NotebookTests(ITestOutputHelper output)
{
    static string RepositoryRoot()
    {
        string root = TestPaths.Root;
        return root;
    }

    public static TheoryData<string> Notebooks() =>
        new(Directory.GetFiles(Path.Combine(RepositoryRoot(), "notebooks"), "*.ipynb").Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task Every_cell_runs(string notebook)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "notebooks", notebook)));
        var cells = document.RootElement.GetProperty("cells").EnumerateArray()
            .Where(c => c.GetProperty("cell_type").GetString() == "code")
            .Select(c => string.Concat(c.GetProperty("source").EnumerateArray().Select(l => l.GetString())))
            .ToList();
        Assert.NotEmpty(cells);

        var references = new List<System.Reflection.Assembly> { typeof(TorchSharp.torch).Assembly, typeof(Microsoft.Data.Analysis.DataFrame).Assembly };
        var pins = XDocument.Load(Path.Combine(RepositoryRoot(), "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(e => e.Attribute("Include")!.Value, e => e.Attribute("Version")!.Value);
        var code = new List<string>();
        foreach (var cell in cells)
        {
            var lines = new List<string>();
            foreach (var line in cell.Split('\n'))
            {
                var nuget = Regex.Match(line, @"^#r ""nuget:\s*([^,]+),\s*([^""]+)""");
                var file = Regex.Match(line, @"^#r ""(.+\.dll)""");
                if (nuget.Success)
                    Assert.Equal(pins[nuget.Groups[1].Value.Trim()], nuget.Groups[2].Value.Trim()); // notebooks use the pinned versions
                else if (file.Success)
                {
                    string name = Path.GetFileName(file.Groups[1].Value);
                    string built = Path.Combine(AppContext.BaseDirectory, name);
                    Assert.True(File.Exists(built), $"{notebook} references {name}, which the build does not produce");
                    references.Add(System.Reflection.Assembly.LoadFrom(built));
                }
                else lines.Add(line);
            }
            code.Add(string.Join('\n', lines));
        }

        // Notebooks that run a batch start the seqlab CLI as a process, as a user would; here it is the one the tests built.
        Environment.SetEnvironmentVariable("SEQLAB_CLI", Path.Combine(AppContext.BaseDirectory, "seqlab"));
        var options = ScriptOptions.Default.AddReferences(references.Distinct())
            .AddImports("System", "System.Linq", "System.Collections.Generic", "System.Threading.Tasks", "System.Text");
        ScriptState<object>? state = null;
        for (int i = 0; i < code.Count; i++)
        {
            state = state is null ? await CSharpScript.RunAsync(code[i], options) : await state.ContinueWithAsync(code[i], options);
            Assert.Null(state.Exception);
            output.WriteLine($"cell {i + 1}: {state.ReturnValue}");
        }
    }
}
