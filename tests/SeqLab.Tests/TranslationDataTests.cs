using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using SeqLab.Data;
using SeqLab.Data.Synthetic;
using SeqLab.Data.Translation;
using Xunit.Abstractions;

namespace SeqLab.Tests;

public class TranslationDataTests(ITestOutputHelper output)
{
    // ---- ParallelCorpus.Load ------------------------------------------------------------------------------------

    [Fact]
    public void Load_trims_sides_skips_blank_lines_and_reads_BOM_CRLF_and_a_missing_final_newline()
    {
        string path = TestPaths.Scratch("pairs.tsv", "\uFEFFHello\tBonjour\r\n\r\n  \t \r\n  Good bye \t Au revoir  \r\nlast\tdernier");
        var pairs = ParallelCorpus.Load(path);
        Assert.Equal(
            [new SentencePair("Hello", "Bonjour", 1), new SentencePair("Good bye", "Au revoir", 4), new SentencePair("last", "dernier", 5)],
            pairs);
    }

    [Theory]
    [InlineData("a\tb\nno tab here\n", 2, null, "expected 'source<TAB>target', found no tab")]
    [InlineData("a\tb\n\nx\ty\tz\n", 3, null, "expected 'source<TAB>target', found 3 tab-separated fields")]
    [InlineData("a\tb\r\nc\td\r\ne\t\tf\t\r\n", 3, null, "found 4 tab-separated fields")]
    [InlineData("a\tb\n \tb\n", 2, "source", "empty source")]
    [InlineData("a\tb\nc\t  \n", 2, "target", "empty target")]
    public void A_malformed_line_is_an_error_naming_file_line_and_field(string content, int line, string? field, string reason)
    {
        string path = TestPaths.Scratch("bad.tsv", content);
        var error = Assert.Throws<DataFormatException>(() => ParallelCorpus.Load(path));
        Assert.Equal(path, error.File);
        Assert.Equal(line, error.Line);
        Assert.Equal(field, error.Field);
        Assert.Contains(reason, error.Reason);
        Assert.StartsWith($"{path}:{line}: ", error.Message);
    }

    [Fact]
    public void Invalid_UTF8_an_empty_file_and_a_missing_file_are_errors()
    {
        string folder = NativeFiles.TemporaryFolder();
        string invalid = Path.Combine(folder, "latin1.tsv");
        File.WriteAllBytes(invalid, [.. Encoding.UTF8.GetBytes("a\tb\nc\td\ncaf"), 0xE9, .. Encoding.UTF8.GetBytes("\tcafé\n")]);
        var error = Assert.Throws<DataFormatException>(() => ParallelCorpus.Load(invalid));
        Assert.Equal(3, error.Line);
        Assert.Contains("invalid UTF-8", error.Message);

        string empty = Path.Combine(folder, "empty.tsv");
        File.WriteAllText(empty, " \n\n");
        Assert.Equal(1, Assert.Throws<DataFormatException>(() => ParallelCorpus.Load(empty)).Line);

        Assert.Throws<FileNotFoundException>(() => ParallelCorpus.Load(Path.Combine(folder, "missing.tsv")));
    }

