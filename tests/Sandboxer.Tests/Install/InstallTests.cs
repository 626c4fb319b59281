using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Install;

/// <summary>`sandboxer install` through the published binary, into root-owned directories under /tmp.</summary>
public sealed class InstallTests : IDisposable
{
    private readonly ProfileDirectory profiles = new();
    private readonly string links, init, backups, script;

    public InstallTests()
    {
        links = Directory.CreateDirectory(Path.Combine(profiles.Root, "links")).FullName;
        init = Directory.CreateDirectory(Path.Combine(profiles.Root, "init.d")).FullName;
        backups = Path.Combine(profiles.Root, "backups");
        script = Path.Combine(init, "monerod");
        File.Copy(Path.Combine(SeedScripts.Directory, "monerod.orig.initd"), script);
        File.SetUnixFileMode(script, (UnixFileMode)Convert.ToInt32("755", 8));
        profiles.Write("monerod", File.ReadAllText(Path.Combine(Published.RepositoryRoot, "profiles", "monerod.toml")));
    }

    public void Dispose() => profiles.Dispose();

    private RunResult Install(params string[] extra) =>
        Runner.Run(profiles.Sandboxer, ["install", "monerod", "--link-dir", links, "--init-dir", init, "--backup-dir", backups, .. extra], profiles.Environment());

    [Fact]
    public void Dry_run_prints_the_diff_and_changes_nothing()
    {
        string before = File.ReadAllText(script);
        var result = Install("--openrc", "monerod", "--dry-run");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"--- {script}\n+++ {script}\n@@ ", result.Output);
        Assert.Contains("-command=/usr/bin/monerod\n+supervisor=\"supervise-daemon\"\n+\n+command=" + Path.Combine(links, "bwrap-monerod") + "\n", result.Output);
        Assert.Equal(before, File.ReadAllText(script));
        Assert.Empty(Directory.GetFileSystemEntries(links));
        Assert.False(Directory.Exists(backups));
    }

    [Fact]
    public void Install_links_rewrites_keeps_the_original_and_a_second_run_changes_nothing()
    {
        string original = File.ReadAllText(script);
        var result = Install("--openrc", "monerod");
        Assert.True(result.ExitCode == 0, result.ToString());
        string link = Path.Combine(links, "bwrap-monerod");
        Assert.Equal(profiles.Sandboxer, new FileInfo(link).LinkTarget);
        Assert.Equal(original, File.ReadAllText(Path.Combine(backups, "monerod.initd")));
        Assert.Equal("0700", Sandboxer.Trust.TrustedPath.Mode((int)File.GetUnixFileMode(backups)));
        Assert.Equal("0755", Sandboxer.Trust.TrustedPath.Mode((int)File.GetUnixFileMode(script)));
        string rewritten = File.ReadAllText(script);
        Assert.Contains($"command={link}\n", rewritten);
        Assert.Contains($"{profiles.Sandboxer} --profile-dir {profiles.Path} signal monerod HUP", rewritten);
        Assert.Equal(["monerod"], Directory.GetFileSystemEntries(init).Select(Path.GetFileName));

        var again = Install("--openrc", "monerod");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal($"unchanged {script}\nunchanged {link} -> {profiles.Sandboxer}\n", again.Output);
        Assert.Equal(rewritten, File.ReadAllText(script));
    }

    [Fact]
    public void The_old_wrapper_script_at_the_links_name_is_never_replaced()
    {
        string old = Path.Combine(links, "bwrap-monerod");
        File.WriteAllText(old, "#!/bin/sh\nexec bwrap ...\n");
        var result = Install();
        Assert.Equal(ExitCodes.CannotCreate, result.ExitCode);
        Assert.Contains("not a link to sandboxer", result.Stderr);
        Assert.Equal("#!/bin/sh\nexec bwrap ...\n", File.ReadAllText(old));
    }

    [Fact]
    public void A_link_to_anything_but_sandboxer_is_left_alone()
    {
        string link = Path.Combine(links, "bwrap-monerod");
        File.CreateSymbolicLink(link, "/bin/sh");
        var result = Install();
        Assert.Equal(ExitCodes.CannotCreate, result.ExitCode);
        Assert.Equal("/bin/sh", new FileInfo(link).LinkTarget);
    }

    [Fact]
    public void A_link_directory_another_user_may_write_is_refused()
    {
        File.SetUnixFileMode(links, (UnixFileMode)Convert.ToInt32("777", 8));
        var result = Install();
        Assert.Equal(ExitCodes.Config, result.ExitCode);
        Assert.Contains("writable by group and others", result.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(links));
    }

    [Fact]
    public void A_profile_that_does_not_load_is_not_installed()
    {
        profiles.Write("monerod", "command = \"/usr/bin/monerod\"\n[sandbox]\nshare-nett = true\n");
        var result = Install("--openrc", "monerod");
        Assert.Equal(ExitCodes.Config, result.ExitCode);
        Assert.Contains("did you mean \"share-net\"", result.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(links));
        Assert.Equal(File.ReadAllText(Path.Combine(SeedScripts.Directory, "monerod.orig.initd")), File.ReadAllText(script));
    }
}
