using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// The relay's state root must be root's alone, and nothing under it is followed as a link or
/// created anywhere but where it belongs: issue 8's races and denials of service.
/// </summary>
public sealed class StateRootTests : IDisposable
{
    private readonly ProfileDirectory profiles = new();

    public void Dispose() => profiles.Dispose();

    /// <summary>A profile of /bin/true with its own state root.</summary>
    private void Write(string name, string stateRoot) =>
        profiles.Write(name, $"command = \"/bin/true\"\n[sandbox]\n{ProfileDirectory.ShellMounts}\n[stop]\nstate = \"{stateRoot}\"\n");

    private RunResult Start(string name, Account who = Account.Root) =>
        Accounts.Run(who, profiles.Link(name), [], profiles.Environment(), timeoutSeconds: 30);

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void A_state_root_another_user_owns_is_refused_and_nothing_is_made_in_it(Account who)
    {
        string root = Accounts.OwnedDirectory(Account.Other, Path.Combine(profiles.Root, "userstate"));
        Write("owned", root);

        var result = Start("owned", who);

        Assert.Equal(78, result.ExitCode);
        Assert.Equal($"sandboxer: {root} (the relay's state root, [stop] state): not trusted: directory {root} is owned by uid {Accounts.OtherUid}, not root\n", result.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(root));
    }

    [Fact]
    public void A_sticky_state_root_open_to_all_is_refused()
    {
        string root = Path.Combine(profiles.Root, "sticky");
        Directory.CreateDirectory(root);
        File.SetUnixFileMode(root, (UnixFileMode)Convert.ToInt32("1777", 8));
        Write("sticky", root);

        var result = Start("sticky");

        Assert.Equal(78, result.ExitCode);
        Assert.Equal($"sandboxer: {root} (the relay's state root, [stop] state): not trusted: writable by group and others (mode 1777): it must be root's alone " +
            "(as /run/sandboxer, mode 0755), so that no other user can make or replace a service's directory in it\n", result.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(root));
    }

    [Fact]
    public void A_state_root_below_a_users_directory_is_refused()
    {
        string user = Accounts.OwnedDirectory(Account.Other, Path.Combine(profiles.Root, "user"));
        string root = Path.Combine(user, "state");
        Directory.CreateDirectory(root);
        Write("below", root);

        var result = Start("below");

        Assert.Equal(78, result.ExitCode);
        Assert.Contains($"not trusted: directory {user} is owned by uid {Accounts.OtherUid}, not root", result.Stderr);
    }

    [Fact]
    public void A_link_planted_as_the_services_directory_makes_nothing_where_it_points()
    {
        // Only root could plant it in a root-owned root: it stands for the race of issue 8, where
        // a user swapped the directory for a link between Sandboxer's check and its use.
        string target = Accounts.OwnedDirectory(Account.Other, Path.Combine(profiles.Root, "target"));
        File.CreateSymbolicLink(Path.Combine(profiles.State, "linked"), target);
        profiles.Write("linked", $"command = \"/bin/true\"\n[sandbox]\n{ProfileDirectory.ShellMounts}\n");

        var result = Start("linked");

        Assert.Equal(78, result.ExitCode);
        Assert.Contains("not a directory (a link or a file is in its place)", result.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(target));
    }

    [Fact]
    public void A_lock_the_services_user_linked_elsewhere_is_refused_and_its_target_untouched()
    {
        profiles.Write("planted", $"command = \"/bin/true\"\n[sandbox]\n{ProfileDirectory.ShellMounts}\n");
        string state = profiles.PrepareState("planted", Account.Service);
        string target = Path.Combine(Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "svc")), "precious");
        File.WriteAllText(target, "keep me");
        var plant = Accounts.Run(Account.Service, "/bin/ln", ["-s", target, Path.Combine(state, "lock")]);
        Assert.True(plant.ExitCode == 0, plant.ToString());

        var result = Start("planted", Account.Service);

        Assert.Equal(78, result.ExitCode);
        Assert.Equal($"sandboxer: {state}/lock: is a symbolic link; the relay's lock must be a plain file: remove it\n", result.Stderr);
        Assert.Equal("keep me", File.ReadAllText(target));
    }

    [Fact]
    public void Another_user_cannot_keep_a_service_from_starting()
    {
        // In a root-owned state root nobody else can make the service's directory first.
        profiles.Write("guarded", $"command = \"/bin/true\"\n[sandbox]\n{ProfileDirectory.ShellMounts}\n");
        var squat = Accounts.Run(Account.Other, "/bin/mkdir", [Path.Combine(profiles.State, "guarded")]);
        Assert.NotEqual(0, squat.ExitCode);

        var asRoot = Start("guarded");

        Assert.True(asRoot.ExitCode == 0, asRoot.ToString());
        Assert.Equal(0, Accounts.Owner(Path.Combine(profiles.State, "guarded")));
    }

    [Fact]
    public void A_start_as_the_service_after_one_as_root_is_told_exactly_what_to_do()
    {
        profiles.Write("switched", $"command = \"/bin/true\"\n[sandbox]\n{ProfileDirectory.ShellMounts}\n");
        Assert.Equal(0, Start("switched").ExitCode);
        string state = Path.Combine(profiles.State, "switched");

        var result = Start("switched", Account.Service);

        Assert.Equal(78, result.ExitCode);
        Assert.Equal($"sandboxer: {state}: owned by root (a start as root made it), but the service runs as uid {Accounts.ServiceUid}: " +
            $"give it and what is in it to that user, as root: chown -R {Accounts.ServiceUid} {state}\n",
            result.Stderr);

        // Done as it says, the service starts.
        Assert.Equal(0, Runner.Run("chown", ["-R", Accounts.ServiceUid.ToString(System.Globalization.CultureInfo.InvariantCulture), state]).ExitCode);
        var retried = Start("switched", Account.Service);
        Assert.True(retried.ExitCode == 0, retried.ToString());
    }

    [Fact]
    public void Root_makes_a_missing_state_root_root_owned_and_closed_to_others()
    {
        string root = Path.Combine(profiles.Root, "fresh");
        Write("fresh", root);

        var result = Start("fresh");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(0, Accounts.Owner(root));
        Assert.Equal((UnixFileMode)Convert.ToInt32("755", 8), File.GetUnixFileMode(root));
        Assert.Equal((UnixFileMode)Convert.ToInt32("700", 8), File.GetUnixFileMode(Path.Combine(root, "fresh")));
    }
}
