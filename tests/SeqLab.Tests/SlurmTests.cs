using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace SeqLab.Tests;

/// <summary>
/// A real Slurm on this machine — Debian's munge, slurmctld and slurmd on localhost, started for the test — runs
/// docs/scale-out/slurm-array.sh as a job array of 3 over a small batch; <c>seqlab report</c> merges the shards, and the
/// results equal one process running the whole file.
/// </summary>
public class SlurmTests(ITestOutputHelper output)
{
    const string Batch = """
        batch: on-slurm
        defaults:
          dataset: {type: adding, length: 12, validation_size: 32, test_size: 32}
          training: {steps: 40, batch_size: 16, learning_rate: 0.01, seed: 2, eval_every: 20}
          monitoring: {log_every: 10}
        experiments:
          - name: rnn
            model: {type: rnn, hidden_size: 8}
          - name: lstm
            model: {type: lstm, hidden_size: 8}
          - name: gru
            model: {type: gru, hidden_size: 8}
        """;

    static string Seqlab => Path.Combine(AppContext.BaseDirectory, "seqlab");

    [Fact]
    public void A_job_array_of_three_shards_merges_into_the_results_of_one_process()
    {
        string root = NativeFiles.TemporaryFolder();
        string study = Path.Combine(root, "on-slurm.yaml");
        File.WriteAllText(study, Batch);
        using var cluster = LocalSlurm.Start(Path.Combine(root, "slurm"), output);

        var clock = Stopwatch.StartNew();
        string script = Path.Combine(TestPaths.Root, "docs", "scale-out", "slurm-array.sh");
        string runs = Path.Combine(root, "runs");
        string submitted = cluster.Run("sbatch", new() { ["SEQLAB"] = Seqlab, ["SEQLAB_RUNS"] = runs }, "--wait", "--array=0-2", "--chdir", root, script, study);
        output.WriteLine($"{submitted.Trim()}; all three tasks done in {clock.Elapsed.TotalSeconds:F1} s");
        string[] logs = Directory.GetFiles(root, "seqlab-*_*.log").Order().ToArray();
        Assert.True(logs.Length == 3, $"expected a log per array task, found: {string.Join(", ", logs)}");
        foreach (var log in logs) output.WriteLine($"--- {Path.GetFileName(log)}\n{File.ReadAllText(log).Trim()}");
        // Each task ran its own shard: one experiment each.
        Assert.All(logs, log => Assert.Contains("1 experiment(s) (shard ", File.ReadAllText(log)));

        string report = NativeFiles.Run(Seqlab, "report", Path.Combine(runs, "on-slurm"));
        Assert.Contains("Merged 3 experiment(s)", report);
        string alone = Path.Combine(root, "alone");
        NativeFiles.Run(Seqlab, "run", study, "--output", alone, "--set", "training.threads=2");

        string[] Rows(string batch) => JsonDocument.Parse(File.ReadAllText(Path.Combine(batch, "summary.json"))).RootElement.EnumerateArray()
            .Select(e => $"{e.GetProperty("name").GetString()} {e.GetProperty("status").GetString()} {e.GetProperty("test_loss").GetRawText()} {e.GetProperty("final_validation_loss").GetRawText()}")
            .ToArray();
        Assert.Equal(Rows(Path.Combine(alone, "on-slurm")), Rows(Path.Combine(runs, "on-slurm")));
        foreach (var name in new[] { "rnn", "lstm", "gru" })
            Assert.Equal(File.ReadLines(Path.Combine(alone, "on-slurm", name, "metrics.csv")).Select(l => l[..l.LastIndexOf(',')]),
                File.ReadLines(Path.Combine(runs, "on-slurm", name, "metrics.csv")).Select(l => l[..l.LastIndexOf(',')]));
    }
}

/// <summary>A one-node Slurm on localhost from Debian's packages: munged, slurmctld and slurmd under a configuration of its own.</summary>
sealed class LocalSlurm : IDisposable
{
    readonly string folder;
    readonly List<Process> daemons = [];
    readonly ITestOutputHelper output;

    LocalSlurm(string folder, ITestOutputHelper output) => (this.folder, this.output) = (folder, output);

    string Configuration => Path.Combine(folder, "slurm.conf");

    string Spool => Path.Combine("/tmp", $"slurmd-{Environment.ProcessId}");

    public static LocalSlurm Start(string folder, ITestOutputHelper output)
    {
        Directory.CreateDirectory(folder);
        var slurm = new LocalSlurm(folder, output);
        try
        {
            slurm.Configure();
            slurm.StartDaemons();
            return slurm;
        }
        catch
        {
            slurm.Dispose();
            throw;
        }
    }

