using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SeqLab.Reports;
using Xunit.Abstractions;

namespace SeqLab.Tests;

/// <summary>
/// The lecture notebooks, run the way a reader's editor runs them: every code cell in a fresh .NET Interactive C# kernel
/// (<c>seqlab-notebooks</c>, one process per notebook), the notebook's own <c>#r</c> lines unmodified — the NuGet packages
/// restored by the kernel, SeqLab from <c>notebooks/lib/</c>, which every build fills. A failing cell or a false claim
/// fails the notebook; the committed outputs must come from the notebooks' current code and draw offline.
/// </summary>
public class NotebookTests(ITestOutputHelper output)
{
    static string Folder => Path.Combine(TestPaths.Root, "notebooks");

    static List<string> NotebookNames() =>
        Directory.GetFiles(Path.Combine(TestPaths.Root, "notebooks"), "*.ipynb").Select(path => Path.GetFileName(path)).Order(StringComparer.Ordinal).ToList();

    public static TheoryData<string> Notebooks() => new(NotebookNames());

    /// <summary>The runner built beside this test assembly's configuration (Debug or Release).</summary>
    static string Runner()
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        string path = Path.Combine(TestPaths.Root, "src", "NotebookRunner", "bin", configuration, "net10.0", "seqlab-notebooks");
        Assert.True(File.Exists(path), $"{path} was not built");
        return path;
    }

    /// <summary>Runs the notebook runner; the child gets no MSBuild variables from the test host, so a notebook's own <c>dotnet run</c> works as in a terminal.</summary>
    static (int ExitCode, string Output, string Errors) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Runner()) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestPaths.Root };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k == "DOTNET_HOST_PATH").ToList())
            start.Environment.Remove(key);
        using var process = Process.Start(start)!;
        var printed = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, printed.Result, errors.Result);
    }

    [Fact]
    public void The_lecture_has_nine_notebooks_each_with_a_chart_and_a_claims_check()
    {
        var notebooks = NotebookNames();
        Assert.Equal(9, notebooks.Count);
        Assert.Equal(Enumerable.Range(1, 9).Select(i => $"{i:00}-"), notebooks.Select(n => n[..3]));
        foreach (string name in notebooks)
        {
            var cells = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, name)))!["cells"]!.AsArray().Select(c => c!.AsObject()).ToList();
            var code = cells.Where(c => (string?)c["cell_type"] == "code").ToList();
            string Source(JsonObject cell) => string.Concat(cell["source"]!.AsArray().Select(l => (string?)l));
            Assert.StartsWith("#r \"nuget: TorchSharp-cpu, 0.107.0\"", Source(code[0])); // the reader's own preamble
            Assert.DoesNotContain(code, c => Source(c).Contains("src/Experiments/bin", StringComparison.Ordinal)); // libraries, never the CLI's build output
            Assert.Contains("new Claims()", Source(code[^1]));
            Assert.Contains(".Verify()", Source(code[^1]));
            int charts = code.SelectMany(c => c["outputs"]!.AsArray()).Count(o => ((string?)o!["data"]?["text/html"])?.Contains("class=\"seqlab-figure\"") == true);
            Assert.True(charts >= 1, $"{name}: no chart among its outputs");
            output.WriteLine($"{name}: {code.Count} code cells, {charts} chart outputs, ran in {cells.Count} cells / {JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, name)))!["metadata"]!["seqlab"]?["seconds"]} s");
        }
    }

    /// <summary>Every output of every committed notebook that draws a chart, with its notebook and code cell.</summary>
    static IEnumerable<(string Notebook, int Cell, JsonObject Data)> ChartOutputs() =>
        NotebookNames().SelectMany(name => JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, name)))!["cells"]!.AsArray()
            .Where(c => (string?)c!["cell_type"] == "code")
            .SelectMany((c, i) => (c!["outputs"]?.AsArray() ?? []).Select(o => (name, Cell: i + 1, Data: o!["data"] as JsonObject))))
            .Where(o => ((string?)o.Data?["text/html"])?.Contains("class=\"seqlab-figure\"") == true)
            .Select(o => (o.name, o.Cell, o.Data!));

    [Fact]
    public void Every_chart_output_of_every_committed_notebook_carries_a_PNG_of_each_chart()
    {
        var outputs = ChartOutputs().ToList();
        Assert.True(outputs.Count >= 30, $"{outputs.Count} chart outputs");
        Assert.Equal(NotebookNames(), outputs.Select(o => o.Notebook).Distinct()); // every notebook draws charts
        var missing = new List<string>();
        long pictureBytes = 0;
        foreach (var (notebook, cell, data) in outputs)
        {
            string html = (string)data["text/html"]!;
            int charts = Regex.Matches(html, "id=\"seqlab-chart-\\d+\"").Count;
            // One stand-in picture per chart inside the HTML, for front ends that take the HTML but run no scripts.
            var pictures = Regex.Matches(html, "<img class=\"seqlab-static\"[^>]* src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").Select(m => Convert.FromBase64String(m.Groups[1].Value)).ToList();
            // And the output's own image/png, for viewers that pick a picture over HTML.
            byte[]? png = (string?)data["image/png"] is { Length: > 0 } encoded ? Convert.FromBase64String(encoded) : null;
            if (png is null || pictures.Count != charts) { missing.Add($"{notebook} cell {cell}: {charts} chart(s), {pictures.Count} picture(s) in the HTML, image/png {(png is null ? "absent" : "present")}"); continue; }
            foreach (var picture in pictures.Append(png))
            {
                Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, picture[..4]);
                int width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(picture.AsSpan(16)), height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(picture.AsSpan(20));
                Assert.True(width >= 300 && height >= 200 && picture.Length > 5_000, $"{notebook} cell {cell}: a {width} × {height} picture of {picture.Length} bytes is no drawn chart");
            }
            pictureBytes += pictures.Sum(p => p.Length) + png.Length;
        }
        Assert.True(missing.Count == 0, string.Join("\n", missing));
        output.WriteLine($"{outputs.Count} chart outputs, {pictureBytes / 1e6:F1} MB of PNG in all");
    }

    [Fact]
    public void Committed_outputs_come_from_the_current_code_and_an_edit_is_caught()
    {
        var verified = Run("verify", Folder);
        Assert.True(verified.ExitCode == 0, verified.Errors);
        Assert.Contains("9 notebooks: every code cell has outputs from its current code", verified.Output);

        // Edit one code cell of a copy: that cell and every later one no longer match their outputs.
        string copy = Path.Combine(NativeFiles.TemporaryFolder(), "edited.ipynb");
        var notebook = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "01-sequence-data.ipynb")))!;
        var code = notebook["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "code").ToList();
        code[2]!["source"]!.AsArray().Add("\n// edited");
        code[^1]!["outputs"] = new JsonArray();
        File.WriteAllText(copy, notebook.ToJsonString());
        var stale = Run("verify", copy);
        Assert.Equal(1, stale.ExitCode);
        Assert.Contains("edited.ipynb, code cell 3: outputs come from other source code", stale.Errors);
        Assert.Contains($"edited.ipynb, code cell {code.Count}: no outputs", stale.Errors);
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Every_cell_runs_in_the_kernel_and_every_claim_holds(string notebook)
    {
        var clock = Stopwatch.StartNew();
        var run = Run("run", Path.Combine(Folder, notebook), "--timeout", "600");
        output.WriteLine(run.Output);
        Assert.True(run.ExitCode == 0, $"{notebook} failed:\n{run.Errors}");
        output.WriteLine($"{notebook}: {clock.Elapsed.TotalSeconds:F0} s");
    }

    /// <summary>A copy of notebook 01 with <paramref name="change"/> applied, in a folder of its own, run from the notebooks folder.</summary>
    (int ExitCode, string Output, string Errors) RunBrokenCopy(Action<List<JsonNode?>> change)
    {
        string copy = Path.Combine(NativeFiles.TemporaryFolder(), "broken.ipynb");
        var notebook = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "01-sequence-data.ipynb")))!;
        var cells = notebook["cells"]!.AsArray();
        var code = cells.Where(c => (string?)c!["cell_type"] == "code").ToList();
        change(code);
        File.WriteAllText(copy, notebook.ToJsonString());
        string before = File.ReadAllText(copy);
        var run = Run("run", copy, "--root", Folder, "--save");
        output.WriteLine(run.Errors);
        Assert.Equal(before, File.ReadAllText(copy)); // a failed run saves nothing
        return run;
    }

    [Fact]
    public void A_copy_with_a_failing_cell_fails_at_that_cell()
    {
        var run = RunBrokenCopy(code => code[2]!["source"] = new JsonArray("var broken = undefinedName + 1;"));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("broken.ipynb, code cell 3 failed", run.Errors);
        Assert.Contains("undefinedName", run.Errors);
        Assert.DoesNotContain("code cell 4/", run.Output); // it stopped there
    }

    [Fact]
    public void A_copy_whose_claim_is_false_fails()
    {
        var run = RunBrokenCopy(code =>
        {
            var source = code[^1]!["source"]!.AsArray();
            string text = string.Concat(source.Select(l => (string?)l));
            string falsified = text.Replace("levelAcf > 0.99", "levelAcf < 0.5", StringComparison.Ordinal);
            Assert.NotEqual(text, falsified);
            code[^1]!["source"] = new JsonArray(falsified);
        });
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("false claim: 'the price level is almost perfectly autocorrelated' (lag-1 ACF 0.99", run.Errors);
    }

    /// <summary>Notebook 02's HTML outputs in order, written as one page named <paramref name="fileName"/>, with the number of charts they hold.</summary>
    static (List<string> Html, int Charts, string Page) Notebook02Page(string fileName)
    {
        var notebook = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "02-vanishing-and-exploding-gradients.ipynb")))!;
        var html = notebook["cells"]!.AsArray().SelectMany(c => c!["outputs"]?.AsArray() ?? [])
            .Select(o => (string?)o!["data"]?["text/html"]).OfType<string>().ToList();
        int charts = html.Sum(h => Regex.Matches(h, "id=\"seqlab-chart-\\d+\"").Count);
        string page = Path.Combine(NativeFiles.TemporaryFolder(), fileName);
        File.WriteAllText(page, $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>{string.Join("\n<hr>\n", html)}</body></html>");
        return (html, charts, page);
    }

    [Fact]
    public async Task The_charts_a_committed_notebook_carries_draw_offline()
    {
        // The HTML outputs of notebook 02 in order, as a notebook front end shows them, in Chromium with the network off.
        var (html, charts, page) = Notebook02Page("notebook-02.html");
        Assert.True(charts >= 5, $"{charts} charts");
        Assert.DoesNotContain(html, h => Regex.IsMatch(h, "<script[^>]+src=")); // plotly.js travels inside the first chart's output (the route below blocks any download)

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChartImages.FindBrowser() ?? throw new InvalidOperationException("bash .ci/run installs chromium"), Headless = true, Args = ["--no-sandbox"] });
        await using var context = await browser.NewContextAsync(new() { Offline = true });
        var problems = new List<string>();
        await context.RouteAsync("**/*", async route =>
        {
            if (route.Request.Url.StartsWith("file:", StringComparison.Ordinal)) await route.ContinueAsync();
            else { problems.Add($"request to {route.Request.Url}"); await route.AbortAsync(); }
        });
        var tab = await context.NewPageAsync();
        tab.PageError += (_, error) => problems.Add($"script error {error}");
        await tab.GotoAsync(new Uri(page).AbsoluteUri);
        await tab.WaitForFunctionAsync($"() => document.querySelectorAll('.js-plotly-plot').length >= {charts} && document.querySelectorAll('img.seqlab-static').length == 0", null, new() { Timeout = 30_000 });
        var traces = await tab.EvaluateAsync<int[]>("Array.from(document.querySelectorAll('.js-plotly-plot')).map(p => p.data ? p.data.length : 0)");
        Assert.Equal(charts, traces.Length);
        Assert.All(traces, count => Assert.True(count >= 1));
        Assert.Equal(0, await tab.EvaluateAsync<int>("() => document.querySelectorAll('img.seqlab-static').length")); // each interactive chart took its picture's place
        Assert.Empty(problems);
    }

    [Fact]
    public async Task A_committed_notebook_shows_its_charts_as_pictures_where_no_script_runs()
    {
        // Notebook 02's outputs as a static viewer shows them (GitHub runs no scripts): the HTML of each output, scripts off.
        var (_, charts, page) = Notebook02Page("notebook-02-static.html");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChartImages.FindBrowser() ?? throw new InvalidOperationException("bash .ci/run installs chromium"), Headless = true, Args = ["--no-sandbox"] });
        await using var context = await browser.NewContextAsync(new() { JavaScriptEnabled = false, Offline = true, ViewportSize = new() { Width = 1000, Height = 800 } });
        var tab = await context.NewPageAsync();
        await tab.GotoAsync(new Uri(page).AbsoluteUri, new() { WaitUntil = WaitUntilState.Load });
        // Every chart shows as a decoded picture of its size; no interactive chart was drawn (no script ran).
        var shown = await tab.EvaluateAsync<int[][]>("() => Array.from(document.querySelectorAll('img.seqlab-static')).map(i => [i.complete ? 1 : 0, i.naturalWidth, i.naturalHeight, Math.round(i.getBoundingClientRect().height)])");
        Assert.Equal(charts, shown.Length);
        Assert.All(shown, s => Assert.True(s[0] == 1 && s[1] >= 300 && s[2] >= 200 && s[3] >= 150, $"a picture drawn {s[1]} × {s[2]}, shown {s[3]} px high"));
        Assert.Equal(0, await tab.EvaluateAsync<int>("() => document.querySelectorAll('.js-plotly-plot').length"));
        string screenshot = Path.Combine(AppContext.BaseDirectory, "report-screenshots", "notebook-02-without-scripts.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await tab.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        output.WriteLine($"{charts} charts shown as pictures with scripts off; screenshot {screenshot}");
    }
}
