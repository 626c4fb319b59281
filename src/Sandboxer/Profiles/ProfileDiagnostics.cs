namespace Sandboxer.Profiles;

/// <summary>
/// Where a profile's readers report an error. <see cref="Strict"/> (run, show, signal) keeps
/// today's behaviour: the first error propagates as it was thrown. A collecting sink (check)
/// keeps every error and lets the reader go on with the next key, as Tomlyn's tolerant parser
/// does. Readers use it as an exception filter, so the strict path costs nothing until an
/// error and the exception is never caught and rethrown:
/// <code>catch (SandboxerException e) when (profile.Diagnostics.Keep(e)) { }</code>
/// </summary>
public sealed class ProfileDiagnostics
{
    public static readonly ProfileDiagnostics Strict = new(null);

    private readonly List<SandboxerException>? kept;

    private ProfileDiagnostics(List<SandboxerException>? kept) => this.kept = kept;

    public static ProfileDiagnostics Collecting() => new([]);

    /// <summary>The errors kept so far, in the order the readers met them.</summary>
    public IReadOnlyList<SandboxerException> Errors => kept ?? [];

    /// <summary>True when the error was kept and reading may go on; false lets it propagate.</summary>
    public bool Keep(SandboxerException error)
    {
        if (kept is null || error.ExitCode != ExitCodes.Config)
            return false;
        kept.Add(error);
        return true;
    }
}
