using System.Globalization;
using System.Text;

namespace SeqLab.Data.Synthetic;

/// <summary>How a <see cref="DateFormat"/> cases its text.</summary>
public enum DateCase
{
    /// <summary>As the language writes it ("Mittwoch, 3. November 2021").</summary>
    AsWritten,
    /// <summary>All lower case ("3 november 2021").</summary>
    Lower,
    /// <summary>All upper case ("3 NOV 2021").</summary>
    Upper,
}

/// <summary>
/// The month and day names of one language, as literal tables: <see cref="Months"/> January…December,
/// <see cref="MonthAbbreviations"/> in the same order, <see cref="Days"/> Sunday…Saturday (the order of
/// <see cref="DayOfWeek"/>).
/// </summary>
public sealed record DateNames(IReadOnlyList<string> Months, IReadOnlyList<string> MonthAbbreviations, IReadOnlyList<string> Days);

/// <summary>
/// One way of writing a date: a fixed pattern in .NET custom date-format syntax (<c>yyyy yy MMMM MMM MM M dddd dd d</c>,
/// text in single quotes, any other character literal), the language whose names fill it, and a casing. Rendering
/// never consults <see cref="CultureInfo"/>: names come from <see cref="Names"/>, so a date reads the same on every
/// machine, ICU or not.
/// </summary>
public sealed class DateFormat
{
    readonly (char Field, int Width, string Text)[] tokens;

    internal DateFormat(string name, string language, string pattern, DateCase casing, DateNames? names)
    {
        Name = name; Language = language; Pattern = pattern; Case = casing; Names = names;
        tokens = Tokenize(pattern);
        if (names is null && tokens.Any(t => t.Field is 'M' or 'd' && t.Width >= 3))
            throw new ArgumentException($"date format {name}: pattern '{pattern}' uses names but its language has none");
    }

    /// <summary>The format's identifier, e.g. <c>fr-fr-le</c> (what a <c>formats:</c> list names).</summary>
    public string Name { get; }
    /// <summary>The language code, e.g. <c>fr-FR</c>, or <c>numeric</c> for language-free formats.</summary>
    public string Language { get; }
    /// <summary>The pattern in .NET custom date-format syntax, e.g. <c>'le' d MMMM yyyy</c>.</summary>
    public string Pattern { get; }
    /// <summary>The casing applied to the rendered text.</summary>
    public DateCase Case { get; }
    /// <summary>The names that fill <c>MMMM</c>, <c>MMM</c> and <c>dddd</c>; null for numeric formats.</summary>
    public DateNames? Names { get; }
    /// <summary><see cref="DatePairs.ExampleDate"/> (Wednesday 3 November 2021) in this format.</summary>
    public string Example => Render(DatePairs.ExampleDate);

    /// <summary>
    /// <paramref name="date"/> in this format. <c>yy</c> writes the year modulo 100; read back within
    /// 1950–2049 (as .NET's default two-digit-year window does: 50–99 → 19xx, 00–49 → 20xx) it is unambiguous.
    /// </summary>
    public string Render(DateOnly date)
    {
        var text = new StringBuilder();
        foreach (var (field, width, literal) in tokens)
            text.Append((field, width) switch
            {
                ('y', 4) => date.Year.ToString("D4", CultureInfo.InvariantCulture),
                ('y', 2) => (date.Year % 100).ToString("D2", CultureInfo.InvariantCulture),
                ('M', 4) => Names!.Months[date.Month - 1],
                ('M', 3) => Names!.MonthAbbreviations[date.Month - 1],
                ('M', 2) => date.Month.ToString("D2", CultureInfo.InvariantCulture),
                ('M', 1) => date.Month.ToString(CultureInfo.InvariantCulture),
                ('d', 4) => Names!.Days[(int)date.DayOfWeek],
                ('d', 2) => date.Day.ToString("D2", CultureInfo.InvariantCulture),
                ('d', 1) => date.Day.ToString(CultureInfo.InvariantCulture),
                _ => literal,
            });
        string result = text.ToString();
        return Case switch
        {
            DateCase.Lower => result.ToLowerInvariant(),
            DateCase.Upper => result.ToUpperInvariant(),
            _ => result,
        };
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Example})";

    static (char, int, string)[] Tokenize(string pattern)
    {
        var tokens = new List<(char, int, string)>();
        for (int i = 0; i < pattern.Length;)
        {
            char c = pattern[i];
            if (c == '\'')
            {
                int end = pattern.IndexOf('\'', i + 1);
                if (end < 0) throw new ArgumentException($"pattern '{pattern}': unclosed quote");
                tokens.Add(('\0', 0, pattern[(i + 1)..end]));
                i = end + 1;
            }
            else if (c is 'y' or 'M' or 'd')
            {
                int width = 1;
                while (i + width < pattern.Length && pattern[i + width] == c) width++;
                bool known = c == 'y' ? width is 2 or 4 : width is >= 1 and <= 4 && !(c == 'd' && width == 3);
                if (!known) throw new ArgumentException($"pattern '{pattern}': '{new string(c, width)}' is not supported");
                tokens.Add((c, width, ""));
                i += width;
            }
            else if (char.IsAsciiLetter(c)) throw new ArgumentException($"pattern '{pattern}': letter '{c}' must be quoted");
            else { tokens.Add(('\0', 0, c.ToString())); i++; }
        }
        return [.. tokens];
    }
}

