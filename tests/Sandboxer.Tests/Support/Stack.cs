namespace Sandboxer.Tests.Support;

/// <summary>
/// The versions of bubblewrap and OpenRC the suites run against: the host's, or the Debian
/// unstable tree's (build/sid.sh). A feature that needs a newer release is tested where the
/// release has it and refused where it does not.
/// </summary>
public static class Stack
{
    private static readonly Lazy<Version> BwrapVersion = new(() => VersionIn(Runner.Run(Published.Bwrap, ["--version"], timeoutSeconds: 10), "bwrap"));
    private static readonly Lazy<Version> OpenRCVersion = new(() => VersionIn(SuperviseDaemon("--version"), "supervise-daemon"));

    /// <summary>bwrap's release, from "bubblewrap 0.13.1".</summary>
    public static Version Bwrap => BwrapVersion.Value;

    /// <summary>OpenRC's release, from "supervise-daemon (OpenRC) 0.64.1".</summary>
    public static Version OpenRC => OpenRCVersion.Value;

    /// <summary>Whether the installed bwrap is at least <paramref name="release"/> ("0.11").</summary>
    public static bool BwrapHas(string release) => Bwrap >= ParseRelease(release);

    /// <summary>Whether the installed OpenRC is at least <paramref name="release"/> ("0.62").</summary>
    public static bool OpenRCHas(string release) => OpenRC >= ParseRelease(release);

    /// <summary>"0.11" as 0.11.0, so that it compares equal to the release 0.11.0 itself.</summary>
    public static Version ParseRelease(string release)
    {
        var version = Version.Parse(release);
        return new Version(version.Major, version.Minor, Math.Max(version.Build, 0));
    }

    /// <summary>supervise-daemon run for one option (--version, --help), outside any service: it wants a service name first and RC_SVCNAME naming it.</summary>
    public static RunResult SuperviseDaemon(string option) =>
        Runner.Run(SupervisedService.Program, ["probe", option], new Dictionary<string, string> { ["RC_SVCNAME"] = "probe" }, timeoutSeconds: 10);

    /// <summary>The version a program printed: the last word of its first line.</summary>
    private static Version VersionIn(RunResult result, string program)
    {
        string firstLine = result.Output.Split('\n')[0];
        string word = firstLine.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        if (result.ExitCode != 0 || !Version.TryParse(word, out _))
            throw new InvalidOperationException($"cannot read the version of {program}: {result}");
        return ParseRelease(word);
    }
}
