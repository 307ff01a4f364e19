using System.Text.RegularExpressions;
using Plotly.NET;
using Plotly.NET.LayoutObjects;
using DynamicObject = DynamicObj.DynamicObj;

namespace SeqLab.Reports;

/// <summary>
/// The one style every chart gets before it is drawn. Reports, notebooks and PNG export all draw through
/// <see cref="HtmlReport.ChartHtml"/>, which applies it, and every <see cref="ReportFigure"/> has it from the start. It sets:
/// tick labels as plain numbers or powers of ten (10⁻⁶, 10⁹) on every x and y axis and every colour bar, never plotly's
/// default SI prefixes (1µ, 10n, 1M, 1B — misread as units on dimensionless ratios); and a colour bar without a title
/// takes its trace's name. Whatever else a chart set is kept, and applying it twice changes nothing.
/// </summary>
public static partial class ChartStyle
{
    /// <summary>The tick format every axis and colour bar gets: 10⁻⁶ rather than 1µ.</summary>
    public const string ExponentFormat = "power";

    /// <summary>Plotly's formats that write SI prefixes ("SI", and its default "B": 1µ, 1M, 1B); a chart's explicit "none", "e" or "E" is kept.</summary>
    static readonly string[] PrefixFormats = ["SI", "B"];

    /// <summary>Traces that draw a colour scale with a colour bar by default.</summary>
    static readonly string[] ColourScaled = ["heatmap", "heatmapgl", "contour", "histogram2d", "histogram2dcontour", "surface"];

    [GeneratedRegex(@"^[xy]axis\d*$")]
    private static partial Regex AxisName();

    [GeneratedRegex(@"^coloraxis\d*$")]
    private static partial Regex ColourAxisName();

    /// <summary>
    /// Styles <paramref name="chart"/> in place and returns it: every axis its layout has or its traces refer to
    /// (<c>xaxis</c>, <c>yaxis2</c>, …; at least <c>xaxis</c> and <c>yaxis</c>), every trace's colour bar (also a marker's
    /// or line's) and every colour axis's.
    /// </summary>
    public static GenericChart Apply(GenericChart chart)
    {
        var layout = GenericChart.getLayout(chart);
        var traces = GenericChart.getTraces(chart).ToList();
        var axes = new SortedSet<string>(StringComparer.Ordinal) { "xaxis", "yaxis" };
        axes.UnionWith(layout.GetPropertyNames(true).Where(name => AxisName().IsMatch(name)));
        foreach (var trace in traces)
            foreach (var (key, axis) in new[] { ("xaxis", "xaxis"), ("yaxis", "yaxis") })
                if (Value(trace, key) is string anchor && anchor.Length > 1) axes.Add(axis + anchor[1..]); // "x2" → "xaxis2"
        foreach (string axis in axes) PowersOfTen(Child(layout, axis, () => new LinearAxis()));
        foreach (string name in layout.GetPropertyNames(true).Where(name => ColourAxisName().IsMatch(name)).ToList())
            if (Value(layout, name) is DynamicObject colourAxis) PowersOfTen(Child(colourAxis, "colorbar", () => new ColorBar()));
        foreach (var trace in traces)
        {
            string? name = Value(trace, "name") as string;
            if (Value(trace, "type") is string type && ColourScaled.Contains(type) && Value(trace, "coloraxis") is null)
                ColourBar(Child(trace, "colorbar", () => new ColorBar()), name);
            foreach (string holder in new[] { "marker", "line" })
                if (Value(trace, holder) is DynamicObject part && (Value(part, "colorbar") is not null || Value(part, "showscale") is "True" or "true"))
                    ColourBar(Child(part, "colorbar", () => new ColorBar()), name);
        }
        return chart;
    }

    /// <summary>A colour bar titled <paramref name="title"/> (the quantity and its unit), its title beside the bar: what every heatmap of the reports passes as its ColorBar.</summary>
    public static ColorBar TitledColorBar(string title)
    {
        var bar = new ColorBar();
        ColourBar(bar, title);
        return bar;
    }

    /// <summary>Powers of ten on <paramref name="bar"/>, and <paramref name="name"/> as its title where it has none.</summary>
    static void ColourBar(DynamicObject bar, string? name)
    {
        PowersOfTen(bar);
        if (Value(bar, "title") is null && !string.IsNullOrWhiteSpace(name))
        {
            var title = new Title();
            title.SetProperty("text", name);
            title.SetProperty("side", "right");
            bar.SetProperty("title", title);
        }
    }

    static void PowersOfTen(DynamicObject axisOrBar)
    {
        string? format = Value(axisOrBar, "exponentformat")?.ToString();
        if (format is null || PrefixFormats.Contains(format, StringComparer.OrdinalIgnoreCase)) axisOrBar.SetProperty("exponentformat", ExponentFormat);
    }

    /// <summary>The object under <paramref name="key"/>, created (and set) where there is none.</summary>
    static DynamicObject Child(DynamicObject parent, string key, Func<DynamicObject> create)
    {
        if (Value(parent, key) is DynamicObject existing) return existing;
        var created = create();
        parent.SetProperty(key, created);
        return created;
    }

    /// <summary>The value under <paramref name="key"/>, or null; Plotly.NET's style parameters as the text plotly reads (e.g. "x2").</summary>
    static object? Value(DynamicObject obj, string key)
    {
        var value = obj.TryGetPropertyValue(key);
        return value is null ? null : value.Value switch
        {
            null => null,
            DynamicObject dynamic => dynamic,
            string text => text,
            StyleParam.LinearAxisId axis => StyleParam.LinearAxisId.convert.Invoke(axis)?.ToString(),
            StyleParam.SubPlotId subplot => StyleParam.SubPlotId.convert.Invoke(subplot)?.ToString(),
            var other => other.ToString(),
        };
    }
}
