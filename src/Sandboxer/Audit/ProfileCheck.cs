using Sandboxer.Profiles;

namespace Sandboxer.Audit;

/// <summary>
/// check for one profile: every error reading it (collected, not first-wins), then every
/// <see cref="Checks"/> rule on what could be read. Nothing is started and nothing is written.
/// </summary>
public sealed class ProfileCheck(UserAccount? user)
{
    // bwrap --version once per bwrap, however many profiles name it.
    private readonly Dictionary<string, (Version?, string?)> releases = [];

    public List<Finding> Run(string directory, string name)
    {
        var diagnostics = ProfileDiagnostics.Collecting();
        var profile = ProfileStore.Load(directory, name, diagnostics);
        var findings = diagnostics.Errors.Select(Finding.From).ToList();

        string bwrap = profile.BwrapPath;
        if (!releases.TryGetValue(bwrap, out var release))
            releases[bwrap] = release = BwrapProbe.Ask(bwrap);
        if (release.Item2 is { } problem)
            findings.Add(Finding.Error(profile.Bwrap?.Location, "bwrap", problem));

        // What libraries = "auto" would bind is in the sandbox too; a library it cannot find is an error.
        List<MountOp> libraries = [];
        try
        {
            libraries = Elf.LibraryPlan.Mounts(profile, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        }
        catch (SandboxerException e)
        {
            var at = profile.Libraries.Mode?.Location;
            string prefix = $"{at}: libraries: ";
            findings.Add(e.Message.StartsWith(prefix, StringComparison.Ordinal) ? Finding.Error(at, "libraries", e.Message[prefix.Length..]) : Finding.From(e));
            // The command itself is bound whatever its libraries: its own checks still apply, without a consequence of this one.
            if (profile.Command is { } command)
                libraries = [new MountOp("ro-bind", [command.Value, command.Value], command.Value, null, 0, [], command.Location)];
        }

        var context = new CheckContext(profile, new SandboxView(profile, libraries), release.Item1, user);
        foreach (var check in Checks.All)
            check.Check(context, findings);
        return findings;
    }

    /// <summary>Every profile in the directory but defaults, by name; the directory itself must be trusted.</summary>
    public static List<string> Names(string directory)
    {
        Trust.TrustedPath.OpenDirectory(directory, directory).Dispose();
        var names = new List<string>();
        foreach (var file in Directory.EnumerateFiles(directory, "*.toml"))
        {
            string name = Path.GetFileNameWithoutExtension(file);
            if (name != ProfileStore.HubName)
                names.Add(name);
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }
}
