using System.Text;

namespace Sandboxer.Profiles;

/// <summary>Finds, checks and loads a service's profile over defaults.toml.</summary>
public static class ProfileStore
{
    public const string DefaultDirectory = "/etc/sandboxer";
    public const string HubName = "defaults";

    public static Profile Load(string directory, string name)
    {
        var profile = new Profile { Name = name };
        string hub = Path.Combine(directory, HubName + ".toml");
        string spoke = Path.Combine(directory, name + ".toml");
        ProfileReader.Apply(profile, TomlTree.Parse(Read(hub), hub), isHub: true);
        ProfileReader.Apply(profile, TomlTree.Parse(Read(spoke), spoke), isHub: false);
        Validate(profile, spoke);
        return profile;
    }

    /// <summary>Checks that span both files; bwrap would refuse these only once started.</summary>
    public static void Validate(Profile profile, string spokeFile)
    {
        if (profile.Command is null)
            throw SandboxerException.Config($"{spokeFile}: command: missing: a service's profile names the absolute path of its daemon");
        foreach (var section in ProfileReader.Sections)
            section.Validate(profile, spokeFile);
        LibrarySettings.Validate(profile);
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
