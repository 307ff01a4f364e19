using System.Net;

namespace SeqLab.Notebooks;

/// <summary>A notebook's written claim that its numbers do not bear out.</summary>
public sealed class ClaimFailedException(string message) : Exception(message);

/// <summary>
/// The claims a notebook's text makes about its results, checked: <c>new Claims().That("…", holds, "evidence").Verify()</c>
/// throws when any is false, so a notebook whose story no longer matches its numbers fails when it runs.
/// </summary>
public sealed class Claims
{
    readonly List<(string Claim, bool Holds, string Evidence)> claims = [];

    /// <summary>Adds a claim, whether it holds, and the numbers that decide it.</summary>
    public Claims That(string claim, bool holds, string evidence)
    {
        claims.Add((claim, holds, evidence));
        return this;
    }

    /// <summary>Throws <see cref="ClaimFailedException"/> naming every false claim with its evidence; returns the claims otherwise.</summary>
    public Claims Verify()
    {
        var failed = claims.Where(c => !c.Holds).ToList();
        if (failed.Count > 0)
            throw new ClaimFailedException("false claim" + (failed.Count > 1 ? "s" : "") + ": " + string.Join("; ", failed.Select(c => $"'{c.Claim}' ({c.Evidence})")));
        return this;
    }

    /// <inheritdoc />
    public override string ToString() => string.Join("\n", claims.Select(c => $"{(c.Holds ? "✓" : "✗")} {c.Claim} — {c.Evidence}"));

    /// <summary>The claims as an HTML list, each with a tick or a cross.</summary>
    public string ToHtml() => "<ul style=\"list-style:none;padding-left:0\">" + string.Concat(claims.Select(c =>
        $"<li>{(c.Holds ? "<span style=\"color:#1a7f37\">✓</span>" : "<span style=\"color:#c62828\">✗</span>")} <b>{WebUtility.HtmlEncode(c.Claim)}</b> — {WebUtility.HtmlEncode(c.Evidence)}</li>")) + "</ul>";
}
