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
        var profile = new Profile { Name = name, Diagnostics = diagnostics };
        string hub = Path.Combine(directory, HubName + ".toml");
        string spoke = Path.Combine(directory, name + ".toml");
        bool read = Apply(profile, hub, isHub: true);
        read &= Apply(profile, spoke, isHub: false);
        // A file that could not be read would make every cross-file rule report a consequence.
        if (read)
            Validate(profile, spoke);
        return profile;
    }

    /// <summary>Checks that span both files; bwrap would refuse these only once started.</summary>
    public static void Validate(Profile profile, string spokeFile)
    {
        try
        {
            if (profile.Command is null)
                throw SandboxerException.Config($"{spokeFile}: command: missing: a service's profile names the absolute path of its daemon");
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
    }

    /// <summary>Reads, parses and applies one file; false when it could not be read or parsed (and check kept why).</summary>
    private static bool Apply(Profile profile, string file, bool isHub)
    {
        try
        {
            ProfileReader.Apply(profile, TomlTree.Parse(Read(file), file), isHub);
            return true;
        }
        catch (SandboxerException e) when (profile.Diagnostics.Keep(e))
        {
            return false;
        }
    }

    /// <summary>A profile decides what a service may touch, so only root may have written it (see <see cref="Trust.TrustedPath"/>).</summary>
    private static string Read(string path)
    {
        byte[] bytes = Trust.TrustedPath.ReadFile(path, path, "no such profile");
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw SandboxerException.Config($"{path}: not valid UTF-8");
        }
    }
}
