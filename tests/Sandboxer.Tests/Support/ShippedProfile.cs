namespace Sandboxer.Tests.Support;

/// <summary>
/// A shipped profile (profiles/NAME.toml) as the real-daemon tests run it: the shipped text, over
/// the shipped hub (<see cref="ProfileDirectory"/>), with only the host side of the service's data
/// paths moved into a test's own directories. <see cref="Data"/> replaces the quoted path "P" by
/// { from = "HOST", to = "P" }: the daemon sees the same path it sees on the server, the binary,
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
        Text = Text[..first] + Toml.Bind(hostPath, sandboxPath) + Text[(first + quoted.Length)..];
        return this;
    }

    /// <summary>Writes it into <paramref name="profiles"/> under its shipped name.</summary>
    public string WriteTo(ProfileDirectory profiles) => profiles.Write(Name, Text);
}
