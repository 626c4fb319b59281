using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// A profile is used only when no user but root could have chosen what it says: the profile
/// directory as named, every directory and link on the way to each file, and the file itself
/// must be root's. The attacks of issue 8 with user-owned directories and links.
/// </summary>
public sealed class ProfileTrustTests : IDisposable
{
    private const string Demo = "command = \"/bin/sh\"\n[sandbox]\n" + ProfileDirectory.ShellMounts + "\n";
    private readonly ProfileDirectory profiles = new();

    public ProfileTrustTests() => profiles.Write("demo", Demo);

    public void Dispose() => profiles.Dispose();

    private RunResult Show(string directory, string name = "demo") =>
        Runner.Run(Published.Binary, ["--profile-dir", directory, "show", name]);

    private static void AssertRefused(RunResult result, string message)
    {
        Assert.True(result.ExitCode == 78, result.ToString());
        Assert.Equal($"sandboxer: {message}\n", result.Stderr);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public void A_users_directory_of_links_to_root_owned_files_is_refused()
    {
        // The attack: the hub swapped for an empty root-owned file, the spoke taken from /etc.
        string dir = Accounts.OwnedDirectory(Account.Other, Path.Combine(profiles.Root, "user"));
        string empty = Path.Combine(profiles.Root, "empty");
        File.WriteAllText(empty, "");
        File.CreateSymbolicLink(Path.Combine(dir, "defaults.toml"), empty);
        File.CreateSymbolicLink(Path.Combine(dir, "demo.toml"), Path.Combine(profiles.Path, "demo.toml"));

        AssertRefused(Show(dir), $"{dir}/defaults.toml: not trusted: directory {dir} is owned by uid {Accounts.OtherUid}, not root");
    }

    [Fact]
    public void A_users_link_planted_in_a_sticky_profile_directory_is_refused()
    {
        File.SetUnixFileMode(profiles.Path, (UnixFileMode)Convert.ToInt32("1777", 8));
        string link = Path.Combine(profiles.Path, "planted.toml");
        var plant = Accounts.Run(Account.Other, "/bin/ln", ["-s", Path.Combine(profiles.Path, "demo.toml"), link]);
        Assert.True(plant.ExitCode == 0, plant.ToString());

        AssertRefused(Show(profiles.Path, "planted"), $"{link}: not trusted: link {link} is owned by uid {Accounts.OtherUid}, not root");
    }

    [Fact]
    public void A_users_file_in_a_sticky_profile_directory_is_refused()
    {
        File.SetUnixFileMode(profiles.Path, (UnixFileMode)Convert.ToInt32("1777", 8));
        string file = Path.Combine(profiles.Path, "mine.toml");
        var plant = Accounts.Run(Account.Other, "/bin/sh", ["-c", $"echo 'command = \"/bin/sh\"' > {file}"]);
        Assert.True(plant.ExitCode == 0, plant.ToString());

        AssertRefused(Show(profiles.Path, "mine"), $"{file}: not trusted: owned by uid {Accounts.OtherUid}, not root");
    }

    [Fact]
    public void A_hard_link_to_a_root_owned_file_in_a_sticky_profile_directory_is_refused()
    {
        // Where fs.protected_hardlinks is 0, any user can give a root-owned file a second name
        // in a sticky directory; the link is made as root here, which leaves the same entry.
        File.SetUnixFileMode(profiles.Path, (UnixFileMode)Convert.ToInt32("1777", 8));
        string empty = Path.Combine(profiles.Root, "empty");
        File.WriteAllText(empty, "");
        string hub = Path.Combine(profiles.Path, "defaults.toml");
        File.Delete(hub);
        var link = Runner.Run("/bin/ln", [empty, hub]);
        Assert.True(link.ExitCode == 0, link.ToString());

        AssertRefused(Show(profiles.Path), $"{hub}: not trusted: it has 2 names, and directory {profiles.Path} is writable by group and others, " +
            "where another user could have made one of them: keep profiles in a directory only root may write");
    }

    [Fact]
    public void A_hard_link_in_a_directory_only_root_may_write_is_followed()
    {
        string copy = Path.Combine(profiles.Root, "demo-copy.toml");
        var link = Runner.Run("/bin/ln", [Path.Combine(profiles.Path, "demo.toml"), copy]);
        Assert.True(link.ExitCode == 0, link.ToString());

        var result = Show(profiles.Path);

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public void A_profile_directory_reached_through_a_users_link_is_refused()
    {
        string userDir = Accounts.OwnedDirectory(Account.Other, Path.Combine(profiles.Root, "home"));
        string link = Path.Combine(userDir, "etc");
        var plant = Accounts.Run(Account.Other, "/bin/ln", ["-s", profiles.Path, link]);
        Assert.True(plant.ExitCode == 0, plant.ToString());

        AssertRefused(Show(link), $"{link}/defaults.toml: not trusted: directory {userDir} is owned by uid {Accounts.OtherUid}, not root");
    }

    [Fact]
    public void A_users_link_as_the_profile_directory_itself_is_refused_even_in_a_root_directory()
    {
        // In a sticky root-owned directory such as /tmp: the link is the user's, whatever it points to.
        string sticky = Path.Combine(profiles.Root, "sticky");
        Directory.CreateDirectory(sticky);
        File.SetUnixFileMode(sticky, (UnixFileMode)Convert.ToInt32("1777", 8));
        string link = Path.Combine(sticky, "profiles");
        var plant = Accounts.Run(Account.Other, "/bin/ln", ["-s", profiles.Path, link]);
        Assert.True(plant.ExitCode == 0, plant.ToString());

        AssertRefused(Show(link), $"{link}/defaults.toml: not trusted: link {link} is owned by uid {Accounts.OtherUid}, not root");
    }

    [Fact]
    public void Root_owned_links_at_every_level_are_followed()
    {
        // A link to the directory, a relative link with .. to the spoke, an absolute one to the hub.
        string shared = Path.Combine(profiles.Root, "shared");
        Directory.CreateDirectory(shared);
        File.Move(Path.Combine(profiles.Path, "demo.toml"), Path.Combine(shared, "demo.toml"));
        File.CreateSymbolicLink(Path.Combine(profiles.Path, "demo.toml"), "../shared/demo.toml");
        File.Move(Path.Combine(profiles.Path, "defaults.toml"), Path.Combine(shared, "defaults.toml"));
        File.CreateSymbolicLink(Path.Combine(profiles.Path, "defaults.toml"), Path.Combine(shared, "defaults.toml"));
        string dirLink = Path.Combine(profiles.Root, "etc-link");
        File.CreateSymbolicLink(dirLink, profiles.Path);

        var result = Show(dirLink);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(" /bin/sh\n", result.Output);
    }

    [Fact]
    public void A_directory_on_the_way_that_a_group_may_write_is_refused()
    {
        File.SetUnixFileMode(profiles.Root, (UnixFileMode)Convert.ToInt32("775", 8));
        AssertRefused(Show(profiles.Path), $"{profiles.Path}/defaults.toml: not trusted: directory {profiles.Root} is writable by group (mode 0775)");
    }

    [Fact]
    public void A_fifo_as_a_profile_is_refused_without_hanging()
    {
        var fifo = Runner.Run("mkfifo", [Path.Combine(profiles.Path, "fifo.toml")]);
        Assert.True(fifo.ExitCode == 0, fifo.ToString());
        AssertRefused(Show(profiles.Path, "fifo"), $"{profiles.Path}/fifo.toml: not a regular file");
    }
}
