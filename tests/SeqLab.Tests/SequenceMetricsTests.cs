using SeqLab.Training.Metrics;

namespace SeqLab.Tests;

public class SequenceMetricsTests
{
    const double Tolerance = 1e-6;

    // Six references from shared/data/translation_debian_descriptions/en-fr.tsv (lines 7, 11, 27, 29, 54, 79) and
    // hypotheses made up for them: near misses, reordering, a dropped word, a shorter paraphrase.
    static readonly string[] FrenchReferences =
    [
        "Ce paquet fournit les principaux fichiers de données nécessaires à 0 A.D.",
        "Ce paquet fournit l'interface GTK pour 0install.",
        "Lorsque deux tuiles du même nombre se touchent, elles fusionnent.",
        "2ping est un outil de ping bidirectionnel.",
        "gestionnaire de fichiers détaillé en quatre panneaux",
        "7-Zip est un archiveur de fichiers avec un taux de compression élevé.",
    ];

    static readonly string[] FrenchHypotheses =
    [
        "Ce paquet contient les fichiers de données principaux nécessaires pour 0 A.D.",
        "Ce paquet fournit une interface GTK pour 0install.",
        "Quand deux tuiles avec le même nombre se touchent, elles sont fusionnées.",
        "2ping est un outil ping bidirectionnel.",
        "gestionnaire de fichiers à quatre panneaux",
        "7-Zip est un archiveur de fichiers avec un haut taux de compression.",
    ];

    // A corpus with 4-grams but none matching, so the smoothing decides the score; and shorter than its references.
    static readonly string[] SmoothingHypotheses = ["outil de ping en ligne de commande", "gestionnaire de fichiers en panneaux"];
    static readonly string[] SmoothingReferences =
        ["2ping est un outil de ping bidirectionnel.", "gestionnaire de fichiers détaillé en quatre panneaux"];

