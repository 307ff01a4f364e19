namespace SeqLab.Tasks;

/// <summary>
/// The kinds of one section (<c>model.type</c> or <c>dataset.type</c>): the built-in ones plus any registered at run time
/// (a plug-in assembly, a notebook, a user's own project). <see cref="Version"/> changes with every registration, so a
/// reader that derives something from the kinds (the config schema) knows when to derive it again.
/// </summary>
/// <typeparam name="TKind">The kind's interface.</typeparam>
public sealed class KindRegistry<TKind>(string section, Func<TKind, string> nameOf, IEnumerable<TKind> builtIn) where TKind : class
{
    readonly List<TKind> kinds = [.. builtIn];
    int version;

    /// <summary>Counts registrations and removals.</summary>
    public int Version
    {
        get { lock (kinds) return version; }
    }

    /// <summary>Every kind, built-in ones first, then in registration order.</summary>
    public IReadOnlyList<TKind> All
    {
        get { lock (kinds) return [.. kinds]; }
    }

    /// <summary>The kind named <paramref name="name"/>, or null.</summary>
    public TKind? Find(string name)
    {
        lock (kinds) return kinds.FirstOrDefault(k => nameOf(k) == name);
    }

    /// <summary>Adds <paramref name="kind"/>; from then on its name may be written in YAML. Disposing the result removes it again.</summary>
    /// <exception cref="ArgumentException">A kind of that name is registered already.</exception>
    public IDisposable Register(TKind kind)
    {
        lock (kinds)
        {
            if (kinds.Any(k => nameOf(k) == nameOf(kind)))
                throw new ArgumentException($"{section}: a kind named '{nameOf(kind)}' is registered already", nameof(kind));
            kinds.Add(kind);
            version++;
        }
        return new Registration(this, kind);
    }

    sealed class Registration(KindRegistry<TKind> registry, TKind kind) : IDisposable
    {
        int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 1) return;
            lock (registry.kinds)
            {
                if (registry.kinds.Remove(kind)) registry.version++;
            }
        }
    }
}
