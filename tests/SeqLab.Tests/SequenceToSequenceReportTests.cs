using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Plotly.NET;
using SeqLab.Reports;

namespace SeqLab.Tests;

/// <summary>
/// The sequence-to-sequence charts and the decoded-pairs table, drawn from results folders written by hand (no training):
/// alignment heatmaps with the tokens on their axes, scores against source length, cross-attention entropy and maps, the
/// batch's overlay of experiments, and text from translations.json escaped.
/// </summary>
public class SequenceToSequenceReportTests
{
    static string Csv(params string[] lines) => string.Join("\n", lines) + "\n";

    /// <summary>An experiment folder as the runner leaves it, with <paramref name="files"/> beside config.yaml and summary.json.</summary>
    static string Experiment(string batch, string name, IReadOnlyDictionary<string, string> files, IReadOnlyDictionary<string, double>? metrics = null)
    {
        string folder = Path.Combine(batch, name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.yaml"), $"""
            experiments:
            - name: {name}
              dataset:
                type: translation
                beam_width: 4
              model:
                type: rnn_seq2seq
            """);
        var summary = new ExperimentSummary(name, "rnn_seq2seq", "translation", "SequenceToSequence", "an encoder-decoder", 1000, "completed", 10, 0.5, 2.5, "unigram",
            0.6, metrics ?? new Dictionary<string, double> { ["exact_match"] = 0.5, ["bleu"] = 40 }, 0, 1, null);
        File.WriteAllText(Path.Combine(folder, "summary.json"), JsonSerializer.Serialize(summary, ExperimentSummary.JsonOptions));
        foreach (var (file, content) in files) File.WriteAllText(Path.Combine(folder, file), content);
        return folder;
    }

    /// <summary>Source "2 0 2 ␣ &lt;unk&gt;" (a repeated token, a space, a reserved one), decoded as "a a &lt;/s&gt;"; a second pair of two tokens.</summary>
    static string Alignments()
    {
        var lines = new List<string> { "sentence,target_step,target_token,source_position,source_token,weight" };
        string[] source = ["2", "0", "2", " ", "<unk>"], output = ["a", "a", "</s>"];
        for (int t = 0; t < output.Length; t++)
            for (int j = 0; j < source.Length; j++)
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"1,{t + 1},{output[t]},{j + 1},\"{source[j]}\",{(j == t ? 0.8 : 0.05)}"));
        for (int j = 0; j < 2; j++) lines.Add($"2,1,b,{j + 1},x{j},0.5");
        return Csv([.. lines]);
    }

    static string Buckets(double shortBleu, double longBleu) => Csv(
        "min_source_length,max_source_length,sentences,search,exact_match,bleu,chrf",
        string.Create(CultureInfo.InvariantCulture, $"1,5,10,greedy,0.9,{shortBleu - 1},80"), string.Create(CultureInfo.InvariantCulture, $"1,5,10,beam,0.95,{shortBleu},81"),
        string.Create(CultureInfo.InvariantCulture, $"6,10,3,greedy,0.2,{longBleu - 1},50"), string.Create(CultureInfo.InvariantCulture, $"6,10,3,beam,0.3,{longBleu},52"));

    /// <summary>Two decoder layers of two heads on two monitored steps.</summary>
    static string Entropies() => Csv("step,layer,head,entropy,uniform_entropy",
        "1,1,1,1.5,1.6", "1,1,2,1.3,1.6", "1,2,1,1.4,1.6", "1,2,2,1.6,1.6",
        "50,1,1,0.5,1.6", "50,1,2,0.3,1.6", "50,2,1,0.9,1.6", "50,2,2,0.7,1.6");

    static string Maps()
    {
        var lines = new List<string> { "step,layer,head,target_step,source_position,weight" };
        foreach (int step in new[] { 1, 50 })
            foreach (int layer in new[] { 1, 2 })
                for (int head = 1; head <= 2; head++)
                    for (int t = 1; t <= 2; t++)
                        for (int j = 1; j <= 3; j++)
                            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{step},{layer},{head},{t},{j},{(step == 1 ? 1 / 3.0 : j == t ? (head == 1 ? 1.0 : 0.6) : (head == 1 ? 0 : 0.2))}"));
        return Csv([.. lines]);
    }

    static JsonElement Figure(ReportFigure figure) => JsonDocument.Parse(GenericChart.toFigureJson(figure.Chart)).RootElement;

    static List<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToList();

    static ExperimentResults Translation(string batch, string name = "attention") => ExperimentResults.Load(Experiment(batch, name, new Dictionary<string, string>
    {
        ["attention_alignments.csv"] = Alignments(), ["length_buckets.csv"] = Buckets(60, 20),
        ["cross_attention_entropy.csv"] = Entropies(), ["cross_attention.csv"] = Maps(),
    }))!;

    [Fact]
    public void Every_sequence_to_sequence_table_gets_its_charts_in_reading_order()
    {
        var results = Translation(NativeFiles.TemporaryFolder());
        Assert.Equal(["length-exact-match", "length-bleu", "alignment-1", "alignment-2", "cross-attention-entropy", "cross-attention-first", "cross-attention-last"],
            ExperimentCharts.All(results).Select(f => f.Id));
        Assert.All(ExperimentCharts.All(results), f => Assert.False(string.IsNullOrWhiteSpace(f.Caption)));
    }

    [Fact]
    public void No_sequence_to_sequence_chart_has_SI_prefixed_ticks_or_an_untitled_colour_bar()
    {
        string batch = NativeFiles.TemporaryFolder();
        var figures = ExperimentCharts.All(Translation(batch)).ToList();
        Translation(batch, "second");
        figures.AddRange(BatchCharts.All(ExperimentResults.LoadBatch(batch)));
        Assert.Contains(figures, f => f.Id == "alignment-1");
        Assert.Contains(figures, f => f.Id == "length-scores");
        Assert.Empty(figures.SelectMany(ChartLayoutChecks.Problems));
    }

    [Fact]
    public void An_alignment_heatmap_carries_the_source_and_output_tokens_in_order_on_category_axes()
    {
        var figure = ExperimentCharts.All(Translation(NativeFiles.TemporaryFolder())).Single(f => f.Id == "alignment-1");
        var json = Figure(figure);
        var trace = json.GetProperty("data")[0];
        var x = Strings(trace.GetProperty("x"));
        var y = Strings(trace.GetProperty("y"));
        // Shown as written (a space as ␣, markup as entities plotly decodes), repeated tokens kept apart by zero-width spaces.
        Assert.Equal(["2", "0", "2", "␣", "&lt;unk&gt;"], x.Select(label => label.Replace("\u200B", "")));
        Assert.Equal(["a", "a", "&lt;/s&gt;"], y.Select(label => label.Replace("\u200B", "")));
        Assert.Equal(x.Count, x.Distinct().Count());
        Assert.Equal(y.Count, y.Distinct().Count());
        var z = trace.GetProperty("z");
        Assert.Equal(3, z.GetArrayLength());
        Assert.Equal(0.8, z[1][1].GetDouble()); // row = output step, column = source position
        Assert.Equal(0.0, trace.GetProperty("zmin").GetDouble());
        Assert.Equal(1.0, trace.GetProperty("zmax").GetDouble());
        Assert.Equal("attention weight", trace.GetProperty("colorbar").GetProperty("title").GetProperty("text").GetString());
        var layout = json.GetProperty("layout");
        Assert.Equal("category", layout.GetProperty("xaxis").GetProperty("type").GetString());
        Assert.Equal("category", layout.GetProperty("yaxis").GetProperty("type").GetString());
        Assert.Equal("reversed", layout.GetProperty("yaxis").GetProperty("autorange").GetString()); // top to bottom as written
        Assert.Contains("source token", layout.GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString());
        Assert.Contains("diagonal", figure.Caption);
        Assert.Contains("“202 <unk>”", figure.Title);
    }

    [Fact]
    public void Scores_against_source_length_draw_greedy_and_beam_with_the_sentences_per_bucket()
    {
        var figures = ExperimentCharts.All(Translation(NativeFiles.TemporaryFolder()));
        var exact = Figure(figures.Single(f => f.Id == "length-exact-match"));
        var traces = exact.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["beam search (width 4)", "greedy decoding"], traces.Select(t => t.GetProperty("name").GetString()));
        Assert.Equal(["1–5<br>n = 10", "6–10<br>n = 3"], Strings(traces[0].GetProperty("x")));
        Assert.Equal([0.95, 0.3], traces[0].GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal("power", exact.GetProperty("layout").GetProperty("yaxis").GetProperty("exponentformat").GetString());
        var bleu = Figure(figures.Single(f => f.Id == "length-bleu"));
        Assert.Equal([60.0, 20.0], bleu.GetProperty("data")[0].GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Contains("BLEU", bleu.GetProperty("layout").GetProperty("yaxis").GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public void Cross_attention_entropy_is_the_mean_over_heads_per_layer_beside_the_uniform_line_and_maps_average_the_first_layers_heads()
    {
        var figures = ExperimentCharts.All(Translation(NativeFiles.TemporaryFolder()));
        var json = Figure(figures.Single(f => f.Id == "cross-attention-entropy"));
        var traces = json.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["decoder layer 1 (mean of 2 heads)", "decoder layer 2 (mean of 2 heads)", "uniform attention over the source"], traces.Select(t => t.GetProperty("name").GetString()));
        Assert.Equal([1.4, 0.4], traces[0].GetProperty("y").EnumerateArray().Select(v => Math.Round(v.GetDouble(), 10)));
        Assert.Equal([1.5, 0.8], traces[1].GetProperty("y").EnumerateArray().Select(v => Math.Round(v.GetDouble(), 10)));
        Assert.Equal([1.0, 50.0], traces[2].GetProperty("x").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal([1.6, 1.6], traces[2].GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal("dash", traces[2].GetProperty("line").GetProperty("dash").GetString());
        Assert.Equal("entropy (nats)", json.GetProperty("layout").GetProperty("yaxis").GetProperty("title").GetProperty("text").GetString());
        Assert.Contains("25 %", figures.Single(f => f.Id == "cross-attention-entropy").Caption); // 0.4 of 1.6 at the end

        var last = Figure(figures.Single(f => f.Id == "cross-attention-last")).GetProperty("data")[0];
        Assert.Equal([1, 2, 3], last.GetProperty("x").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal(0.8, last.GetProperty("z")[0][0].GetDouble(), 10); // mean of the first layer's heads: (1 + 0.6) / 2
        Assert.Equal(0.1, last.GetProperty("z")[0][1].GetDouble(), 10);
        Assert.Contains("step 50", figures.Single(f => f.Id == "cross-attention-last").Title);
        Assert.Contains("step 1", figures.Single(f => f.Id == "cross-attention-first").Title);
    }

    [Fact]
    public void Decoded_pairs_are_a_table_whose_text_from_translations_json_is_escaped()
    {
        string batch = NativeFiles.TemporaryFolder();
        var pairs = new[]
        {
            new TranslationSample("<script>alert(1)</script> & co", "ref <b>", "ref <b>", "<img src=x onerror=alert(2)>", -0.5, -0.25),
            new TranslationSample("deux chats", "two cats", "two dogs", "two cats", -1, -0.5),
        };
        string folder = Experiment(batch, "escaped", new Dictionary<string, string> { ["translations.json"] = JsonSerializer.Serialize(pairs, ExperimentSummary.JsonOptions) });
        var results = ExperimentResults.Load(folder)!;
        Assert.Equal(2, results.Translations.Count);
        Assert.Equal("two cats", results.Translations[1].Reference);
        string html = HtmlReport.ExperimentPage(results, "plotly.js");
        Assert.Contains("Decoded test pairs", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co", html);
        Assert.Contains("&lt;img src=x onerror=alert(2)&gt;", html);
        Assert.DoesNotContain("<script>alert(1)", html);
        Assert.DoesNotContain("<img src=x", html);
        Assert.Contains("<td style=\"color:#1a7f37\">ref &lt;b&gt;</td>", html); // greedy equal to the reference
        Assert.Contains("<td>two dogs</td>", html);
    }

    [Fact]
    public async Task The_report_page_draws_every_sequence_to_sequence_chart_offline_without_script_errors()
    {
        string batch = NativeFiles.TemporaryFolder();
        var results = Translation(batch);
        File.WriteAllText(Path.Combine(batch, HtmlReport.PlotlyFileName), HtmlReport.PlotlyJs());
        string page = HtmlReport.WriteExperiment(results.Folder)!;
        string browser = ChartImages.FindBrowser() ?? throw new InvalidOperationException("the report tests need Debian's chromium (apt-get install chromium fonts-liberation)");
        using var playwright = await Playwright.CreateAsync();
        await using var chromium = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = browser, Headless = true, Args = ["--no-sandbox"] });
        await using var context = await chromium.NewContextAsync(new() { Offline = true });
        var tab = await context.NewPageAsync();
        var problems = new List<string>();
        tab.PageError += (_, error) => problems.Add($"script error {error}");
        tab.Console += (_, message) => { if (message.Type == "error") problems.Add($"console error {message.Text}"); };
        await tab.GotoAsync(new Uri(page).AbsoluteUri, new() { WaitUntil = WaitUntilState.Load });
        await tab.WaitForFunctionAsync("() => document.querySelectorAll('section.figure .js-plotly-plot svg.main-svg').length >= 7", null, new() { Timeout = 30_000 });
        // The tick labels as drawn, left to right and top to bottom: entities decoded, so the reserved tokens read as themselves.
        const string Ticks = "axis => Array.from(document.querySelectorAll(`#alignment-1 .${axis}tick text`)).map(t => [t.getBoundingClientRect().left + t.getBoundingClientRect().top, t.textContent.replace(/\u200B/g, '')]).sort((a, b) => a[0] - b[0]).map(p => p[1])";
        Assert.Equal(["2", "0", "2", "␣", "<unk>"], await tab.EvaluateAsync<string[]>(Ticks, "x"));
        Assert.Equal(["a", "a", "</s>"], await tab.EvaluateAsync<string[]>(Ticks, "y"));
        Assert.Empty(problems);
    }

    [Fact]
    public void The_batch_overlays_every_experiments_beam_scores_against_source_length()
    {
        string batch = NativeFiles.TemporaryFolder();
        Experiment(batch, "with-attention", new Dictionary<string, string> { ["length_buckets.csv"] = Buckets(60, 55) });
        Experiment(batch, "no-attention", new Dictionary<string, string> { ["length_buckets.csv"] = Buckets(50, 10) });
        var experiments = ExperimentResults.LoadBatch(batch);
        var figure = BatchCharts.All(experiments).Single(f => f.Id == "length-scores");
        Assert.Equal("BLEU against source length", figure.Title);
        var traces = Figure(figure).GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["no-attention", "with-attention"], traces.Select(t => t.GetProperty("name").GetString()).Order());
        var byName = traces.ToDictionary(t => t.GetProperty("name").GetString()!, t => t.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()).ToList());
        Assert.Equal([50.0, 10.0], byName["no-attention"]); // the beam rows
        Assert.Equal([60.0, 55.0], byName["with-attention"]);
        Assert.Equal(["1–5<br>n = 10", "6–10<br>n = 3"], Strings(traces[0].GetProperty("x"))); // the same test set: its counts under each bucket

        // A task without BLEU (dates) in the batch: its exact match in a figure of its own, the translations' BLEU unchanged.
        var noBleu = Buckets(0, 0).Split('\n').Select((line, i) => i == 0 || line.Length == 0 ? line : string.Join(",", line.Split(',')[..5]) + ",,").ToArray();
        Experiment(batch, "dates", new Dictionary<string, string> { ["length_buckets.csv"] = string.Join("\n", noBleu) }, new Dictionary<string, double> { ["exact_match"] = 0.5 });
        var figures = BatchCharts.All(ExperimentResults.LoadBatch(batch));
        var bleu = figures.Single(f => f.Id == "length-scores");
        Assert.Equal("BLEU against source length", bleu.Title);
        Assert.Equal(["no-attention", "with-attention"], Figure(bleu).GetProperty("data").EnumerateArray().Select(t => t.GetProperty("name").GetString()).Order());
        var exact = figures.Single(f => f.Id == "length-scores-exact-match");
        Assert.Equal("Exact match against source length", exact.Title);
        var dates = Figure(exact).GetProperty("data").EnumerateArray().Single();
        Assert.Equal("dates", dates.GetProperty("name").GetString());
        Assert.Equal([0.95, 0.3], dates.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()));
        Assert.DoesNotContain(BatchCharts.All(ExperimentResults.LoadBatch(NativeFiles.TemporaryFolder())), f => f.Id.StartsWith("length-scores", StringComparison.Ordinal));
    }

    [Fact]
    public void A_batch_folder_given_with_a_trailing_slash_still_names_its_page()
    {
        string batch = Path.Combine(NativeFiles.TemporaryFolder(), "dates-batch");
        Experiment(batch, "attention", new Dictionary<string, string> { ["length_buckets.csv"] = Buckets(60, 55) });
        foreach (string given in new[] { batch, batch + Path.DirectorySeparatorChar })
        {
            string html = File.ReadAllText(HtmlReport.WriteBatch(given, selfContained: true).Index);
            Assert.Contains("<title>dates-batch — SeqLab batch report</title>", html);
            Assert.Contains("<h1>dates-batch</h1>", html);
        }
    }

    [Fact]
    public void Runs_that_differ_only_in_their_seed_are_one_line_with_its_interval()
    {
        string batch = NativeFiles.TemporaryFolder();
        Experiment(batch, "attention-seed1", new Dictionary<string, string> { ["length_buckets.csv"] = Buckets(60, 50) });
        Experiment(batch, "attention-seed2", new Dictionary<string, string> { ["length_buckets.csv"] = Buckets(40, 30) });
        Experiment(batch, "bottleneck-seed1", new Dictionary<string, string> { ["length_buckets.csv"] = Buckets(20, 10) });
        var figure = BatchCharts.All(ExperimentResults.LoadBatch(batch)).Single(f => f.Id == "length-scores");
        var traces = Figure(figure).GetProperty("data").EnumerateArray().ToList();
        List<double> Y(string name) => traces.Single(t => t.GetProperty("name").GetString() == name).GetProperty("y").EnumerateArray().Select(v => v.GetDouble()).ToList();
        Assert.Equal([50.0, 40.0], Y("attention (2 seeds)")); // the means of 60, 40 and of 50, 30
        // Two seeds: mean ± t(0.975, 1)·s/√2 = 50 ± 12.706·14.142/1.414 = 50 ± 127.06, clipped to BLEU's 0–100.
        Assert.Equal([100.0, 100.0], Y("attention (2 seeds) (95 % upper)"));
        Assert.Equal([0.0, 0.0], Y("attention (2 seeds) (95 % interval)"));
        Assert.Equal([20.0, 10.0], Y("bottleneck-seed1")); // one seed: its own line under its own name, no band
        Assert.Equal(4, traces.Count);
        Assert.Contains("the mean over its seeds", figure.Caption);
    }
}
