using System.Text;

namespace Sandboxer.Profiles;

/// <summary>Finds, checks and loads a service's profile over defaults.toml.</summary>
public static class ProfileStore
{
    public const string DefaultDirectory = "/etc/sandboxer";
    public const string HubName = "defaults";

    public static Profile Load(string directory, string name) => Load(directory, name, ProfileDiagnostics.Strict);

    /// <summary>
    /// The profile, its errors reported to <paramref name="diagnostics"/>: with a collecting sink
    /// (check) every error is kept and what could be read is returned.
    /// </summary>
    public static Profile Load(string directory, string name, ProfileDiagnostics diagnostics)
    {
        string hub = Path.Combine(directory, HubName + ".toml");
        string spoke = Path.Combine(directory, name + ".toml");
        return Load(name, hub, spoke, isHub => Read(isHub ? hub : spoke), diagnostics);
    }

    /// <summary>
    /// The profile from both files' bytes, once they are trusted: decoded, parsed, applied and
    /// checked. Every rejection is a configuration error at a file:line:column.
    /// </summary>
    public static Profile Load(string name, byte[] hubBytes, string hub, byte[] spokeBytes, string spoke) =>
        Load(name, hub, spoke, isHub => isHub ? hubBytes : spokeBytes, ProfileDiagnostics.Strict);

    /// <summary>The hub is read and applied before the spoke is read: its errors come first.</summary>
    private static Profile Load(string name, string hub, string spoke, Func<bool, byte[]> read, ProfileDiagnostics diagnostics)
    {
        var profile = new Profile { Name = name, Diagnostics = diagnostics };
        bool complete = Apply(profile, hub, () => read(true), isHub: true);
        complete &= Apply(profile, spoke, () => read(false), isHub: false);
        // A file that could not be read would make every cross-file rule report a consequence.
        if (complete)
            Validate(profile, spoke);
        return profile;
    }

    /// <summary>Checks that span both files; bwrap would refuse these only once started.</summary>
    public static void Validate(Profile profile, string spokeFile)
    {
        try
        {
            if (profile.Command is null)
                throw SandboxerException.Config($"{spokeFile}:1:1: command: missing: a service's profile names the absolute path of its daemon");
        }
        catch (SandboxerException e) when (profile.Diagnostics.Keep(e))
        {
        }
        foreach (var section in ProfileReader.Sections)
        {
            try
            {
                section.Validate(profile, spokeFile);
            }
            catch (SandboxerException e) when (profile.Diagnostics.Keep(e))
            {
                // check: the next section's rules still apply.
            }
        }
        try
        {
            LibrarySettings.Validate(profile);
        }
        catch (SandboxerException e) when (profile.Diagnostics.Keep(e))
        {
        }
    }

    /// <summary>Reads, parses and applies one file; false when it could not be read or parsed (and check kept why).</summary>
    private static bool Apply(Profile profile, string file, Func<byte[]> read, bool isHub)
    {
        try
        {
            ProfileReader.Apply(profile, TomlTree.Parse(Decode(read(), file), file), isHub);
            return true;
        }
        catch (SandboxerException e) when (profile.Diagnostics.Keep(e))
        {
            return false;
        }
    }

    /// <summary>A profile decides what a service may touch, so only root may have written it (see <see cref="Trust.TrustedPath"/>).</summary>
    private static byte[] Read(string path) => Trust.TrustedPath.ReadFile(path, path, "no such profile");

    /// <summary>The text of a profile, or an error at the line and column of its first byte that is not UTF-8.</summary>
    private static string Decode(byte[] bytes, string path)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
            return Encoding.UTF8.GetString(bytes);
        var valid = new UTF8Encoding(false).GetString(bytes, 0, FirstInvalid(bytes));
        int line = 1 + valid.Count(c => c == '\n');
        int column = 1 + valid.Length - (valid.LastIndexOf('\n') + 1);
        throw SandboxerException.Config($"{path}:{line}:{column}: not valid UTF-8");
    }

    private static int FirstInvalid(byte[] bytes)
    {
        int at = 0;
        while (System.Text.Rune.DecodeFromUtf8(bytes.AsSpan(at), out _, out int length) == System.Buffers.OperationStatus.Done)
            at += length;
        return at;
    }
}
