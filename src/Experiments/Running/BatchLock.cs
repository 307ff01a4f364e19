using System.Globalization;
using SeqLab.Runtime.Files;

namespace SeqLab.Experiments.Running;

/// <summary>
/// An advisory lock on one thing in a batch folder — an experiment being trained, the batch summary being merged — held
/// by one process, so that two <c>seqlab run</c> of the same batch (a second <c>--resume</c>, overlapping shards) share
/// the experiments instead of training one twice into the same files. It is an exclusive <c>flock</c> on
/// <c>.NAME.lock</c> in the batch folder (what .NET takes for <see cref="FileShare.None"/> on Unix), so the kernel releases
/// it when the holder dies, even by SIGKILL; beside it, <c>.NAME.owner</c> says who holds it, for whoever finds it taken.
/// </summary>
public sealed class BatchLock : IDisposable
{
    readonly FileStream handle;
    readonly string ownerFile;

    BatchLock(FileStream handle, string ownerFile) => (this.handle, this.ownerFile) = (handle, ownerFile);

    /// <summary>Takes the lock <paramref name="name"/> in <paramref name="folder"/> (created if needed) or, when another process holds it, returns null with <paramref name="holder"/> saying who.</summary>
    public static BatchLock? TryAcquire(string folder, string name, out string? holder)
    {
        Directory.CreateDirectory(folder);
        string lockFile = Path.Combine(folder, $".{name}.lock"), ownerFile = Path.Combine(folder, $".{name}.owner");
        FileStream handle;
        try
        {
            handle = new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (Held(lockFile))
        {
            holder = ReadOwner(ownerFile);
            return null;
        }
        holder = null;
        AtomicFile.WriteAllText(ownerFile, string.Create(CultureInfo.InvariantCulture,
            $"seqlab process {Environment.ProcessId} on {Environment.MachineName} since {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC ({Environment.CommandLine})"));
        return new BatchLock(handle, ownerFile);
    }

    /// <summary>Takes the lock <paramref name="name"/> in <paramref name="folder"/>, waiting up to <paramref name="patience"/> for its holder to let go.</summary>
    /// <exception cref="TimeoutException">It was still held after <paramref name="patience"/>.</exception>
    public static BatchLock Wait(string folder, string name, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            if (TryAcquire(folder, name, out string? holder) is { } taken) return taken;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{Path.Combine(folder, name)} stayed locked for {patience.TotalSeconds:F0} s by {holder}");
            Thread.Sleep(50);
        }
    }

    /// <summary>Whether a process holds <paramref name="lockFile"/> now; when not, the caller's IOException was something else (a full disk) and goes on up.</summary>
    static bool Held(string lockFile)
    {
        try
        {
            // A shared lock cannot be had while an exclusive one is held; it is let go at once.
            using var probe = new FileStream(lockFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return false;
        }
        catch (IOException)
        {
            return File.Exists(lockFile);
        }
    }

    static string ReadOwner(string ownerFile)
    {
        try
        {
            return File.ReadAllText(ownerFile).Trim();
        }
        catch (IOException)
        {
            return "another seqlab process";
        }
    }

    /// <summary>Lets the lock go (the owner note first, so no one reads a stale one as the holder).</summary>
    public void Dispose()
    {
        try
        {
            File.Delete(ownerFile);
        }
        catch (IOException)
        {
            // The lock itself is what matters; a note left behind names a process that no longer holds it.
        }
        handle.Dispose();
    }
}