/// <summary>One generated example: the date written in <see cref="Format"/>, and its ISO 8601 form.</summary>
/// <param name="Source">The human-readable date, e.g. <c>le 3 novembre 2021</c>.</param>
/// <param name="Target">The date as <c>yyyy-MM-dd</c>, e.g. <c>2021-11-03</c>.</param>
/// <param name="Date">The date itself.</param>
/// <param name="Format">The format the source was written in.</param>
public sealed record DatePair(string Source, string Target, DateOnly Date, DateFormat Format);

/// <summary>
/// Date normalisation, the classic small task for showing attention alignment: a date written in one of many formats
/// and languages ("Wednesday, 3 November 2021", "le 3 novembre 2021", "3. November 2021", "11/3/21") is translated to
/// ISO 8601 (<c>2021-11-03</c>). Dates are uniform over 1950-01-01…2049-12-31.
/// <para>
/// Every format is a fixed pattern with its own fixed field order, so no source string denotes two dates: a numeric
/// format with the year last and slashes is always US month-first (<c>M/d/yy</c>, <c>MM/dd/yyyy</c>); with dots or
/// dashes it is always day-first (<c>dd.MM.yyyy</c>, <c>d.M.yy</c>, <c>d-M-yyyy</c>); a numeric format with the year first
/// is year-month-day. Day-first dates with slashes are left out because they would collide with US dates.
/// </para>
/// <para>
/// Month and day names are literal tables in this file, not read from <see cref="CultureInfo"/>: the <c>seqlab</c>
/// tool runs with invariant globalization (no culture data at all: <c>CultureInfo.GetCultureInfo("fr-FR")</c> throws
/// there), and abbreviations differ between ICU versions. The full month and day names are the standard (CLDR) ones;
/// the abbreviations are those .NET 10 reports on ICU 72.1 (CLDR 42) as <c>AbbreviatedMonthNames</c>, with English
/// using <c>Sep</c> for both en-US and en-GB. Sampling uses <see cref="Random"/> with a seed, whose seeded sequence is
/// the same on every platform, so a seed gives the same pairs on every machine.
/// </para>
/// </summary>
public sealed class DatePairs
{
    /// <summary>The earliest date drawn.</summary>
    public static readonly DateOnly First = new(1950, 1, 1);
    /// <summary>The latest date drawn.</summary>
    public static readonly DateOnly Last = new(2049, 12, 31);
    /// <summary>The date each format's <see cref="DateFormat.Example"/> shows: Wednesday 3 November 2021 (day ≠ month, so field order is visible).</summary>
    public static readonly DateOnly ExampleDate = new(2021, 11, 3);
    /// <summary>The language code of language-free numeric formats.</summary>
    public const string Numeric = "numeric";

