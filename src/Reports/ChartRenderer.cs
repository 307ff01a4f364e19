using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Plotly.NET;

namespace SeqLab.Reports;

/// <summary>
/// Draws charts as PNG in one headless Chromium kept open for many charts (a few hundred milliseconds a chart instead of
/// the seconds a fresh browser takes): a page holding the local plotly.js draws each figure and returns
/// <c>Plotly.toImage</c>'s picture over the DevTools protocol on a loopback port. Nothing is downloaded. The browser ends
/// with this object, and also when the process that started it dies (a shell beside it waits on a pipe from this process).
/// </summary>
public sealed class ChartRenderer : IDisposable
{
    readonly Process shell;
    readonly ClientWebSocket socket;
    readonly string work;
    readonly object gate = new();
    int nextId;
    bool disposed;

    ChartRenderer(Process shell, ClientWebSocket socket, string work)
    {
        this.shell = shell;
        this.socket = socket;
        this.work = work;
    }

    /// <summary>The temporary folder of the page and the browser's profile (the browser's command line names it).</summary>
    internal string WorkFolder => work;

    /// <summary>Whether the browser still runs and its DevTools connection is open (a timed-out script or a crash closes it).</summary>
    public bool IsAlive
    {
        get
        {
            lock (gate) return !disposed && socket.State == WebSocketState.Open && !shell.HasExited;
        }
    }

    /// <summary>The browser this renderer drives.</summary>
    public required string Browser { get; init; }

