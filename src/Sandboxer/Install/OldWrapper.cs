using Sandboxer.Import;
using Sandboxer.Profiles;

namespace Sandboxer.Install;

/// <summary>
/// The old wrapper script at bwrap-NAME, which install replaces with its link only once it has
/// proved the file is the wrapper the profile stands for: a regular file on a path root's alone
/// (<see cref="Trust.TrustedPath"/>, as a profile is trusted, so that the proof and the files it
/// reads are root's word), read by import without a finding (<see cref="ShellReader"/>, never
/// run), passing its caller's arguments on as the link does, and execing the profile's bwrap with the argv
/// the profile composes, the relay aside (<see cref="Importer.Compare"/>, import's own proof).
/// The relay, [seccomp], [limits] and [network] are what a profile adds beyond a script's
/// argv; each only takes away from what the daemon may do.
/// </summary>
public static class OldWrapper
{
    /// <summary>The script's text when it is the profile's wrapper; else exit 73 saying why it stays.</summary>
    /// <param name="libraries">What libraries = "auto" binds: part of the sandbox the profile composes.</param>
    public static string Prove(string path, Profile profile, IReadOnlyList<MountOp> libraries)
    {
        string text;
        ShellScript? script;
        Finding? refused;
        try
        {
            text = Read(path);
            (script, refused) = ShellReader.Read(path, p => p == path ? text : Read(p));
        }
        catch (SandboxerException e)
        {
            throw Kept(path, e.Message);
        }
        if (refused is not null)
            throw Kept(path, $"import cannot read it as a wrapper script: {refused}");
        if (script!.Exec is not { } exec)
            throw Kept(path, "it runs no bwrap");
        // What import would refuse in the argv (an unknown option, one that takes a descriptor) is no proof either.
        var findings = new List<Finding>();
        if (ArgvReader.Read(exec.Args, path, new ProfileDraft(), new ProfileDraft(), findings) is null || findings.Count > 0)
            throw Kept(path, $"import cannot read it as a wrapper script: {findings.FirstOrDefault()?.ToString() ?? "no daemon"}");
        if (!exec.PassesCallerArgs)
            throw Kept(path, $"it drops its caller's arguments, which the link passes to the daemon ({exec.At})");
        // Another bwrap may be another sandbox; "bwrap" found in PATH is the one the profile names, as import assumes.
        string program = exec.Program.Text;
        if (program.StartsWith('/') && program != profile.BwrapPath)
            throw Kept(path, $"it runs {program}, and the profile {profile.BwrapPath}");
        if (Importer.Compare(profile, libraries, exec.Args.Select(w => w.Text).ToList()) is { } why)
            throw Kept(path, $"profile {profile.Name} does not make the sandbox it makes: {why}");
        return text;
    }

    private static string Read(string path) => Importer.Text(Trust.TrustedPath.ReadFile(path, path), path);

    private static SandboxerException Kept(string path, string why) =>
        new(ExitCodes.CannotCreate, $"{path}: already there and not a link to sandboxer, nor provably the wrapper script the profile replaces ({why}); nothing replaced: move it away first");
}
