using System.Net;
using Microsoft.Data.Analysis;
using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;
using SeqLab.Reports;
using SeqLab.Runtime;
using TorchSharp;

namespace SeqLab.Notebooks;

/// <summary>What <see cref="Notebook.Start"/> set up, shown as one quiet line.</summary>
/// <param name="Threads">CPU threads TorchSharp uses.</param>
/// <param name="LoaderNote">The native loader's note: which LibTorch was bound and whether a library was patched to load.</param>
/// <param name="Pictures">Whether every chart also carries a PNG (a Chromium was found), or why not.</param>
public sealed record NotebookSetup(int Threads, string LoaderNote, string Pictures)
{
    /// <inheritdoc />
    public override string ToString() => $"SeqLab ready: TorchSharp on {Threads} CPU thread(s); charts interactive offline, {Pictures}.";

    /// <summary>The line as muted HTML; the loader's note is its tooltip.</summary>
    public string ToHtml() => $"<span style=\"color:#777;font-size:smaller\" title=\"{WebUtility.HtmlEncode(LoaderNote)}\">{WebUtility.HtmlEncode(ToString())}</span>";
}

/// <summary>The first call of every SeqLab notebook.</summary>
public static class Notebook
{
    /// <summary>
    /// Loads TorchSharp through SeqLab's loader — before anything else touches <c>torch</c>, so the package's own LibTorch is
    /// bound (never a system one) — uses <paramref name="threads"/> CPU threads, and teaches the kernel to show Plotly charts
    /// and report figures inline, offline, each with a PNG copy for viewers that run no scripts (GitHub, nbviewer) where a
    /// Chromium is installed, and DataFrames as rounded tables.
    /// </summary>
    public static NotebookSetup Start(int threads = 2)
    {
        var runtime = TorchRuntime.EnsureLoaded();
        torch.set_num_threads(threads);
        const string Html = HtmlFormatter.MimeType, Png = "image/png";
        Formatter.Register<GenericChart>((chart, writer) => writer.Write(InlineChart.Html(chart)), Html);
        Formatter.Register<ReportFigure>((figure, writer) => writer.Write(InlineChart.Html(figure)), Html);
        Formatter.Register<FigureList>((figures, writer) => writer.Write(string.Concat(figures.Select(InlineChart.Html))), Html);
        Formatter.Register<Claims>((claims, writer) => writer.Write(claims.ToHtml()), Html);
        Formatter.Register<NotebookSetup>((setup, writer) => writer.Write(setup.ToHtml()), Html);
        Formatter.Register<DataFrame>((frame, writer) => writer.Write(DataFrameHtml.Html(frame)), Html);
        bool pictures = InlineChart.DrawsPictures;
        if (pictures)
        {
            // Both MIME types in one output: notebook front ends show the HTML, static viewers the picture.
            Formatter.Register<GenericChart>((chart, writer) => writer.Write(InlineChart.Png(chart)), Png);
            Formatter.Register<ReportFigure>((figure, writer) => writer.Write(InlineChart.Png(figure)), Png);
            Formatter.Register<FigureList>((figures, writer) => writer.Write(InlineChart.Png(figures)), Png);
            foreach (var type in new[] { typeof(GenericChart), typeof(ReportFigure), typeof(FigureList) })
                Formatter.SetPreferredMimeTypesFor(type, Html, Png);
        }
        return new NotebookSetup(threads, runtime.Note, pictures ? "each with a PNG copy for viewers without scripts" : $"without PNG copies ({InlineChart.PictureProblem})");
    }
}