    /// <summary>Starts <paramref name="browser"/> (see <see cref="ChartImages.FindBrowser"/>) with a page that has plotly.js loaded.</summary>
    public static ChartRenderer Start(string browser)
    {
        string work = Directory.CreateTempSubdirectory("seqlab-charts-").FullName;
        Process? shell = null;
        ClientWebSocket? socket = null;
        try
        {
            File.WriteAllText(Path.Combine(work, HtmlReport.PlotlyFileName), HtmlReport.PlotlyJs());
            string page = Path.Combine(work, "page.html");
            File.WriteAllText(page, $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><script src=\"{HtmlReport.PlotlyFileName}\"></script></head><body style=\"margin:0;background:white\"></body></html>");
            string profile = Path.Combine(work, "profile");
            // The shell ends with the browser; beside it, a subshell reads this process's pipe until it closes — at Dispose, or
            // when this process dies — and then ends the browser.
            var start = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, UseShellExecute = false };
            start.ArgumentList.Add("-c");
            // (A background list's stdin would be /dev/null, so the pipe travels to the subshell as fd 3.)
            start.ArgumentList.Add("exec 3<&0; \"$0\" \"$@\" >\"$SEQLAB_BROWSER_LOG\" 2>&1 </dev/null 3<&- & browser=$!; { cat <&3 >/dev/null; kill $browser 2>/dev/null; } & wait $browser");
            start.ArgumentList.Add(browser);
            foreach (var argument in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
                "--mute-audio", "--hide-scrollbars", $"--user-data-dir={profile}", "--remote-debugging-port=0", new Uri(page).AbsoluteUri,
            }) start.ArgumentList.Add(argument);
            start.Environment["SEQLAB_BROWSER_LOG"] = Path.Combine(work, "browser.log");
            shell = Process.Start(start) ?? throw new InvalidOperationException($"could not start {browser}");
            socket = Connect(profile, work, shell);
            var renderer = new ChartRenderer(shell, socket, work) { Browser = browser };
            renderer.WaitForPage();
            return renderer;
        }
        catch
        {
            socket?.Abort();
            socket?.Dispose();
            Stop(shell);
            TryDelete(work);
            throw;
        }
    }

    /// <summary>
    /// Waits until the page has loaded plotly.js. The page may still be navigating when the socket opens: a script evaluated
    /// then loses its context ("Execution context was destroyed"), so it asks again until the page answers, for up to 30 s.
    /// </summary>
    void WaitForPage()
    {
        var clock = Stopwatch.StartNew();
        string? problem = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                Evaluate("location.href.endsWith('page.html') && document.readyState === 'complete' && !!window.Plotly", out var ready);
                if (ready?.GetValue<bool>() == true) return;
                problem = "plotly.js not loaded";
            }
            catch (InvalidOperationException e) when (!shell.HasExited)
            {
                problem = e.Message;
            }
            Thread.Sleep(50);
        }
        throw new InvalidOperationException($"{Browser} did not load its page with plotly.js in 30 s ({problem}): {Log(work)}");
    }

    /// <summary>The DevTools socket of the browser's page: its port from <c>DevToolsActivePort</c>, the page from <c>/json/list</c>.</summary>
    static ClientWebSocket Connect(string profile, string work, Process shell)
    {
        var clock = Stopwatch.StartNew();
        string portFile = Path.Combine(profile, "DevToolsActivePort");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            if (shell.HasExited || clock.Elapsed > TimeSpan.FromSeconds(30))
                throw new InvalidOperationException($"the browser did not open its DevTools port: {Log(work)}");
            if (File.Exists(portFile) && File.ReadAllLines(portFile) is [{ } port, ..] && int.TryParse(port, out int number))
            {
                try
                {
                    var targets = JsonNode.Parse(http.GetStringAsync($"http://127.0.0.1:{number}/json/list").GetAwaiter().GetResult())!.AsArray();
                    if (targets.FirstOrDefault(t => (string?)t!["type"] == "page" && ((string?)t["url"])?.EndsWith("page.html", StringComparison.Ordinal) == true)?["webSocketDebuggerUrl"] is { } url)
                    {
                        var socket = new ClientWebSocket();
                        socket.Options.KeepAliveInterval = TimeSpan.Zero;
                        socket.ConnectAsync(new Uri((string)url!), CancellationToken.None).GetAwaiter().GetResult();
                        return socket;
                    }
                }
                catch (HttpRequestException)
                {
                    // the port file can precede the listener by a moment
                }
            }
            Thread.Sleep(50);
        }
    }

    /// <summary>
    /// The chart as PNG bytes, <paramref name="width"/> × <paramref name="height"/> pixels (default: the chart's own size
    /// from its layout, else the reports' 960 × 420), drawn without Plotly's toolbar; <paramref name="title"/>, where given,
    /// is drawn above the plot (a picture shown alone still says what it is).
    /// </summary>
    public byte[] Png(GenericChart chart, int? width = null, int? height = null, string? title = null)
    {
        // The figure's JSON goes into the script as Plotly.NET writes it (NaN and Infinity are JavaScript, not JSON).
        string expression = $$"""
            (async function () {
              var figure = {{GenericChart.toFigureJson(ChartStyle.Apply(chart))}};
              var layout = figure.layout || {};
              var width = {{width?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}} || layout.width || {{ExperimentCharts.Width}};
              var height = {{height?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}} || layout.height || {{ExperimentCharts.Height}};
              var title = {{(title is null ? "null" : JsonSerializer.Serialize(title.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;")))}};
              if (title !== null) {
                layout.title = { text: title, x: 0.01, xanchor: 'left' };
                layout.margin = Object.assign({}, layout.margin || {}, { t: Math.max((layout.margin || {}).t || 0, 60) });
              }
              var node = document.createElement('div');
              node.style.width = width + 'px'; node.style.height = height + 'px';
              document.body.appendChild(node);
              try {
                await Plotly.newPlot(node, figure.data, layout, { staticPlot: true, displayModeBar: false });
                return await Plotly.toImage(node, { format: 'png', width: width, height: height, scale: 1 });
              } finally { Plotly.purge(node); node.remove(); }
            })()
            """;
        Evaluate(expression, out var value);
        return Decode(value);
    }

    /// <summary>PNG pictures one above another, left-aligned on white, as one PNG (a list of charts shown as one picture).</summary>
    public byte[] Stack(IReadOnlyList<byte[]> pictures)
    {
        if (pictures.Count == 0) throw new ArgumentException("no pictures to stack", nameof(pictures));
        var urls = new JsonArray(pictures.Select(p => (JsonNode)("data:image/png;base64," + Convert.ToBase64String(p))).ToArray());
        string expression = $$"""
            (async function () {
              var images = await Promise.all({{urls.ToJsonString()}}.map(function (url) {
                return new Promise(function (done, fail) { var image = new Image(); image.onload = function () { done(image); }; image.onerror = fail; image.src = url; });
              }));
              var canvas = document.createElement('canvas');
              canvas.width = Math.max.apply(null, images.map(function (i) { return i.width; }));
              canvas.height = images.reduce(function (sum, i) { return sum + i.height; }, 0);
              var context = canvas.getContext('2d');
              context.fillStyle = 'white'; context.fillRect(0, 0, canvas.width, canvas.height);
              var top = 0;
              images.forEach(function (i) { context.drawImage(i, 0, top); top += i.height; });
              return canvas.toDataURL('image/png');
            })()
            """;
        Evaluate(expression, out var value);
        return Decode(value);
    }

    static byte[] Decode(JsonNode? value)
    {
        string url = value?.GetValue<string>() ?? throw new InvalidOperationException("the browser returned no picture");
        const string prefix = "data:image/png;base64,";
        if (!url.StartsWith(prefix, StringComparison.Ordinal)) throw new InvalidOperationException($"the browser returned no PNG: {url[..Math.Min(40, url.Length)]}…");
        return Convert.FromBase64String(url[prefix.Length..]);
    }

    /// <summary>Evaluates a script in the page, awaiting a promise it returns; a script error is an exception with its text.</summary>
    void Evaluate(string expression, out JsonNode? value)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            int id = ++nextId;
            var request = new JsonObject
            {
                ["id"] = id, ["method"] = "Runtime.evaluate",
                ["params"] = new JsonObject { ["expression"] = expression, ["awaitPromise"] = true, ["returnByValue"] = true },
            };
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            socket.SendAsync(Encoding.UTF8.GetBytes(request.ToJsonString()), WebSocketMessageType.Text, true, timeout.Token).GetAwaiter().GetResult();
            while (true)
            {
                var reply = Receive(timeout.Token);
                if ((int?)reply["id"] != id) continue; // events and other replies
                if (reply["error"] is { } error) throw new InvalidOperationException($"{Browser}: {error.ToJsonString()}");
                var result = reply["result"]!;
                if (result["exceptionDetails"] is { } exception)
                    throw new InvalidOperationException($"{Browser} could not draw the chart: {(string?)exception["exception"]?["description"] ?? (string?)exception["text"]}");
                value = result["result"]?["value"]?.DeepClone();
                return;
            }
        }
    }

    JsonObject Receive(CancellationToken cancel)
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        while (true)
        {
            var received = socket.ReceiveAsync(buffer, cancel).GetAwaiter().GetResult();
            if (received.MessageType == WebSocketMessageType.Close) throw new InvalidOperationException($"{Browser} closed its DevTools connection: {Log(work)}");
            message.Write(buffer, 0, received.Count);
            if (received.EndOfMessage) return JsonNode.Parse(message.ToArray())!.AsObject();
        }
    }

    static string Log(string work)
    {
        string path = Path.Combine(work, "browser.log");
        try
        {
            return File.Exists(path) ? string.Join(" | ", File.ReadAllLines(path).Where(l => l.Length > 0).TakeLast(5)) : "(no browser output)";
        }
        catch (IOException)
        {
            return "(browser output unreadable)";
        }
    }

    static void Stop(Process? shell)
    {
        if (shell is null) return;
        try
        {
            shell.StandardInput.Close(); // the shell ends the browser
            if (!shell.WaitForExit(10_000)) shell.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // never started or already gone
        }
        shell.Dispose();
    }

    static void TryDelete(string folder)
    {
        // The browser's helper processes may write to its profile for a moment after it ends: try again for up to 2 s.
        for (int attempt = 0; attempt < 20 && Directory.Exists(folder); attempt++)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(100); // a temporary folder left behind at the end is harmless
            }
        }
    }

    /// <summary>Ends the browser and removes its temporary folder.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
        }
        try
        {
            socket.Abort();
            socket.Dispose();
        }
        finally
        {
            Stop(shell);
            TryDelete(work);
        }
    }
}
