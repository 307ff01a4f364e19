using SeqLab.Data;
using SeqLab.Data.Dna;
using SeqLab.Data.Text;
using SeqLab.Data.TimeSeries;

namespace SeqLab.Tests;

public class DataLoaderTests
{
    [Theory]
    [InlineData("^GSPC.csv", 2515, "2001-01-02", "2010-12-31", 1283.270020)]
    [InlineData("orcl-1995-2014.txt", 5036, "1995-01-03", "2014-12-31", double.NaN)]
    [InlineData("nvda-1999-2014.txt", 4012, "1999-01-22", "2014-12-31", 1.640625)]
    public void Yahoo_price_files_load_completely_and_in_order(string file, int rows, string first, string last, double firstClose)
    {
        var table = TimeSeriesTable.LoadYahoo(TestPaths.Data("stocks_yahoo", file));
        Assert.Equal(rows, table.Count);
        Assert.Equal(DateTime.Parse(first), table.Dates[0]);
        Assert.Equal(DateTime.Parse(last), table.Dates[^1]);
        if (!double.IsNaN(firstClose)) Assert.Equal(firstClose, table["Close"][0], 6);
        Assert.All(table.MissingByColumn.Values, m => Assert.Equal(0, m));
        var frame = table.ToDataFrame();
        Assert.Equal(rows, frame.Rows.Count);
        Assert.Equal(["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"], frame.Columns.Select(c => c.Name));
        Assert.All(Enumerable.Range(0, table.Count), i => Assert.True(table["High"][i] >= table["Low"][i]));
    }

    [Fact]
    public void Weather_and_airline_files_with_quotes_CRLF_and_no_final_newline_load()
    {
        var temperatures = TimeSeriesTable.Load(TestPaths.Data("daily_min_temperatures", "daily-min-temperatures.csv"), new TimeSeriesOptions("Date", ["Temp"]));
        Assert.Equal(3650, temperatures.Count);
        Assert.Equal(new DateTime(1981, 1, 1), temperatures.Dates[0]);
        Assert.Equal(new DateTime(1990, 12, 31), temperatures.Dates[^1]);
        Assert.Equal(13.0, temperatures["Temp"][^1]);
        Assert.DoesNotContain(new DateTime(1984, 12, 31), temperatures.Dates); // one of the two missing calendar days
        Assert.InRange(temperatures["Temp"].Max(), 26.3, 26.3);

        var airline = TimeSeriesTable.Load(TestPaths.Data("airline_passengers", "airline-passengers.csv"), new TimeSeriesOptions("Month"));
        Assert.Equal(144, airline.Count);
        Assert.Equal(new DateTime(1949, 1, 1), airline.Dates[0]);
        Assert.Equal(new DateTime(1960, 12, 1), airline.Dates[^1]);
        Assert.Equal([112.0, 118.0], airline["Passengers"].Take(2));
        Assert.Equal(432.0, airline["Passengers"][^1]);
    }

    [Fact]
    public void Splice_junctions_load_with_their_class_counts_and_ambiguity_codes()
    {
        var records = DnaReaders.ReadUci(TestPaths.Data("dna_uci_splice", "splice.data"));
        Assert.Equal(3190, records.Count);
        Assert.Equal([("EI", 767), ("IE", 768), ("N", 1655)], Stratified.Balance(records, r => r.Label));
        Assert.All(records, r => Assert.Equal(60, r.Sequence.Length));
        Assert.Equal(15, records.Count(r => r.Sequence.Any(c => "ACGT".IndexOf(c) < 0)));
        Assert.Equal("ATRINS-DONOR-521", records[0].Id);
        Assert.StartsWith("CCAGCTGCATCACAGG", records[0].Sequence);
    }

    [Fact]
    public void Promoters_load_with_tabs_trimmed_and_lower_case_read()
    {
        var records = DnaReaders.ReadUci(TestPaths.Data("dna_uci_promoters", "promoters.data"));
        Assert.Equal(106, records.Count);
        Assert.Equal([("+", 53), ("-", 53)], Stratified.Balance(records, r => r.Label));
        Assert.All(records, r => Assert.Equal(57, r.Sequence.Length));
        Assert.Equal("TACTAGCAATACGCTTGCGTTCGGTGGTTAAGTATGTATAATGCGCGGGCTTGTCGT", records[0].Sequence);
    }