    // sacrebleu's tokenize='none' splits on whitespace.
    static string[] Words(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    static string[][] Words(IEnumerable<string> texts) => texts.Select(Words).ToArray();

    static BleuScore CorpusBleu(string[] hypotheses, string[] references, int maxOrder = 4, BleuSmoothing smoothing = BleuSmoothing.None) =>
        Bleu.Corpus(Words(hypotheses), Words(references), maxOrder, smoothing);

    // ---- BLEU, by hand ----

    [Fact]
    public void Bleu_of_a_hypothesis_identical_to_its_reference_is_100()
    {
        var score = CorpusBleu(["the cat sat on the mat"], ["the cat sat on the mat"]);
        Assert.Equal(100, score.Score, Tolerance);
        Assert.All(score.Precisions, p => Assert.Equal(100, p, Tolerance));
        Assert.Equal(1, score.BrevityPenalty);
        Assert.Equal([6L, 5, 4, 3], score.Matches);
        Assert.Equal(100, Bleu.Sentence(Words("the cat sat on the mat"), Words("the cat sat on the mat")).Score, Tolerance);
    }

    [Fact]
    public void Bleu_without_any_common_token_is_0_whatever_the_smoothing()
    {
        foreach (var smoothing in Enum.GetValues<BleuSmoothing>())
        {
            var score = CorpusBleu(["a b c d"], ["e f g h"], smoothing: smoothing);
            Assert.Equal(0, score.Score);
            Assert.Equal([0L, 0, 0, 0], score.Matches);
            Assert.Equal([4L, 3, 2, 1], score.Totals);
        }
        Assert.Equal(0, Bleu.Sentence(Words("a b c d"), Words("e f g h")).Score);
    }

    [Fact]
    public void Bleu_of_a_hand_computed_pair_with_clipping_and_every_order_matching()
    {
        // hyp "the cat sat on the mat today" (c = 7), ref "the cat sat on a mat" (r = 6):
        //   1-grams: the ×2 clipped to the reference's 1, cat, sat, on, mat; today misses  → 5/7
        //   2-grams: the cat, cat sat, sat on match; on the, the mat, mat today miss     → 3/6
        //   3-grams: the cat sat, cat sat on match; sat on the, on the mat, the mat today → 2/5
        //   4-grams: the cat sat on matches of 4                                          → 1/4
        //   c > r so BP = 1;  BLEU = (5/7 · 3/6 · 2/5 · 1/4)^¼ = (1/28)^¼ = 43.47…
        var score = CorpusBleu(["the cat sat on the mat today"], ["the cat sat on a mat"]);
        Assert.Equal([5L, 3, 2, 1], score.Matches);
        Assert.Equal([7L, 6, 5, 4], score.Totals);
        Assert.Equal([100.0 * 5 / 7, 50, 40, 25], score.Precisions.ToArray());
        Assert.Equal(1, score.BrevityPenalty);
        Assert.Equal(7.0 / 6, score.LengthRatio, Tolerance);
        Assert.Equal(100 * Math.Pow(1.0 / 28, 0.25), score.Score, Tolerance);
        Assert.Equal(43.472087, score.Score, Tolerance);
    }

    [Fact]
    public void Bleu_modified_precision_clips_repeated_tokens_as_in_Papineni_et_al()
    {
        // Papineni et al. 2002, §2.1: "the the the the the the the" against "The cat is on the mat" (lowercased here):
        // 'the' occurs twice in the reference, so the modified unigram precision is 2/7, not 7/7.
        var papineni = CorpusBleu(["the the the the the the the"], ["the cat is on the mat"], maxOrder: 1);
        Assert.Equal(2, papineni.Matches[0]);
        Assert.Equal(7, papineni.Totals[0]);
        Assert.Equal(100.0 * 2 / 7, papineni.Score, Tolerance); // c = 7 > r = 6: no brevity penalty

        // "the the the the" against "the cat": 4 'the' clipped to 1 → 1/4; no bigram matches, so BLEU-4 is 0.
        var clipped = CorpusBleu(["the the the the"], ["the cat"]);
        Assert.Equal([1L, 0, 0, 0], clipped.Matches);
        Assert.Equal([4L, 3, 2, 1], clipped.Totals);
        Assert.Equal(25, clipped.Precisions[0], Tolerance);
        Assert.Equal(0, clipped.Score);
        Assert.Equal(25, CorpusBleu(["the the the the"], ["the cat"], maxOrder: 1).Score, Tolerance);
    }

    [Fact]
    public void Bleu_brevity_penalty_punishes_a_short_hypothesis_with_perfect_precision()
    {
        // hyp "the cat sat on the" (c = 5) is a prefix of ref "the cat sat on the mat" (r = 6): every precision is 100 %,
        // BP = exp(1 − 6/5) = exp(−0.2), so BLEU = 100 · exp(−0.2) = 81.87…
        var score = CorpusBleu(["the cat sat on the"], ["the cat sat on the mat"]);
        Assert.All(score.Precisions, p => Assert.Equal(100, p, Tolerance));
        Assert.Equal(Math.Exp(-0.2), score.BrevityPenalty, Tolerance);
        Assert.Equal(100 * Math.Exp(-0.2), score.Score, Tolerance);
        Assert.Equal(5, score.HypothesisLength);
        Assert.Equal(6, score.ReferenceLength);
        // An empty hypothesis has c = 0: BP 0 and score 0, not a division by zero.
        var empty = Bleu.Corpus([Array.Empty<string>()], [Words("the cat")]);
        Assert.Equal(0, empty.Score);
        Assert.Equal(0, empty.BrevityPenalty);
    }

    [Fact]
    public void Bleu_smoothing_gives_an_order_without_a_match_a_small_precision()
    {
        // hyp "the cat sat on the mat" against "the cat is on the mat": matches 5/6, 3/5, 1/4 and 0/3 4-grams.
        string[] hypothesis = ["the cat sat on the mat"], reference = ["the cat is on the mat"];
        Assert.Equal(0, CorpusBleu(hypothesis, reference).Score);
        // exp: the first order without a match gets 1/(2·3) → (5/6 · 3/5 · 1/4 · 1/6)^¼ = (1/48)^¼
        var exp = CorpusBleu(hypothesis, reference, smoothing: BleuSmoothing.Exp);
        Assert.Equal(100.0 / 6, exp.Precisions[3], Tolerance);
        Assert.Equal(100 * Math.Pow(1.0 / 48, 0.25), exp.Score, Tolerance);
        // floor: 0.1/3 → (1/8 · 1/30)^¼ = (1/240)^¼
        var floor = CorpusBleu(hypothesis, reference, smoothing: BleuSmoothing.Floor);
        Assert.Equal(100 * Math.Pow(1.0 / 240, 0.25), floor.Score, Tolerance);
    }

    [Fact]
    public void Corpus_bleu_pools_the_counts_and_differs_from_the_mean_of_sentence_scores()
    {
        // Segment 1 is perfect (BLEU 100), segment 2 is the hand-computed (1/28)^¼ = 43.47 pair: their mean is 71.74.
        // Pooled: matches 6+5, 5+3, 4+2, 3+1 of totals 6+7, 5+6, 4+5, 3+4; c = 13 > r = 12, so BP = 1 and
        // BLEU = (11/13 · 8/11 · 6/9 · 4/7)^¼ = (64/273)^¼ = 69.58.
        string[] hypotheses = ["the cat sat on the mat", "the cat sat on the mat today"];
        string[] references = ["the cat sat on the mat", "the cat sat on a mat"];
        double mean = (CorpusBleu(hypotheses[..1], references[..1]).Score + CorpusBleu(hypotheses[1..], references[1..]).Score) / 2;
        var corpus = CorpusBleu(hypotheses, references);
        Assert.Equal((100 + 100 * Math.Pow(1.0 / 28, 0.25)) / 2, mean, Tolerance);
        Assert.Equal(100 * Math.Pow(64.0 / 273, 0.25), corpus.Score, Tolerance);
        Assert.True(mean - corpus.Score > 2, $"mean of sentence BLEU {mean} vs corpus BLEU {corpus.Score}");
    }

    [Fact]
    public void Bleu_rejects_a_corpus_whose_sides_differ_in_length()
    {
        Assert.Throws<ArgumentException>(() => Bleu.Corpus([Words("a b")], [Words("a b"), Words("c d")]));
        Assert.Throws<ArgumentException>(() => ChrF.Corpus(["a b"], []));
    }

    // ---- BLEU and chrF against sacrebleu ----
    // Expected values from sacrebleu 2.6.0 (its git tag v2.6.0, commit 2277cac, source run under Debian 12's python3 3.11:
    // Debian 12 has no python3-sacrebleu package and PyPI is not reachable here), printed with repr() from e.g.
    //   sacrebleu.corpus_bleu(FrenchHypotheses, [FrenchReferences], tokenize='none', smooth_method='none')
    //   sacrebleu.sentence_bleu(h, [r], tokenize='none')
    //   sacrebleu.corpus_chrf(FrenchHypotheses, [FrenchReferences])          (and word_order=2 for chrF++)
    //   sacrebleu.sentence_chrf(h, [r])

    [Fact]
    public void Corpus_bleu_matches_sacrebleu_on_French_package_descriptions()
    {
        var score = CorpusBleu(FrenchHypotheses, FrenchReferences);
        Assert.Equal(42.155030936737305, score.Score, Tolerance);
        Assert.Equal([44L, 28, 15, 8], score.Matches);
        Assert.Equal([56L, 50, 44, 38], score.Totals);
        double[] precisions = [78.57142857142857, 56.0, 34.09090909090909, 21.05263157894737];
        for (int n = 0; n < 4; n++) Assert.Equal(precisions[n], score.Precisions[n], Tolerance);
        Assert.Equal(1.0, score.BrevityPenalty);
        Assert.Equal(56, score.HypothesisLength);
        Assert.Equal(55, score.ReferenceLength);
        // Every order has matches here, so sacrebleu's default 'exp' smoothing gives the same number.
        Assert.Equal(42.155030936737305, CorpusBleu(FrenchHypotheses, FrenchReferences, smoothing: BleuSmoothing.Exp).Score, Tolerance);
    }

    [Theory]
    [InlineData(BleuSmoothing.None, 0.0, 0.0)]
    [InlineData(BleuSmoothing.Exp, 23.10997417025822, 8.333333333333334)]
    [InlineData(BleuSmoothing.Floor, 15.45457117461572, 1.6666666666666667)]
    public void Corpus_bleu_smoothing_matches_sacrebleu(BleuSmoothing smoothing, double expectedScore, double expectedFourGramPrecision)
    {
        var score = CorpusBleu(SmoothingHypotheses, SmoothingReferences, smoothing: smoothing);
        Assert.Equal(expectedScore, score.Score, Tolerance);
        Assert.Equal(expectedFourGramPrecision, score.Precisions[3], Tolerance);
        Assert.Equal([8L, 4, 2, 0], score.Matches);
        Assert.Equal([12L, 10, 8, 6], score.Totals);
        Assert.Equal(0.846481724890614, score.BrevityPenalty, Tolerance); // exp(1 − 14/12)
    }

    [Theory]
    [InlineData(0, 20.255986027125637)]
    [InlineData(1, 34.57207846419412)]
    [InlineData(2, 36.462858619364674)]
    [InlineData(3, 51.15078115793242)]
    [InlineData(4, 32.159351091190125)]
    [InlineData(5, 67.0422683816333)]
    public void Sentence_bleu_matches_sacrebleu(int segment, double expected) =>
        Assert.Equal(expected, Bleu.Sentence(Words(FrenchHypotheses[segment]), Words(FrenchReferences[segment])).Score, Tolerance);

    [Theory]
    // Hypotheses shorter than 4 tokens: effective order leaves out the orders they have no n-grams of.
    [InlineData("paquet de données", "paquet de fichiers de données", 40.74994374254097)]
    [InlineData("outil ping", "outil de ping", 42.88819424803536)]
    public void Sentence_bleu_of_short_hypotheses_matches_sacrebleu(string hypothesis, string reference, double expected) =>
        Assert.Equal(expected, Bleu.Sentence(Words(hypothesis), Words(reference)).Score, Tolerance);

    [Fact]
    public void Corpus_chrF_matches_sacrebleu()
    {
        Assert.Equal(77.75986378400225, ChrF.Corpus(FrenchHypotheses, FrenchReferences), Tolerance);
        Assert.Equal(76.21031404361524, ChrF.Corpus(FrenchHypotheses, FrenchReferences, wordOrder: 2), Tolerance); // chrF++
        Assert.Equal(50.50194155704359, ChrF.Corpus(SmoothingHypotheses, SmoothingReferences), Tolerance);
        // "abc" has no 4- to 6-grams, so the 4- to 6-grams of "abcdefgh" are not counted in the corpus sums (69.36 if they were).
        Assert.Equal(75.08714942164475, ChrF.Corpus(["abcdefgh", "le chat noir"], ["abc", "le chat"]), Tolerance);
    }

    [Theory]
    [InlineData(0, 70.85410956578386)]
    [InlineData(1, 87.95359411127916)]
    [InlineData(2, 67.58894741806265)]
    [InlineData(3, 87.31285848140078)]
    [InlineData(4, 74.13021335154875)]
    [InlineData(5, 85.16944149494495)]
    public void Sentence_chrF_matches_sacrebleu(int segment, double expected) =>
        Assert.Equal(expected, ChrF.Sentence(FrenchHypotheses[segment], FrenchReferences[segment]), Tolerance);

    [Theory]
    // Characters beyond the BMP count as one code point each, as in Python ('🐈‍⬛' is three).
    [InlineData("chat 🐈 noir", "le chat 🐈‍⬛", 0, 33.62433862433862)]
    // A reference shorter than the order: orders 4–6 drop out of the average.
    [InlineData("abcdef", "abc", 0, 75.6578947368421)]
    // Python's whitespace includes U+001C; no-break space is whitespace to both.
    [InlineData("a\u001cb c", "ab c", 0, 100.0)]
    [InlineData("a\u00a0b", "ab", 0, 100.0)]
    // chrF++ splits one punctuation mark off a word's end, else its start: "(hi)" → "(hi" ")".
    [InlineData("(hi) there, you!", "hi there you", 2, 38.29982777095642)]
    public void Sentence_chrF_edge_cases_match_sacrebleu(string hypothesis, string reference, int wordOrder, double expected) =>
        Assert.Equal(expected, ChrF.Sentence(hypothesis, reference, wordOrder: wordOrder), Tolerance);

    // ---- chrF, by hand ----

    [Fact]
    public void ChrF_of_a_hand_computed_pair_averages_precision_and_recall_over_orders()
    {
        // hyp "a b" (whitespace removed: "ab") against "abc", character orders 1–2:
        //   1-grams: a, b of a, b, c → P = 2/2, R = 2/3;  2-grams: ab of ab, bc → P = 1/1, R = 1/2
        //   mean P = 1, mean R = 7/12;  F2 = 5·P·R / (4·P + R) = (35/12) / (55/12) = 7/11
        Assert.Equal(100.0 * 7 / 11, ChrF.Sentence("a b", "abc", charOrder: 2), Tolerance);
        Assert.Equal(100, ChrF.Sentence("le chat", "le chat"), Tolerance);
        Assert.Equal(0, ChrF.Sentence("xyz", "abc"));
        Assert.Equal(0, ChrF.Sentence("", "abc"));
    }

    // ---- Edit distance, WER and CER ----

    [Fact]
    public void Levenshtein_of_kitten_and_sitting_is_3_either_way()
    {
        Assert.Equal(3, EditDistance.Levenshtein("kitten".ToCharArray(), "sitting".ToCharArray()));
        Assert.Equal(3, EditDistance.Levenshtein("sitting".ToCharArray(), "kitten".ToCharArray()));
        Assert.Equal(2, EditDistance.Levenshtein("flaw".ToCharArray(), "lawn".ToCharArray()));
    }

    [Fact]
    public void Levenshtein_against_an_empty_sequence_is_the_other_length()
    {
        Assert.Equal(0, EditDistance.Levenshtein(Array.Empty<char>(), Array.Empty<char>()));
        Assert.Equal(3, EditDistance.Levenshtein(Array.Empty<char>(), "abc".ToCharArray()));
        Assert.Equal(3, EditDistance.Levenshtein("abc".ToCharArray(), Array.Empty<char>()));
        Assert.Equal(new EditCounts(0, 0, 3, 0), EditDistance.Align(Array.Empty<char>(), "abc".ToCharArray())); // all deleted
        Assert.Equal(new EditCounts(0, 0, 0, 3), EditDistance.Align("abc".ToCharArray(), Array.Empty<char>())); // all inserted
    }

    [Theory]
    [InlineData("the dog sat on the mat", 5, 1, 0, 0)]          // dog for cat
    [InlineData("the cat sat on mat", 5, 0, 1, 0)]              // 'the' dropped
    [InlineData("the big cat sat on the mat", 6, 0, 0, 1)]      // 'big' added
    [InlineData("a cat sat on mat", 4, 1, 1, 0)]                // a for the, 'the' dropped
    [InlineData("the cat sat on the mat", 6, 0, 0, 0)]
    public void Align_counts_substitutions_deletions_and_insertions(string hypothesis, int hits, int substitutions, int deletions, int insertions)
    {
        var counts = EditDistance.Align(Words(hypothesis), Words("the cat sat on the mat"));
        Assert.Equal(new EditCounts(hits, substitutions, deletions, insertions), counts);
        Assert.Equal(substitutions + deletions + insertions, EditDistance.Levenshtein(Words(hypothesis), Words("the cat sat on the mat")));
    }

    [Fact]
    public void Align_of_a_speech_pair_with_one_edit_of_each_kind()
    {
        // ref "I want to go to the store", hyp "I wanna go to the big store": want → wanna, 'to' dropped, 'big' added.
        var counts = EditDistance.Align(Words("I wanna go to the big store"), Words("I want to go to the store"));
        Assert.Equal(new EditCounts(Hits: 5, Substitutions: 1, Deletions: 1, Insertions: 1), counts);
        Assert.Equal(3, counts.Edits);
        // Swapping the sides swaps deletions and insertions.
        Assert.Equal(new EditCounts(5, 1, 1, 1), EditDistance.Align(Words("I want to go to the store"), Words("I wanna go to the big store")));
        var swapped = EditDistance.Align(Words("I want go to the store"), Words("I want to go to the big store"));
        Assert.Equal(new EditCounts(6, 0, 2, 0), swapped);
        Assert.Equal(new EditCounts(6, 0, 0, 2), EditDistance.Align(Words("I want to go to the big store"), Words("I want go to the store")));
    }

    [Fact]
    public void Align_prefers_substitutions_among_equally_short_alignments()
    {
        // "a b" against "b c" is two substitutions or an insertion and a deletion: both 2 edits; the documented choice is the first.
        Assert.Equal(new EditCounts(0, 2, 0, 0), EditDistance.Align(Words("a b"), Words("b c")));
    }

    [Fact]
    public void Word_error_rate_pools_the_edits_of_a_two_utterance_corpus()
    {
        // Utterance 1: 3 edits over 7 reference words (above); utterance 2: 'the' dropped, 'please' added: 2 over 4.
        // WER = (3 + 2) / (7 + 4) = 5/11, not the mean of 3/7 and 2/4.
        string[][] hypotheses = Words(["I wanna go to the big store", "turn lights off please"]);
        string[][] references = Words(["I want to go to the store", "turn the lights off"]);
        Assert.Equal(5.0 / 11, EditDistance.ErrorRate(hypotheses, references), Tolerance);
        Assert.Equal(new EditCounts(3, 0, 1, 1), EditDistance.Align(hypotheses[1], references[1]));
    }

    [Fact]
    public void Character_error_rate_counts_over_character_lists_and_can_exceed_1()
    {
        // kitten → sitting 3 edits of 7, flaw → lawn 2 of 4: CER = 5/11.
        char[][] hypotheses = ["kitten".ToCharArray(), "flaw".ToCharArray()];
        char[][] references = ["sitting".ToCharArray(), "lawn".ToCharArray()];
        Assert.Equal(5.0 / 11, EditDistance.ErrorRate(hypotheses, references), Tolerance);
        // Insertions are unbounded: 6 characters against a 2-character reference is 4 edits of 2.
        Assert.Equal(2.0, EditDistance.ErrorRate(["abcdef".ToCharArray()], ["ab".ToCharArray()]), Tolerance);
    }

    [Fact]
    public void Error_rate_is_undefined_without_reference_items()
    {
        Assert.Throws<ArgumentException>(() => EditDistance.ErrorRate([Words("a")], [Array.Empty<string>()]));
        Assert.Throws<ArgumentException>(() => EditDistance.ErrorRate([Words("a")], [Words("a"), Words("b")]));
    }
}