    [Theory]
    [InlineData("en-fr.tsv", 63_645, "3585d641f1cda17b5b9af92178ff78f49166836a144cd486452e5e714f78c6bb", "jeu de stratégie en temps réel de guerres anciennes")]
    [InlineData("en-de.tsv", 38_547, "1eab6a94564ec395a6f7a819956931fcfaab6dfccd97193c84465153216d24af", null)]
    public void The_shipped_Debian_pairs_load_completely_and_unchanged(string file, int count, string sha256, string? firstTarget)
    {
        string path = TestPaths.Data("translation_debian_descriptions", file);
        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))));
        var clock = Stopwatch.StartNew();
        var pairs = ParallelCorpus.Load(path);
        output.WriteLine($"{file}: {pairs.Count:N0} pairs in {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(count, pairs.Count);
        Assert.Equal(Enumerable.Range(1, count), pairs.Select(p => p.Line)); // one pair a line, no blank lines
        Assert.Equal("Real-time strategy game of ancient warfare", pairs[0].Source);
        if (firstTarget is not null)
        {
            Assert.Equal(firstTarget, pairs[0].Target);
            // French typography's no-break spaces (U+00A0) are kept inside a side: 13,287 French targets hold one.
            Assert.Contains(new SentencePair("Frotz complies with the Z Machine specification version 1.0.", "Frotz respecte les spécifications version\u00A01.0 de la Z\u00A0Machine.", 17_301), pairs);
            Assert.Equal(13_287, pairs.Count(p => p.Target.Contains('\u00A0')));
        }
    }

    // ---- ParallelCorpus.Split and FilterByLength ----------------------------------------------------------------

    static List<SentencePair> Numbered(int count) =>
        Enumerable.Range(1, count).Select(i => new SentencePair($"source {i}", $"cible {i}", i)).ToList();

    [Fact]
    public void Split_is_reproducible_for_a_seed_disjoint_complete_in_input_order_and_sized()
    {
        var pairs = Numbered(1000);
        var (train, validation, test) = ParallelCorpus.Split(pairs, 0.1, 0.2, seed: 5);
        Assert.Equal((700, 100, 200), (train.Count, validation.Count, test.Count));
        Assert.Equal(pairs, train.Concat(validation).Concat(test).OrderBy(p => p.Line));
        foreach (var part in new[] { train, validation, test }) Assert.Equal(part.OrderBy(p => p.Line), part);

        var again = ParallelCorpus.Split(pairs, 0.1, 0.2, seed: 5);
        Assert.Equal(train, again.Train);
        Assert.Equal(validation, again.Validation);
        Assert.Equal(test, again.Test);
        Assert.NotEqual(test, ParallelCorpus.Split(pairs, 0.1, 0.2, seed: 6).Test);

        var far = ParallelCorpus.Split(pairs, 0.1, 0.2, seed: 1L << 40);
        Assert.Equal(far.Test, ParallelCorpus.Split(pairs, 0.1, 0.2, seed: 1L << 40).Test);

        // Pinned: the shuffle is System.Random's seeded sequence, the same on every machine and .NET version.
        Assert.Equal([4, 32, 36, 39, 40], validation.Take(5).Select(p => p.Line));

        var none = ParallelCorpus.Split(pairs, 0, 0, seed: 5);
        Assert.Equal((1000, 0, 0), (none.Train.Count, none.Validation.Count, none.Test.Count));
    }

    [Fact]
    public void Split_keeps_every_copy_of_a_source_sentence_in_one_split()
    {
        var pairs = Numbered(200);
        pairs.AddRange(Enumerable.Range(0, 30).Select(i => new SentencePair("the same sentence", $"traduction {i}", 201 + i)));
        for (long seed = 0; seed < 20; seed++)
        {
            var (train, validation, test) = ParallelCorpus.Split(pairs, 0.25, 0.25, seed);
            Assert.Single(new[] { train, validation, test }, part => part.Any(p => p.Source == "the same sentence"));
            Assert.Equal(30, new[] { train, validation, test }.Max(part => part.Count(p => p.Source == "the same sentence")));
            Assert.Equal(230, train.Count + validation.Count + test.Count);
            Assert.InRange(validation.Count, 58, 58 + 29);
            Assert.InRange(test.Count, 58, 58 + 29);
        }

        var debian = ParallelCorpus.Load(TestPaths.Data("translation_debian_descriptions", "en-fr.tsv"));
        var split = ParallelCorpus.Split(debian, 0.05, 0.05, seed: 1);
        var trainSources = split.Train.Select(p => p.Source).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(split.Validation, p => trainSources.Contains(p.Source));
        Assert.DoesNotContain(split.Test, p => trainSources.Contains(p.Source));
        var validationSources = split.Validation.Select(p => p.Source).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(split.Test, p => validationSources.Contains(p.Source));
        Assert.InRange(split.Validation.Count, 3182, 3182 + 16); // 17 copies of the most repeated English sentence
        Assert.InRange(split.Test.Count, 3182, 3182 + 16);
        output.WriteLine($"en-fr split 5 % / 5 %, seed 1: {split.Train.Count:N0} / {split.Validation.Count:N0} / {split.Test.Count:N0}");
    }

    [Theory]
    [InlineData(-0.1, 0.1)]
    [InlineData(0.1, 1.0)]
    [InlineData(0.6, 0.4)]
    [InlineData(double.NaN, 0.1)]
    public void Split_rejects_fractions_that_leave_no_training_data(double validation, double test) =>
        Assert.ThrowsAny<ArgumentException>(() => ParallelCorpus.Split(Numbered(10), validation, test, 1));

    [Fact]
    public void FilterByLength_keeps_pairs_within_both_bounds_inclusive_in_order()
    {
        static int Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        SentencePair[] pairs =
        [
            new("one", "un", 1), new("one two three", "un deux trois", 2), new("one two three four", "un deux", 3),
            new("one two", "un deux trois quatre", 4), new("one two", "un deux trois", 5),
        ];
        Assert.Equal([1, 2, 5], ParallelCorpus.FilterByLength(pairs, Words, Words, maxSource: 3, maxTarget: 3).Select(p => p.Line));
        Assert.Equal([2, 5], ParallelCorpus.FilterByLength(pairs, Words, Words, maxSource: 3, maxTarget: 3, minLength: 2).Select(p => p.Line));
        Assert.Equal([1, 2, 3, 4, 5], ParallelCorpus.FilterByLength(pairs, s => s.Length, s => s.Length, 100, 100, minLength: 0).Select(p => p.Line));
        Assert.Throws<ArgumentOutOfRangeException>(() => ParallelCorpus.FilterByLength(pairs, Words, Words, maxSource: 1, maxTarget: 3, minLength: 2));
    }

    // ---- DatePairs -----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("en-us-long", "November 3, 2021")]
    [InlineData("en-us-full", "Wednesday, November 3, 2021")]
    [InlineData("en-us-long-upper", "NOVEMBER 3, 2021")]
    [InlineData("en-us-abbr", "Nov 3 2021")]
    [InlineData("en-us-numeric", "11/03/2021")]
    [InlineData("en-us-numeric-short", "11/3/21")]
    [InlineData("en-gb-long", "3 November 2021")]
    [InlineData("en-gb-full", "Wednesday, 3 November 2021")]
    [InlineData("en-gb-long-lower", "3 november 2021")]
    [InlineData("en-gb-abbr-upper", "3 NOV 2021")]
    [InlineData("en-gb-abbr-dashed", "03-Nov-2021")]
    [InlineData("fr-fr-long", "3 novembre 2021")]
    [InlineData("fr-fr-le", "le 3 novembre 2021")]
    [InlineData("fr-fr-full", "mercredi 3 novembre 2021")]
    [InlineData("fr-fr-le-full", "le mercredi 3 novembre 2021")]
    [InlineData("fr-fr-abbr", "3 nov. 2021")]
    [InlineData("de-de-long", "3. November 2021")]
    [InlineData("de-de-full", "Mittwoch, 3. November 2021")]
    [InlineData("de-de-abbr", "3. Nov 2021")]
    [InlineData("de-de-numeric", "03.11.2021")]
    [InlineData("de-de-numeric-short", "3.11.21")]
    [InlineData("es-es-long", "3 de noviembre de 2021")]
    [InlineData("es-es-full", "miércoles, 3 de noviembre de 2021")]
    [InlineData("es-es-abbr", "3 nov 2021")]
    [InlineData("it-it-long", "3 novembre 2021")]
    [InlineData("it-it-full", "mercoledì 3 novembre 2021")]
    [InlineData("it-it-abbr", "3 nov 2021")]
    [InlineData("pt-pt-long", "3 de novembro de 2021")]
    [InlineData("pt-pt-full", "quarta-feira, 3 de novembro de 2021")]
    [InlineData("pt-pt-abbr", "3 nov. 2021")]
    [InlineData("nl-nl-long", "3 november 2021")]
    [InlineData("nl-nl-full", "woensdag 3 november 2021")]
    [InlineData("nl-nl-abbr", "3 nov 2021")]
    [InlineData("nl-nl-numeric", "3-11-2021")]
    [InlineData("numeric-ymd", "2021/11/03")]
    [InlineData("numeric-compact", "20211103")]
    public void Every_format_writes_its_pinned_example(string name, string example)
    {
        var format = Assert.Single(DatePairs.AllFormats, f => f.Name == name);
        Assert.Equal(example, format.Example);
        Assert.Equal(example, format.Render(new DateOnly(2021, 11, 3)));
    }

    [Fact]
    public void Month_and_day_names_are_pinned_exactly()
    {
        DateFormat Format(string name) => DatePairs.AllFormats.Single(f => f.Name == name);
        Assert.Equal(
            ["1 janvier 2021", "1 février 2021", "1 mars 2021", "1 avril 2021", "1 mai 2021", "1 juin 2021", "1 juillet 2021",
             "1 août 2021", "1 septembre 2021", "1 octobre 2021", "1 novembre 2021", "1 décembre 2021"],
            Enumerable.Range(1, 12).Select(m => Format("fr-fr-long").Render(new DateOnly(2021, m, 1))));
        Assert.Equal(
            ["1 janv. 2021", "1 févr. 2021", "1 mars 2021", "1 avr. 2021", "1 mai 2021", "1 juin 2021", "1 juil. 2021",
             "1 août 2021", "1 sept. 2021", "1 oct. 2021", "1 nov. 2021", "1 déc. 2021"],
            Enumerable.Range(1, 12).Select(m => Format("fr-fr-abbr").Render(new DateOnly(2021, m, 1))));
        Assert.Equal("3. März 2021", Format("de-de-long").Render(new DateOnly(2021, 3, 3)));
        Assert.Equal("3 de marzo de 2021", Format("es-es-long").Render(new DateOnly(2021, 3, 3)));
        Assert.Equal("Sunday, January 1, 1950", Format("en-us-full").Render(DatePairs.First));
        Assert.Equal("vendredi 31 décembre 2049", Format("fr-fr-full").Render(DatePairs.Last));
        Assert.Equal("Freitag, 31. Dezember 2049", Format("de-de-full").Render(DatePairs.Last));
        Assert.Equal("terça-feira, 29 de fevereiro de 2000", Format("pt-pt-full").Render(new DateOnly(2000, 2, 29)));
        Assert.Equal("martedì 29 febbraio 2000", Format("it-it-full").Render(new DateOnly(2000, 2, 29)));
        Assert.Equal("dinsdag 29 februari 2000", Format("nl-nl-full").Render(new DateOnly(2000, 2, 29)));
        Assert.Equal("MARCH 3, 2021", Format("en-us-long-upper").Render(new DateOnly(2021, 3, 3)));
        Assert.Equal("1/1/50", Format("en-us-numeric-short").Render(DatePairs.First));
        Assert.Equal("31.12.49", Format("de-de-numeric-short").Render(DatePairs.Last));
    }

    [Fact]
    public void A_seed_gives_the_same_pinned_pairs_on_every_machine()
    {
        var pairs = new DatePairs().Sample(8, seed: 42);
        Assert.Equal(
            [("10/23/16", "2016-10-23", "en-us-numeric-short"), ("21. Jul 1962", "1962-07-21", "de-de-abbr"),
             ("5 NOV 1966", "1966-11-05", "en-gb-abbr-upper"), ("11. Jun 2022", "2022-06-11", "de-de-abbr"),
             ("14 de maio de 1967", "1967-05-14", "pt-pt-long"), ("17 JUN 1973", "1973-06-17", "en-gb-abbr-upper"),
             ("24 juillet 2000", "2000-07-24", "fr-fr-long"), ("5 FEB 1988", "1988-02-05", "en-gb-abbr-upper")],
            pairs.Select(p => (p.Source, p.Target, p.Format.Name)));
        Assert.Equal(new DatePairs().Sample(500, 7), new DatePairs().Sample(500, 7));
        Assert.Equal(new DatePairs().Sample(500, 7), new DatePairs().Sample(500, new Random(7)));
        Assert.NotEqual(new DatePairs().Sample(500, 7).Select(p => p.Source), new DatePairs().Sample(500, 8).Select(p => p.Source));
    }

    [Fact]
    public void Every_target_is_the_ISO_form_of_the_date_its_source_names()
    {
        var checkedPairs = new DatePairs().Sample(2000, seed: 3).ToList();
        var year2000 = Enumerable.Range(0, 366).Select(i => new DateOnly(2000, 1, 1).AddDays(i)); // every month, weekday, 29 February
        var edges = new[] { DatePairs.First, DatePairs.Last, new DateOnly(1999, 12, 31), new DateOnly(2049, 1, 1) };
        foreach (var format in DatePairs.AllFormats)
            foreach (var date in year2000.Concat(edges))
                checkedPairs.Add(new DatePair(format.Render(date), date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), date, format));
        foreach (var pair in checkedPairs)
        {
            Assert.Equal(pair.Date, DateOnly.ParseExact(pair.Target, "yyyy-MM-dd", CultureInfo.InvariantCulture));
            Assert.InRange(pair.Date, DatePairs.First, DatePairs.Last);
            Assert.True(pair.Date == ReadBack(pair.Format, pair.Source), $"{pair.Format.Name}: '{pair.Source}' should read back as {pair.Target}");
        }
    }

    [Fact]
    public void No_source_string_names_two_dates()
    {
        var seen = new Dictionary<string, (DateOnly Date, string Format)>(StringComparer.Ordinal);
        for (int day = 0; day < DatePairs.DayCount; day++)
        {
            var date = DatePairs.First.AddDays(day);
            foreach (var format in DatePairs.AllFormats)
            {
                string source = format.Render(date);
                if (seen.TryGetValue(source, out var earlier))
                    Assert.True(earlier.Date == date, $"'{source}' is {earlier.Date:yyyy-MM-dd} in {earlier.Format} and {date:yyyy-MM-dd} in {format.Name}");
                else seen.Add(source, (date, format.Name));
            }
        }
        Assert.Equal(36_525, DatePairs.DayCount);
    }

    [Fact]
    public void A_thousand_samples_hold_every_language_and_format_and_dates_spread_over_the_century()
    {
        var pairs = new DatePairs().Sample(1000, seed: 1);
        Assert.Equal(DatePairs.Languages.Order(), pairs.Select(p => p.Format.Language).Distinct().Order());
        Assert.Equal(DatePairs.AllFormats.Count, pairs.Select(p => p.Format.Name).Distinct().Count());
        Assert.Equal(["en-US", "en-GB", "fr-FR", "de-DE", "es-ES", "it-IT", "pt-PT", "nl-NL", "numeric"], DatePairs.Languages);

        var decades = new DatePairs().Sample(20_000, seed: 2).GroupBy(p => p.Date.Year / 10).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(Enumerable.Range(195, 10), decades.Keys.Order());
        Assert.All(decades.Values, n => Assert.InRange(n, 1700, 2300)); // 2,000 expected per decade
    }

    [Fact]
    public void Languages_and_formats_can_be_restricted_and_unknown_names_are_rejected()
    {
        var europe = new DatePairs(languages: ["fr-FR", "de-de"]);
        Assert.All(europe.Formats, f => Assert.Contains(f.Language, new[] { "fr-FR", "de-DE" }));
        Assert.Equal(10, europe.Formats.Count);
        Assert.All(europe.Sample(300, 1), p => Assert.Contains(p.Format, europe.Formats));

        var two = new DatePairs(formats: ["numeric-ymd", "FR-FR-LE"]);
        Assert.Equal(["fr-fr-le", "numeric-ymd"], two.Formats.Select(f => f.Name));
        Assert.Equal(two.Formats.Select(f => f.Name), two.Sample(100, 1).Select(p => p.Format.Name).Distinct().Order());

        var unknown = Assert.Throws<ArgumentException>(() => new DatePairs(languages: ["fr-FR", "xx-XX"]));
        Assert.Contains("xx-XX", unknown.Message);
        Assert.Contains("known: en-US, en-GB", unknown.Message);
        Assert.Contains("known: en-us-long", Assert.Throws<ArgumentException>(() => new DatePairs(formats: ["fr-fr-longue"])).Message);
        Assert.Throws<ArgumentException>(() => new DatePairs(languages: ["numeric"], formats: ["fr-fr-long"]));
    }

    [Fact]
    public void The_tables_agree_with_the_platforms_culture_data_where_it_has_any()
    {
        CultureInfo french;
        try { french = CultureInfo.GetCultureInfo("fr-FR"); }
        catch (CultureNotFoundException)
        {
            output.WriteLine("globalization-invariant mode: no culture data to compare with; the literal tables are used regardless");
            return;
        }
        if (french.DateTimeFormat.MonthNames[0] != "janvier")
        {
            output.WriteLine($"culture data without French names ('{french.DateTimeFormat.MonthNames[0]}'): nothing to compare with");
            return;
        }
        foreach (var format in DatePairs.AllFormats)
        {
            var culture = format.Language == DatePairs.Numeric ? CultureInfo.InvariantCulture : CultureInfo.GetCultureInfo(format.Language);
            if (format.Names is { } names)
            {
                Assert.Equal(culture.DateTimeFormat.MonthNames.Take(12), names.Months);
                Assert.Equal(culture.DateTimeFormat.DayNames, names.Days);
            }
            if (format.Pattern.Contains("MMM") && !format.Pattern.Contains("MMMM")) continue; // abbreviations differ between ICU versions
            foreach (var date in new[] { DatePairs.First, DatePairs.ExampleDate, DatePairs.Last, new DateOnly(2000, 2, 29), new DateOnly(1987, 8, 16) })
            {
                string source = format.Render(date);
                if (format.Case == DateCase.AsWritten) Assert.Equal(date.ToString(format.Pattern, culture), source);
                Assert.Equal(date, DateOnly.ParseExact(source, format.Pattern, culture));
            }
        }
    }

    /// <summary>Reads <paramref name="source"/> back through <paramref name="format"/>'s pattern (a parser of its own, case-insensitive), checking the weekday where it is written.</summary>
    static DateOnly? ReadBack(DateFormat format, string source)
    {
        var regex = new StringBuilder("^");
        var fields = new List<string>();
        string pattern = format.Pattern;
        for (int i = 0; i < pattern.Length;)
        {
            if (pattern[i] == '\'')
            {
                int end = pattern.IndexOf('\'', i + 1);
                regex.Append(Regex.Escape(pattern[(i + 1)..end]));
                i = end + 1;
                continue;
            }
            if (pattern[i] is not ('y' or 'M' or 'd'))
            {
                regex.Append(Regex.Escape(pattern[i].ToString()));
                i++;
                continue;
            }
            int width = 1;
            while (i + width < pattern.Length && pattern[i + width] == pattern[i]) width++;
            string field = new(pattern[i], width);
            regex.Append(field switch
            {
                "yyyy" => @"(\d{4})", "yy" or "MM" or "dd" => @"(\d{2})", "M" or "d" => @"(\d{1,2})",
                "MMMM" => Alternatives(format.Names!.Months), "MMM" => Alternatives(format.Names!.MonthAbbreviations),
                "dddd" => Alternatives(format.Names!.Days),
                _ => throw new InvalidOperationException(field),
            });
            fields.Add(field);
            i += width;
        }
        var match = Regex.Match(source, regex.Append('$').ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        if (!match.Success) return null;
        int year = 0, month = 0, day = 0;
        DayOfWeek? weekday = null;
        for (int f = 0; f < fields.Count; f++)
        {
            string text = match.Groups[f + 1].Value;
            switch (fields[f])
            {
                case "yyyy": year = int.Parse(text, CultureInfo.InvariantCulture); break;
                case "yy": int yy = int.Parse(text, CultureInfo.InvariantCulture); year = yy >= 50 ? 1900 + yy : 2000 + yy; break;
                case "MM" or "M": month = int.Parse(text, CultureInfo.InvariantCulture); break;
                case "dd" or "d": day = int.Parse(text, CultureInfo.InvariantCulture); break;
                case "MMMM": month = IndexOf(format.Names!.Months, text) + 1; break;
                case "MMM": month = IndexOf(format.Names!.MonthAbbreviations, text) + 1; break;
                case "dddd": weekday = (DayOfWeek)IndexOf(format.Names!.Days, text); break;
            }
        }
        var date = new DateOnly(year, month, day);
        return weekday is null || weekday == date.DayOfWeek ? date : null;
    }

    static string Alternatives(IReadOnlyList<string> names) =>
        "(" + string.Join("|", names.OrderByDescending(n => n.Length).Select(Regex.Escape)) + ")";

    static int IndexOf(IReadOnlyList<string> names, string text) =>
        names.Select((n, i) => (n, i)).Single(x => string.Equals(x.n, text, StringComparison.OrdinalIgnoreCase)).i;
}
