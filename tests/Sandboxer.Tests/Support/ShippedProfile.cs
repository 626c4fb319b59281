using System.Text.RegularExpressions;

namespace Sandboxer.Tests.Support;

/// <summary>
/// A shipped profile (profiles/NAME.toml) as the real-daemon tests run it: the shipped text, over
/// the shipped hub (<see cref="ProfileDirectory"/>), with only the host side of the service's data
/// paths moved into a test's own directories. <see cref="Data"/> replaces the quoted path "P" by
/// { from = "HOST", to = "P" }, or the server's side of a bind that already maps one, such as
/// monerod.toml's { from = "/mnt/tank1/monerod", to = "/data" }: the daemon sees the same path it
/// sees on the server, the binary,
/// its libraries and every other bind stay as shipped. A path that is not in the profile exactly
/// once fails the test, so a change to the shipped profile cannot make a test silently run
/// something other than what ships.
/// </summary>
public sealed class ShippedProfile
{
    public string Name { get; }
    public string Text { get; private set; }

    private ShippedProfile(string name, string text)
    {
        Name = name;
        Text = text;
    }

    public static ShippedProfile Read(string name) =>
        new(name, File.ReadAllText(Path.Combine(Published.RepositoryRoot, "profiles", name + ".toml")));

    /// <summary>The sandbox's <paramref name="sandboxPath"/>, a data bind of the shipped profile, from <paramref name="hostPath"/>.</summary>
    public ShippedProfile Data(string sandboxPath, string hostPath)
    {
        string quoted = Toml.Quote(sandboxPath);
        int first = Text.IndexOf(quoted, StringComparison.Ordinal);
        Assert.True(first >= 0, $"profiles/{Name}.toml no longer binds {quoted}: the test's substitution needs updating");
        Assert.True(Text.IndexOf(quoted, first + quoted.Length, StringComparison.Ordinal) < 0,
            $"profiles/{Name}.toml names {quoted} more than once: the test cannot tell which one is the data bind");
        var mapped = MappedBind(quoted).Match(Text);
        Text = mapped.Success
            ? Text[..mapped.Index] + Toml.Bind(hostPath, sandboxPath) + Text[(mapped.Index + mapped.Length)..]
            : Text[..first] + Toml.Bind(hostPath, sandboxPath) + Text[(first + quoted.Length)..];
        return this;
    }

    /// <summary>An inline table { from = "SERVER", to = P } as the shipped profiles write it.</summary>
    private static Regex MappedBind(string quotedTo) =>
        new(@"\{\s*from\s*=\s*""[^""]*""\s*,\s*to\s*=\s*" + Regex.Escape(quotedTo) + @"\s*\}");

    /// <summary>Writes it into <paramref name="profiles"/> under its shipped name.</summary>
    public string WriteTo(ProfileDirectory profiles) => profiles.Write(Name, Text);
}