    [Fact]
    public void FASTA_promoter_files_load_with_multi_line_records_and_labels_from_the_file()
    {
        var positives = DnaReaders.ReadFasta(TestPaths.Data("dna_ecoli_promoters_fasta", "Ecoli_prom.fa"), _ => "promoter");
        var negatives = DnaReaders.ReadFasta(TestPaths.Data("dna_ecoli_promoters_fasta", "Ecoli_non_prom.fa"), _ => "non-promoter");
        Assert.Equal(839, positives.Count);
        Assert.Equal(3000, negatives.Count);
        Assert.All(positives.Concat(negatives), r => Assert.Equal(81, r.Sequence.Length));
        Assert.Equal("ECK120010467__accAp__forward__208411", positives[0].Id);
        Assert.Equal("GCCCGGGAAAAATATGCTCGCGGGCTTGCTATCTCGCTGACGGACAGGCAAATTGATGACCAGCTTTTAAACCGACTCCGT", positives[0].Sequence);
        Assert.Equal(4, positives[1].Line);
        Assert.Equal("6400", negatives[0].Id); // "> 6400": the space after '>' is not part of the id
    }

    [Fact]
    public void Tiny_Shakespeare_loads_with_its_65_characters()
    {
        string text = TextCorpus.Load(TestPaths.Data("tinyshakespeare", "input.txt"));
        Assert.Equal(1_115_394, text.Length);
        Assert.StartsWith("First Citizen:\n", text);
        var characters = new CharacterTokenizer(text);
        Assert.Equal(65, characters.VocabularySize);
        Assert.Equal(text[..2000], characters.Decode(characters.Encode(text[..2000])));
    }

    [Theory]
    [InlineData("wrong-count.csv", "Date,Open,Close\n2020-01-01,1,2\n2020-01-02,1\n", 3, null, "expected 3 fields")]
    [InlineData("bad-number.csv", "Date,Open,Close\n2020-01-01,1,2\n2020-01-02,1,abc\n", 3, "Close", "expected a number, found 'abc'")]
    [InlineData("bad-date.csv", "Date,Open,Close\n2020-01-01,1,2\n01/02/2020x,1,3\n", 3, "Date", "expected a date")]
    [InlineData("repeated.csv", "Date,Open,Close\n2020-01-01,1,2\n2020-01-02,1,3\n2020-01-01,1,4\n", 4, "Date", "appears twice (lines 2 and 4)")]
    [InlineData("empty.csv", "", 1, null, "the file is empty")]
    [InlineData("header-only.csv", "Date,Open,Close\n", 1, null, "no data rows")]
    [InlineData("no-column.csv", "Day,Open,Close\n2020-01-01,1,2\n", 1, "Date", "no such column; the header has: Day, Open, Close")]
    [InlineData("open-quote.csv", "Date,Open,Close\n\"2020-01-01,1,2\n", 2, null, "never closed")]
    public void A_malformed_CSV_names_file_line_field_and_reason(string name, string content, int line, string? field, string reason)
    {
        string path = TestPaths.Scratch(name, content);
        var error = Assert.Throws<DataFormatException>(() => TimeSeriesTable.Load(path, new TimeSeriesOptions("Date")));
        Assert.Equal(path, error.File);
        Assert.Equal(line, error.Line);
        Assert.Equal(field, error.Field);
        Assert.Contains(reason, error.Reason);
        Assert.StartsWith($"{path}:{line}:", error.Message);
    }

