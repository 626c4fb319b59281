using System.Text;

namespace Sandboxer.Profiles;

/// <summary>Finds, checks and loads a service's profile over defaults.toml.</summary>
public static class ProfileStore
{
    public const string DefaultDirectory = "/etc/sandboxer";
    public const string HubName = "defaults";

    public static Profile Load(string directory, string name)
    {
        string hub = Path.Combine(directory, HubName + ".toml");
        string spoke = Path.Combine(directory, name + ".toml");
        return Load(name, hub, spoke, isHub => Read(isHub ? hub : spoke));
    }

    /// <summary>
    /// The profile from both files' bytes, once they are trusted: decoded, parsed, applied and
    /// checked. Every rejection is a configuration error at a file:line:column.
    /// </summary>
    public static Profile Load(string name, byte[] hubBytes, string hub, byte[] spokeBytes, string spoke) =>
        Load(name, hub, spoke, isHub => isHub ? hubBytes : spokeBytes);

    /// <summary>The hub is read and applied before the spoke is read: its errors come first.</summary>
    private static Profile Load(string name, string hub, string spoke, Func<bool, byte[]> read)
    {
        var profile = new Profile { Name = name };
        ProfileReader.Apply(profile, TomlTree.Parse(Decode(read(true), hub), hub), isHub: true);
        ProfileReader.Apply(profile, TomlTree.Parse(Decode(read(false), spoke), spoke), isHub: false);
        Validate(profile, spoke);
        return profile;
    }

    /// <summary>Checks that span both files; bwrap would refuse these only once started.</summary>
    public static void Validate(Profile profile, string spokeFile)
    {
        if (profile.Command is null)
            throw SandboxerException.Config($"{spokeFile}:1:1: command: missing: a service's profile names the absolute path of its daemon");
        foreach (var section in ProfileReader.Sections)
            section.Validate(profile, spokeFile);
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
