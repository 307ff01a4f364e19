using SeqLab.Data.Batches;
using SeqLab.Data.Dna;
using SeqLab.Data.Synthetic;
using SeqLab.Data.Text;
using SeqLab.Data.TimeSeries;
using TorchSharp;
using static TorchSharp.torch;

namespace SeqLab.Tests;

public class DataProcessingTests
{
    static TimeSeriesTable Gspc() => TimeSeriesTable.LoadYahoo(TestPaths.Data("stocks_yahoo", "^GSPC.csv"));

    [Fact]
    public void Forecast_windows_never_leak_across_the_chronological_split()
    {
        var options = new ForecastOptions("Close", ["Close", "Volume"], Window: 20, Horizon: 5);
        var windows = ForecastWindows.Build(options, Gspc());
        var (validationStart, testStart) = windows.Boundaries[0];
        Assert.Equal((int)(2515 * 0.7), validationStart);

        Assert.All(windows.Train.TargetIndices, t => Assert.True(t < validationStart));
        Assert.All(windows.Validation.WindowStarts, s => Assert.True(s >= validationStart)); // no training target inside a validation window
        Assert.All(windows.Validation.TargetIndices, t => Assert.True(t < testStart));
        Assert.All(windows.Test.WindowStarts, s => Assert.True(s >= testStart));
        Assert.Equal(windows.Train.Origins.Select(o => o + 5), windows.Train.TargetIndices);

        // Scalers see the training span only: changing every later value changes no scaler statistic.
        string path = TestPaths.Scratch("gspc-tampered.csv", string.Join("\n", File.ReadAllLines(TestPaths.Data("stocks_yahoo", "^GSPC.csv"))
            .Select((line, i) => i <= validationStart ? line : Tamper(line))));
        var tampered = ForecastWindows.Build(options, TimeSeriesTable.LoadYahoo(path));
        Assert.Equal(windows.FeatureScalers[0], tampered.FeatureScalers[0]);
        Assert.Equal(windows.TargetScalers[0], tampered.TargetScalers[0]);
        Assert.NotEqual(windows.Test.Targets, tampered.Test.Targets);

        using var batch = windows.Train.ToBatch([0, 5]);
        Assert.Equal(new long[] { 2, 20, 2 }, batch.Inputs.shape);
        Assert.Equal(windows.Train.Targets[5], batch.Targets[1, 0].item<float>());
        // Training inputs are standardised with the training statistics.
        using var all = windows.Train.ToBatch();
        Assert.InRange(all.Inputs[.., .., 0].mean().item<float>(), -0.05, 0.05);
    }