    void Configure()
    {
        string host = NativeFiles.Run("hostname", "-s").Trim();
        int processors = Environment.ProcessorCount;
        long megabytes = long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
        Directory.CreateDirectory(Path.Combine(folder, "state"));
        var ports = FreePorts();
        // slurmd's step sockets live in its spool folder, and a socket path may have at most 108 bytes: keep it short.
        Directory.CreateDirectory(Spool);
        File.WriteAllText(Configuration, $"""
            ClusterName=seqlab-ci
            SlurmctldHost={host}(127.0.0.1)
            SlurmUser=root
            SlurmdUser=root
            SlurmctldPort={ports.Controller}
            SlurmdPort={ports.Node}
            AuthType=auth/munge
            CredType=cred/munge
            StateSaveLocation={folder}/state
            SlurmdSpoolDir={Spool}
            SlurmctldPidFile={folder}/slurmctld.pid
            SlurmdPidFile={folder}/slurmd.pid
            SlurmctldLogFile={folder}/slurmctld.log
            SlurmdLogFile={folder}/slurmd.log
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            JobAcctGatherType=jobacct_gather/none
            AccountingStorageType=accounting_storage/none
            SelectType=select/cons_tres
            SelectTypeParameters=CR_Core_Memory
            MpiDefault=none
            SwitchType=switch/none
            ReturnToService=2
            SchedulerType=sched/backfill
            NodeName={host} NodeAddr=127.0.0.1 CPUs={processors} RealMemory={megabytes * 9 / 10} State=UNKNOWN
            PartitionName=ci Nodes={host} Default=YES MaxTime=INFINITE State=UP
            """);
    }

    /// <summary>
    /// Two different TCP ports nobody listens on now, so a Slurm already running on the machine (or a test's leftover)
    /// does not answer ours; both are held while the second is chosen, so they cannot be the same.
    /// </summary>
    static (int Controller, int Node) FreePorts()
    {
        var listeners = Enumerable.Range(0, 2).Select(_ => new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(listener => listener.Start());
        var ports = listeners.Select(listener => ((System.Net.IPEndPoint)listener.LocalEndpoint).Port).ToList();
        listeners.ForEach(listener => listener.Stop());
        return (ports[0], ports[1]);
    }

    void StartDaemons()
    {
        // munged: one per machine; start it (as the munge user, as its service does) unless one answers. A socket file
        // alone proves nothing: a munged that died (or a machine image taken while one ran) leaves it behind.
        if (!MungeAnswers())
        {
            Directory.CreateDirectory("/run/munge");
            NativeFiles.Run("chown", "munge:munge", "/run/munge");
            // It forks into the background: its output must not hold our pipe open.
            NativeFiles.Run("bash", "-c", "runuser -u munge -- /usr/sbin/munged > /dev/null 2>&1 < /dev/null");
            // The daemons below authenticate their first messages with it: wait until it answers (10 s at most).
            var answers = DateTime.UtcNow.AddSeconds(10);
            while (!MungeAnswers() && DateTime.UtcNow < answers) Thread.Sleep(200);
        }
        daemons.Add(Daemon("/usr/sbin/slurmctld", "-D", "-f", Configuration));
        daemons.Add(Daemon("/usr/sbin/slurmd", "-D", "-f", Configuration));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string state = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                state = Run("sinfo", [], "-h", "-o", "%T").Trim();
                if (state == "idle") return;
            }
            catch (InvalidOperationException exception)
            {
                state = exception.Message;
            }
            Thread.Sleep(500);
        }
        throw new InvalidOperationException($"Slurm did not come up within 60 s (sinfo: {state}); slurmctld.log:\n{Tail("slurmctld.log")}\nslurmd.log:\n{Tail("slurmd.log")}");
    }

    static bool MungeAnswers() => NativeFiles.Capture(NativeFiles.Start("munge", null, "--no-input", "--output", "/dev/null"), TimeSpan.FromSeconds(30)).ExitCode == 0;

    string Tail(string log)
    {
        string path = Path.Combine(folder, log);
        return File.Exists(path) ? string.Join('\n', File.ReadLines(path).TakeLast(15)) : "(none)";
    }

    Process Daemon(string program, params string[] arguments)
    {
        var start = NativeFiles.Start(program, new Dictionary<string, string> { ["SLURM_CONF"] = Configuration }, arguments);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Runs a Slurm client command against this cluster; throws with its output (and the controller's log) when it fails or takes over 4 minutes.</summary>
    public string Run(string program, Dictionary<string, string> environment, params string[] arguments)
    {
        var start = NativeFiles.Start(program, environment, arguments);
        start.Environment["SLURM_CONF"] = Configuration;
        try
        {
            var (exitCode, printed, error) = NativeFiles.Capture(start, TimeSpan.FromMinutes(4));
            if (exitCode == 0) return printed;
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {exitCode}: {printed}{error}\nslurmctld.log:\n{Tail("slurmctld.log")}");
        }
        catch (TimeoutException timeout)
        {
            throw new TimeoutException($"{timeout.Message}\nslurmctld.log:\n{Tail("slurmctld.log")}\nslurmd.log:\n{Tail("slurmd.log")}");
        }
    }

    public void Dispose()
    {
        foreach (var daemon in daemons)
        {
            try
            {
                daemon.Kill(entireProcessTree: true);
                daemon.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            daemon.Dispose();
        }
        output.WriteLine($"slurmctld.log (last lines):\n{Tail("slurmctld.log")}");
        try
        {
            Directory.Delete(Spool, recursive: true);
        }
        catch (IOException)
        {
            // A daemon's leftovers; /tmp is cleaned anyway.
        }
    }
}