    static readonly DateNames English = new(
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
        ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]);
    static readonly DateNames French = new(
        ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"],
        ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."],
        ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"]);
    static readonly DateNames German = new(
        ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"],
        ["Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"],
        ["Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"]);
    static readonly DateNames Spanish = new(
        ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"],
        ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"],
        ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"]);
    static readonly DateNames Italian = new(
        ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"],
        ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"],
        ["domenica", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato"]);
    static readonly DateNames Portuguese = new(
        ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro", "novembro", "dezembro"],
        ["jan.", "fev.", "mar.", "abr.", "mai.", "jun.", "jul.", "ago.", "set.", "out.", "nov.", "dez."],
        ["domingo", "segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado"]);
    static readonly DateNames Dutch = new(
        ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"],
        ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"],
        ["zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"]);

    /// <summary>Every format, in a fixed order (the order sampling indexes).</summary>
    public static IReadOnlyList<DateFormat> AllFormats { get; } =
    [
        new("en-us-long", "en-US", "MMMM d, yyyy", DateCase.AsWritten, English),
        new("en-us-full", "en-US", "dddd, MMMM d, yyyy", DateCase.AsWritten, English),
        new("en-us-long-upper", "en-US", "MMMM d, yyyy", DateCase.Upper, English),
        new("en-us-abbr", "en-US", "MMM d yyyy", DateCase.AsWritten, English),
        new("en-us-numeric", "en-US", "MM/dd/yyyy", DateCase.AsWritten, English),
        new("en-us-numeric-short", "en-US", "M/d/yy", DateCase.AsWritten, English),
        new("en-gb-long", "en-GB", "d MMMM yyyy", DateCase.AsWritten, English),
        new("en-gb-full", "en-GB", "dddd, d MMMM yyyy", DateCase.AsWritten, English),
        new("en-gb-long-lower", "en-GB", "d MMMM yyyy", DateCase.Lower, English),
        new("en-gb-abbr-upper", "en-GB", "d MMM yyyy", DateCase.Upper, English),
        new("en-gb-abbr-dashed", "en-GB", "dd-MMM-yyyy", DateCase.AsWritten, English),
        new("fr-fr-long", "fr-FR", "d MMMM yyyy", DateCase.AsWritten, French),
        new("fr-fr-le", "fr-FR", "'le' d MMMM yyyy", DateCase.AsWritten, French),
        new("fr-fr-full", "fr-FR", "dddd d MMMM yyyy", DateCase.AsWritten, French),
        new("fr-fr-le-full", "fr-FR", "'le' dddd d MMMM yyyy", DateCase.AsWritten, French),
        new("fr-fr-abbr", "fr-FR", "d MMM yyyy", DateCase.AsWritten, French),
        new("de-de-long", "de-DE", "d. MMMM yyyy", DateCase.AsWritten, German),
        new("de-de-full", "de-DE", "dddd, d. MMMM yyyy", DateCase.AsWritten, German),
        new("de-de-abbr", "de-DE", "d. MMM yyyy", DateCase.AsWritten, German),
        new("de-de-numeric", "de-DE", "dd.MM.yyyy", DateCase.AsWritten, German),
        new("de-de-numeric-short", "de-DE", "d.M.yy", DateCase.AsWritten, German),
        new("es-es-long", "es-ES", "d 'de' MMMM 'de' yyyy", DateCase.AsWritten, Spanish),
        new("es-es-full", "es-ES", "dddd, d 'de' MMMM 'de' yyyy", DateCase.AsWritten, Spanish),
        new("es-es-abbr", "es-ES", "d MMM yyyy", DateCase.AsWritten, Spanish),
        new("it-it-long", "it-IT", "d MMMM yyyy", DateCase.AsWritten, Italian),
        new("it-it-full", "it-IT", "dddd d MMMM yyyy", DateCase.AsWritten, Italian),
        new("it-it-abbr", "it-IT", "d MMM yyyy", DateCase.AsWritten, Italian),
        new("pt-pt-long", "pt-PT", "d 'de' MMMM 'de' yyyy", DateCase.AsWritten, Portuguese),
        new("pt-pt-full", "pt-PT", "dddd, d 'de' MMMM 'de' yyyy", DateCase.AsWritten, Portuguese),
        new("pt-pt-abbr", "pt-PT", "d MMM yyyy", DateCase.AsWritten, Portuguese),
        new("nl-nl-long", "nl-NL", "d MMMM yyyy", DateCase.AsWritten, Dutch),
        new("nl-nl-full", "nl-NL", "dddd d MMMM yyyy", DateCase.AsWritten, Dutch),
        new("nl-nl-abbr", "nl-NL", "d MMM yyyy", DateCase.AsWritten, Dutch),
        new("nl-nl-numeric", "nl-NL", "d-M-yyyy", DateCase.AsWritten, Dutch),
        new("numeric-ymd", Numeric, "yyyy/MM/dd", DateCase.AsWritten, null),
        new("numeric-compact", Numeric, "yyyyMMdd", DateCase.AsWritten, null),
    ];

    /// <summary>Every language code, in the order of <see cref="AllFormats"/>: en-US, en-GB, fr-FR, de-DE, es-ES, it-IT, pt-PT, nl-NL, numeric.</summary>
    public static IReadOnlyList<string> Languages { get; } = AllFormats.Select(f => f.Language).Distinct().ToArray();

    /// <summary>
    /// The task over the formats whose language is in <paramref name="languages"/> (codes of <see cref="Languages"/>,
    /// case-insensitive) and whose name is in <paramref name="formats"/> (names of <see cref="AllFormats"/>,
    /// case-insensitive); null means all. An unknown code or name, or a choice that leaves no format, is an
    /// <see cref="ArgumentException"/> listing what is known.
    /// </summary>
    public DatePairs(IReadOnlyList<string>? languages = null, IReadOnlyList<string>? formats = null)
    {
        var unknownLanguages = languages?.Where(l => !Languages.Contains(l, StringComparer.OrdinalIgnoreCase)).ToList() ?? [];
        if (unknownLanguages.Count > 0)
            throw new ArgumentException($"unknown date language(s) {string.Join(", ", unknownLanguages)}; known: {string.Join(", ", Languages)}", nameof(languages));
        var unknownFormats = formats?.Where(n => !AllFormats.Any(f => string.Equals(f.Name, n, StringComparison.OrdinalIgnoreCase))).ToList() ?? [];
        if (unknownFormats.Count > 0)
            throw new ArgumentException($"unknown date format(s) {string.Join(", ", unknownFormats)}; known: {string.Join(", ", AllFormats.Select(f => f.Name))}", nameof(formats));
        Formats = AllFormats
            .Where(f => languages is null || languages.Contains(f.Language, StringComparer.OrdinalIgnoreCase))
            .Where(f => formats is null || formats.Contains(f.Name, StringComparer.OrdinalIgnoreCase))
            .ToArray();
        if (Formats.Count == 0)
            throw new ArgumentException($"no date format is in both languages [{string.Join(", ", languages ?? [])}] and formats [{string.Join(", ", formats ?? [])}]");
    }

    /// <summary>The formats this task draws from, in the order of <see cref="AllFormats"/>.</summary>
    public IReadOnlyList<DateFormat> Formats { get; }

    /// <summary>Days from <see cref="First"/> to <see cref="Last"/> inclusive (36,525).</summary>
    public static int DayCount { get; } = Last.DayNumber - First.DayNumber + 1;

    /// <summary>The same as <see cref="Sample(int, Random)"/> with <c>new Random(seed)</c>: the same pairs for a seed on every machine.</summary>
    public IReadOnlyList<DatePair> Sample(int count, int seed) => Sample(count, new Random(seed));

    /// <summary>
    /// <paramref name="count"/> pairs, each a date uniform over <see cref="First"/>…<see cref="Last"/> written in a format
    /// drawn uniformly from <see cref="Formats"/> (two draws from <paramref name="random"/> per pair: the day, then the
    /// format). Pairs may repeat.
    /// </summary>
    public IReadOnlyList<DatePair> Sample(int count, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(random);
        var pairs = new DatePair[count];
        for (int i = 0; i < count; i++)
        {
            var date = First.AddDays(random.Next(DayCount));
            var format = Formats[random.Next(Formats.Count)];
            pairs[i] = new DatePair(format.Render(date), date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), date, format);
        }
        return pairs;
    }
}
