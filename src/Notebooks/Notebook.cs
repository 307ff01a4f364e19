using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;
using SeqLab.Reports;
using SeqLab.Runtime;
using TorchSharp;

namespace SeqLab.Notebooks;

/// <summary>The first call of every SeqLab notebook.</summary>
public static class Notebook
{
    /// <summary>
    /// Loads TorchSharp through SeqLab's loader — before anything else touches <c>torch</c>, so the package's own LibTorch is
    /// bound (never a system one) — uses <paramref name="threads"/> CPU threads, and teaches the kernel to show Plotly charts
    /// and report figures inline, offline. Returns the loader's note (which LibTorch, whether it was patched).
    /// </summary>
    public static string Start(int threads = 2)
    {
        var runtime = TorchRuntime.EnsureLoaded();
        torch.set_num_threads(threads);
        Formatter.Register<GenericChart>((chart, writer) => writer.Write(InlineChart.Html(chart)), HtmlFormatter.MimeType);
        Formatter.Register<ReportFigure>((figure, writer) => writer.Write(InlineChart.Html(figure)), HtmlFormatter.MimeType);
        Formatter.Register<FigureList>((figures, writer) => writer.Write(string.Concat(figures.Select(InlineChart.Html))), HtmlFormatter.MimeType);
        Formatter.Register<Claims>((claims, writer) => writer.Write(claims.ToHtml()), HtmlFormatter.MimeType);
        return runtime.Note;
    }
}