    [Fact]
    public void Missing_values_follow_the_policy_and_are_counted()
    {
        string path = TestPaths.Scratch("gaps.csv", "\uFEFFDate,Close,Volume\r\n2020-01-03,3,30\r\n2020-01-01,1,10\r\n2020-01-02,null,20\r\n2020-01-04,,40\r\n2020-01-05,5,50");
        var dropped = TimeSeriesTable.Load(path, new TimeSeriesOptions(Missing: MissingValuePolicy.Drop));
        Assert.Equal([1.0, 3.0, 5.0], dropped["Close"]);
        Assert.Equal(2, dropped.DroppedRows);
        Assert.Equal(2, dropped.MissingByColumn["Close"]);
        Assert.Equal(new DateTime(2020, 1, 1), dropped.Dates[0]); // sorted by date

        var filled = TimeSeriesTable.Load(path, new TimeSeriesOptions(Missing: MissingValuePolicy.ForwardFill));
        Assert.Equal([1.0, 1.0, 3.0, 3.0, 5.0], filled["Close"]);
        Assert.Equal(2, filled.FilledValues);

        var error = Assert.Throws<DataFormatException>(() => TimeSeriesTable.Load(path, new TimeSeriesOptions(Missing: MissingValuePolicy.Error)));
        Assert.Equal((4, "Close"), (error.Line, error.Field));
    }

    [Theory]
    [InlineData("unknown.fa", ">s1\nACGT\nACXT\n", 3, "column 3: 'X' is not a nucleotide")]
    [InlineData("headless.fa", "ACGT\n>s1\nACGT\n", 1, "before the first '>'")]
    [InlineData("empty-record.fa", ">s1\n>s2\nACGT\n", 1, "record 's1' has no sequence")]
    [InlineData("nothing.fa", "\n\n", 0, "no FASTA records")]
    public void A_malformed_FASTA_file_names_the_line_and_the_problem(string name, string content, int line, string reason)
    {
        string path = TestPaths.Scratch(name, content);
        var error = Assert.Throws<DataFormatException>(() => DnaReaders.ReadFasta(path, _ => "x"));
        Assert.Equal(line, error.Line);
        Assert.Contains(reason, error.Reason);
    }

    [Fact]
    public void FASTA_reads_multi_line_lower_case_records_with_N_and_labels_from_a_side_file()
    {
        string path = TestPaths.Scratch("mixed.fa", ">seq1 first record\nacgtn\nNNACG\n\n>seq2\nTTGCA\n");
        var records = DnaReaders.ReadFasta(path, labels: new Dictionary<string, string> { ["seq1"] = "a", ["seq2"] = "b" });
        Assert.Equal(["ACGTNNNACG", "TTGCA"], records.Select(r => r.Sequence));
        Assert.Equal(["a", "b"], records.Select(r => r.Label));
        var missing = Assert.Throws<DataFormatException>(() => DnaReaders.ReadFasta(path, labels: new Dictionary<string, string> { ["seq1"] = "a" }));
        Assert.Equal((5, "label"), (missing.Line, missing.Field));
    }

    [Fact]
    public void Malformed_UCI_lines_and_labelled_text_are_reported()
    {
        var uci = Assert.Throws<DataFormatException>(() => DnaReaders.ReadUci(TestPaths.Scratch("bad.data", "EI, a, ACGT\nIE, b\n")));
        Assert.Equal(2, uci.Line);
        Assert.Contains("expected 3 comma-separated fields", uci.Reason);

        var labelled = Assert.Throws<DataFormatException>(() => TextCorpus.LoadLabelled(TestPaths.Scratch("labels.tsv", "pos\tgreat film\nneg terrible\n")));
        Assert.Equal(2, labelled.Line);
        Assert.Contains("no tab", labelled.Reason);
        Assert.Equal([("pos", "great film", 1)], TextCorpus.LoadLabelled(TestPaths.Scratch("ok.tsv", "pos\tgreat film\n\n")));

        var empty = Assert.Throws<DataFormatException>(() => TextCorpus.Load(TestPaths.Scratch("empty.txt", "  \n")));
        Assert.Contains("empty", empty.Reason);
        string invalid = Path.Combine(NativeFiles.TemporaryFolder(), "latin1.txt");
        File.WriteAllBytes(invalid, [0x61, 0x0A, 0x62, 0xE9, 0x0A]);
        var encoding = Assert.Throws<DataFormatException>(() => TextCorpus.Load(invalid));
        Assert.Equal(2, encoding.Line);
        Assert.Contains("invalid UTF-8", encoding.Reason);
    }
}