    static string Tamper(string line)
    {
        var fields = line.Split(',');
        for (int i = 1; i < fields.Length; i++) fields[i] = (double.Parse(fields[i], System.Globalization.CultureInfo.InvariantCulture) + 1000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return string.Join(",", fields);
    }

    [Fact]
    public void Several_tickers_get_their_own_spans_and_scalers_and_levels_round_trip()
    {
        var nvda = TimeSeriesTable.LoadYahoo(TestPaths.Data("stocks_yahoo", "nvda-1999-2014.txt"));
        var windows = ForecastWindows.Build(new ForecastOptions("Close", ["Close"], SeriesTransform.LogReturn, Window: 10), Gspc(), nvda);
        Assert.Equal([0, 1], windows.Test.SeriesIds.Distinct());
        Assert.NotEqual(windows.TargetScalers[0], windows.TargetScalers[1]);
        // Feeding the true scaled targets back gives the true levels: a perfect forecast scores RMSE 0 and direction 1.
        var perfect = windows.ToLevels(windows.Test, windows.Test.Targets);
        var score = windows.Score(windows.Test, perfect);
        Assert.True(score.Rmse < 1e-3 * 1000, $"RMSE {score.Rmse}");
        Assert.Equal(1.0, score.DirectionalAccuracy);
        // The naive baseline never predicts a direction of change.
        var naive = windows.Score(windows.Test, windows.Baseline(windows.Test, Baselines.Naive));
        Assert.Equal(0.0, naive.DirectionalAccuracy);
        Assert.InRange(naive.Mase, 0.5, 2.0);
    }

    [Fact]
    public void A_window_longer_than_the_series_is_a_clear_error()
    {
        var airline = TimeSeriesTable.Load(TestPaths.Data("airline_passengers", "airline-passengers.csv"), new TimeSeriesOptions("Month"));
        var error = Assert.Throws<ArgumentException>(() => ForecastWindows.Build(new ForecastOptions("Passengers", ["Passengers"], Window: 200), airline));
        Assert.Contains("the training span has 100 rows, but one window", error.Message);
    }

    [Fact]
    public void Baselines_and_metrics_match_hand_computation()
    {
        double[] series = [1, 2, 4, 7, 11];
        Assert.Equal(4, Baselines.Naive(series[..3], 1));
        Assert.Equal(5.5, Baselines.Drift(series[..3], 1));     // 4 + (4 − 1)/2
        Assert.Equal(8.5, Baselines.Drift(series[..3], 3));     // 4 + 3 · 1.5
        Assert.Equal(3, Baselines.MovingAverage(series[..3], 2));
        Assert.Equal(4, Baselines.SeasonalNaive(series[..4], 1, 2)); // y_4 ≈ y_2
        Assert.Equal(7, Baselines.SeasonalNaive(series[..4], 2, 2)); // y_5 ≈ y_3

        // Climatology with season 2: y_5 from y_3, y_1 (one and two seasons back); ± 1 neighbour adds y_0, y_2, y_4 where known.
        Assert.Equal((7 + 2) / 2.0, Baselines.SeasonalMean(series, 1, 2));
        Assert.Equal((4 + 7 + 11 + 1 + 2 + 4 + 1) / 7.0, Baselines.SeasonalMean(series, 1, 2, halfWidth: 1), 12); // around y_3: y_2..y_4; y_1: y_0..y_2; y_−1: y_0
        Assert.Equal(1, Baselines.SeasonalMean(series[..1], 1, 5)); // no earlier season yet: the last value
        Assert.Throws<ArgumentOutOfRangeException>(() => Baselines.SeasonalMean(series, 1, 0));

        // Naive one-step forecasts of the series itself: errors 1, 2, 3, 4.
        double[] actual = [2, 4, 7, 11], naive = [1, 2, 4, 7];
        var score = ForecastMetrics.Score(actual, naive, naive, ForecastMetrics.NaiveScale(series));
        Assert.Equal(Math.Sqrt((1 + 4 + 9 + 16) / 4.0), score.Rmse, 12);
        Assert.Equal(2.5, score.Mae, 12);
        Assert.Equal(1.0, score.Mase, 12);
        Assert.Equal(100 * (1 / 2.0 + 2 / 4.0 + 3 / 7.0 + 4 / 11.0) / 4, score.Mape, 10);
        Assert.Equal(100 * (2 / 3.0 + 4 / 6.0 + 6 / 11.0 + 8 / 18.0) / 4, score.Smape, 10);

        var perfect = ForecastMetrics.Score(actual, actual, naive, 1);
        Assert.Equal(0, perfect.Rmse);
        Assert.Equal(1, perfect.DirectionalAccuracy);
        var (low, high) = ForecastMetrics.WilsonInterval(8, 10);
        Assert.Equal(0.4902, low, 4);
        Assert.Equal(0.9433, high, 4);

        // Walk-forward naive on a straight line: every error equals the in-sample naive error.
        var line = Enumerable.Range(0, 50).Select(i => 3.0 * i).ToArray();
        Assert.Equal(1.0, WalkForward.Evaluate(line, 10, 2, Baselines.Naive).Mase, 12);
        Assert.Equal(0.0, WalkForward.Evaluate(line, 10, 2, Baselines.Drift).Rmse, 9); // drift is exact on a line
    }

    [Fact]
    public void Seasonal_naive_beats_naive_on_the_airline_series()
    {
        var passengers = TimeSeriesTable.Load(TestPaths.Data("airline_passengers", "airline-passengers.csv"), new TimeSeriesOptions("Month"))["Passengers"];
        // Six months ahead the naive forecast repeats the opposite season; the seasonal naive repeats the same month.
        var naive = WalkForward.Evaluate(passengers, 96, 6, Baselines.Naive);
        var seasonal = WalkForward.Evaluate(passengers, 96, 6, (h, horizon) => Baselines.SeasonalNaive(h, horizon, 12));
        Assert.True(seasonal.Rmse < 0.8 * naive.Rmse, $"seasonal {seasonal.Rmse:F1} vs naive {naive.Rmse:F1}");
        // Twelve months ahead both repeat the same month: identical forecasts.
        Assert.Equal(WalkForward.Evaluate(passengers, 96, 12, Baselines.Naive), WalkForward.Evaluate(passengers, 96, 12, (h, horizon) => Baselines.SeasonalNaive(h, horizon, 12)));
    }

    [Fact]
    public void The_shipped_Seattle_weather_is_unchanged_and_forecasts_in_levels_beside_persistence_and_climatology()
    {
        string path = TestPaths.Data("weather_seattle_nyc", "seattle-weather.csv");
        Assert.Equal("0845078a290b48e3149ab8639966824110a251db4e06fc144c06ebb534af23be", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))));
        string[] columns = ["precipitation", "temp_max", "temp_min", "wind"];
        var seattle = TimeSeriesTable.Load(path, new TimeSeriesOptions("date", columns));
        Assert.Equal(1461, seattle.Count); // 2012–2015, every calendar day
        Assert.All(seattle.Dates.Skip(1).Zip(seattle.Dates), p => Assert.Equal(TimeSpan.FromDays(1), p.First - p.Second));
        Assert.Equal(-1.6, seattle["temp_max"].Min());

        // Temperatures at or below 0 °C: returns are meaningless, and the windows refuse them with the reason.
        var error = Assert.Throws<ArgumentException>(() => ForecastWindows.Build(new ForecastOptions("temp_max", columns, Window: 28), seattle));
        Assert.Contains("log returns need positive values (use Level or Return)", error.Message);
        var windows = ForecastWindows.Build(new ForecastOptions("temp_max", columns, SeriesTransform.Level, SeriesTransform.Level, Window: 28, TrainFraction: 0.5, ValidationFraction: 0.25), seattle);
        Assert.Equal(new DateTime(2015, 1, 28), seattle.Dates[windows.Test.TargetIndices[0]]);
        Assert.Equal(4, windows.Test.FeatureCount);

        // One day ahead, "same as today" beats the season: persistence has a smaller error than climatology on 2015.
        var persistence = windows.Score(windows.Test, windows.Baseline(windows.Test, Baselines.Naive));
        var climatology = windows.Score(windows.Test, windows.Baseline(windows.Test, (h, horizon) => Baselines.SeasonalMean(h, horizon, 365, 7)));
        var temperature = seattle["temp_max"];
        Assert.Equal(windows.Test.TargetIndices.Average(t => Math.Abs(temperature[t] - temperature[t - 1])), persistence.Mae, 12);
        Assert.True(persistence.Rmse < 0.85 * climatology.Rmse, $"persistence {persistence.Rmse:F2} °C vs climatology {climatology.Rmse:F2} °C");
    }

    [Theory]
    [InlineData(10)]
    [InlineData(30)]
    public void Copy_memory_memoryless_baseline_is_ten_ln_8_over_T_plus_20(int blanks)
    {
        var task = new CopyMemory(blanks);
        Assert.Equal(10 * Math.Log(8) / (blanks + 20), task.MemorylessBaseline, 12);
        using var generator = new Generator(3);
        // The best memoryless predictor: the class frequencies at each position, estimated on one sample, scored on another.
        using var fit = task.Sample(20_000, generator);
        using var score = task.Sample(20_000, generator);
        var frequencies = nn.functional.one_hot(fit.Targets, task.Classes).to(ScalarType.Float64).mean([0]).clamp_min(1e-12); // [time, classes]
        var logProbabilities = frequencies.log().unsqueeze(0).expand(20_000, -1, -1);
        double crossEntropy = -logProbabilities.gather(2, score.Targets.unsqueeze(2)).mean().item<double>();
        Assert.InRange(crossEntropy, task.MemorylessBaseline * 0.99, task.MemorylessBaseline * 1.01);

        // Layout: symbols first, the delimiter T + 9 steps in, the symbols again as the last targets.
        Assert.Equal(new long[] { 20_000, blanks + 20 }, fit.Inputs.shape);
        Assert.True(fit.Inputs[.., blanks + 9].eq(task.Delimiter).all().item<bool>());
        Assert.True(fit.Inputs[.., ..10].eq(fit.Targets[.., ^10..]).all().item<bool>());
    }

    [Fact]
    public void Temporal_order_classes_are_balanced_and_the_symbols_sit_in_their_windows()
    {
        using var generator = new Generator(4);
        using var batch = new TemporalOrder(50).Sample(8000, generator);
        var counts = batch.Targets.bincount(null, 4).data<long>().ToArray();
        Assert.All(counts, c => Assert.InRange(c / 8000.0, 0.23, 0.27));
        var relevant = batch.Inputs[.., .., 4..].sum(2); // A or B channel
        Assert.True(relevant.sum(1).eq(2).all().item<bool>());
        Assert.True(relevant[.., 5..10].sum(1).eq(1).all().item<bool>());   // [0.1 L, 0.2 L)
        Assert.True(relevant[.., 25..30].sum(1).eq(1).all().item<bool>());  // [0.5 L, 0.6 L)
        // Class 3 (BB) has B in both windows.
        var bb = batch.Targets.eq(3);
        Assert.True(batch.Inputs[bb][.., .., 5].sum(1).eq(2).all().item<bool>());
    }

    [Fact]
    public void Variable_length_probes_carry_lengths_that_match_their_masks()
    {
        using var generator = new Generator(5);
        using var adding = AddingProblem.SampleVariable(64, 10, 40, generator);
        using var copy = new CopyMemory(5).Sample(64, 3, 15, generator);
        using var order = new TemporalOrder(20).Sample(64, 10, 30, generator);
        foreach (var batch in new[] { adding, copy, order })
        {
            var lengths = batch.Lengths!.data<long>().ToArray();
            using var mask = batch.Mask();
            Assert.Equal(lengths, mask.sum(1).data<long>().ToArray());
            Assert.Equal(lengths.Max(), batch.Length);
            for (int b = 0; b < 64; b++)
                Assert.True(mask[b, ..(int)lengths[b]].all().item<bool>());
            Assert.True(batch.PaddingFraction > 0);
        }
        // Each variable adding sequence has exactly two markers within its length, one in each half.
        var lengthsOf = adding.Lengths!.data<long>().ToArray();
        for (int b = 0; b < 64; b++)
        {
            var markers = adding.Inputs[b, .., 1].data<float>().ToArray();
            int half = (int)lengthsOf[b] / 2;
            Assert.Equal(1f, markers[..half].Sum());
            Assert.Equal(1f, markers[half..(int)lengthsOf[b]].Sum());
            Assert.Equal(0f, markers[(int)lengthsOf[b]..].Sum());
        }
    }

    [Fact]
    public void Padding_and_truncation_policies_place_the_valid_steps_as_asked()
    {
        long[][] sequences = [[1, 2, 3, 4, 5], [6, 7]];
        using var targets = zeros(2);
        using var post = Collate.Tokens(sequences, targets.clone(), new PaddingOptions(MaxLength: 4));
        Assert.Equal(new long[] { 1, 2, 3, 4, 6, 7, 0, 0 }, post.Inputs.data<long>().ToArray());
        using var pre = Collate.Tokens(sequences, targets.clone(), new PaddingOptions(MaxLength: 4, Side: PaddingSide.Start, Keep: KeepPart.Last, PadToken: 9));
        Assert.Equal(new long[] { 2, 3, 4, 5, 9, 9, 6, 7 }, pre.Inputs.data<long>().ToArray());
        Assert.Equal(new long[] { 4, 2 }, pre.Lengths!.data<long>().ToArray());
        using var preMask = pre.Mask();
        Assert.Equal(new[] { true, true, true, true, false, false, true, true }, preMask.data<bool>().ToArray());
        Assert.Equal(0.25, post.PaddingFraction, 12);
    }

    [Fact]
    public void Bucketing_cuts_padding_on_a_skewed_length_set_and_covers_every_item_once()
    {
        var random = new Random(7);
        var lengths = Enumerable.Range(0, 2000).Select(_ => (int)Math.Min(400, 5 + Math.Exp(random.NextDouble() * 5.5))).ToList();
        var plain = Bucketing.Batches(lengths, 32, 1, seed: 1);
        var bucketed = Bucketing.Batches(lengths, 32, 50, seed: 1);
        Assert.Equal(Enumerable.Range(0, 2000), bucketed.SelectMany(b => b).Order());
        double before = Bucketing.PaddingFraction(lengths, plain), after = Bucketing.PaddingFraction(lengths, bucketed);
        Assert.True(after < before / 3, $"padding {before:P1} → {after:P1}");
        Assert.Equal(bucketed.Select(b => b.ToArray()), Bucketing.Batches(lengths, 32, 50, seed: 1)); // seeded
    }

    [Fact]
    public void DNA_encodings_handle_ambiguity_and_reverse_complement_is_an_involution()
    {
        foreach (var record in DnaReaders.ReadUci(TestPaths.Data("dna_uci_splice", "splice.data")))
            Assert.Equal(record.Sequence, Iupac.ReverseComplement(Iupac.ReverseComplement(record.Sequence)));
        Assert.Equal("NCGTAYR", Iupac.ReverseComplement("YRTACGN"));

        var codes = DnaEncoding.OneHot("ANR");
        Assert.Equal(new float[] { 1, 0, 0, 0, 0.25f, 0.25f, 0.25f, 0.25f, 0.5f, 0, 0.5f, 0 }, codes);
        Assert.Equal(new float[12].Select((_, i) => i == 0 ? 1f : 0f), DnaEncoding.OneHot("ANR", ambiguousAsZero: true));

        Assert.Equal(new long[] { 1 + 0b0001, 1 + 0b0110, 0, 0 }, DnaEncoding.KmerTokens("ACGNT", 2)); // AC, CG, GN, NT
        Assert.Equal(17, DnaEncoding.KmerVocabularySize(2));

        var records = DnaReaders.ReadUci(TestPaths.Data("dna_uci_splice", "splice.data"));
        var (train, validation, test) = Stratified.Split(records, r => r.Label, 0.7, 0.15, seed: 1);
        Assert.Equal(records.Count, train.Count + validation.Count + test.Count);
        foreach (var part in new[] { train, validation, test })
        {
            double share = part.Count(r => r.Label == "N") / (double)part.Count;
            Assert.InRange(share, 1655 / 3190.0 - 0.01, 1655 / 3190.0 + 0.01);
        }
        using var batch = DnaEncoding.OneHotBatch(train.Take(8).ToList(), ["EI", "IE", "N"]);
        Assert.Equal(new long[] { 8, 60, 4 }, batch.Inputs.shape);
        Assert.True(batch.Inputs.sum(2).allclose(ones(8, 60)));
    }

    [Fact]
    public void Text_tokenizers_round_trip_and_language_model_windows_never_overlap_across_the_split()
    {
        string text = TextCorpus.Load(TestPaths.Data("tinyshakespeare", "input.txt"));
        string passage = text[..5000];
        Assert.Equal(["O'er", "the", "hill", ",", "don't", "\n", "stop", "!", "'", "tis"], WordTokenizer.Split("O'er the hill, don't\nstop! 'tis"));
        var words = new WordTokenizer(text, minimumCount: 2);
        Assert.Equal(0, words.Encode("Zyzzyva")[0]); // unseen word → <unk>
        Assert.StartsWith("First Citizen:\nBefore we proceed any further, hear me speak.", words.Decode(words.Encode(passage)));
        var subwords = new SubwordTokenizer(text);
        Assert.InRange(subwords.VocabularySize, 1000, 20_000);
        Assert.Equal(passage, subwords.Decode(subwords.Encode(passage)));
        Assert.True(subwords.Encode(passage).Length < passage.Length / 2);

        var characters = new CharacterTokenizer(text);
        var data = new LanguageModelData(characters.Encode(text), context: 64, stride: 32, validationFraction: 0.1);
        Assert.All(data.TrainStarts, s => Assert.True(s + 64 + 1 <= data.Split));
        Assert.All(data.ValidationStarts, s => Assert.True(s >= data.Split));
        using var generator = new Generator(1);
        using var batch = data.SampleTraining(4, generator);
        Assert.Equal(new long[] { 4, 64 }, batch.Inputs.shape);
        Assert.True(batch.Inputs[.., 1..].eq(batch.Targets[.., ..^1]).all().item<bool>()); // targets are the inputs shifted by one
        var error = Assert.Throws<ArgumentException>(() => characters.Encode("naïve"));
        Assert.Contains("'ï'", error.Message);
    }
}
