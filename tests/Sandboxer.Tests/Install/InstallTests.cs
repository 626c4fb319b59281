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
        // Over the shipped defaults, a profile check passes here (the shipped monerod.toml names files this machine
        // lacks) and has little to look at: a static program, bound alone.
        profiles.Write("monerod", $"""
            command = "{program}"
            [sandbox]
            ro-bind = ["{program}"]
            """);
        wrapper = $"""
            #!/bin/sh
            # The old way.
            exec bwrap --unshare-all --unshare-user --disable-userns --clearenv --cap-drop ALL --new-session --die-with-parent \
                --hostname host --dev /dev --tmpfs /tmp --ro-bind {program} {program} \
                {program} "$@"

            """;
    }

    private static readonly string program = Probes.Build("net-rules");

    /// <summary>The wrapper script the profile above stands for, with the shipped defaults written out as bwrap options.</summary>
    private readonly string wrapper;

    private string WriteWrapper(string text, string mode = "755")
    {
        string path = Path.Combine(links, "bwrap-monerod");
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(mode, 8));
        return path;
    }

    /// <summary>Refused with 73 and the reason, the script and the init script as they were, no backup made.</summary>
    private void AssertKept(RunResult result, string wrapper, string text, string why)
    {
        Assert.True(result.ExitCode == ExitCodes.CannotCreate, result.ToString());
        Assert.Contains($"{wrapper}: already there and not a link to sandboxer, nor provably the wrapper script the profile replaces (", result.Stderr);
        Assert.Contains(why, result.Stderr);
        Assert.Contains("nothing replaced: move it away first", result.Stderr);
        Assert.Null(new FileInfo(wrapper).LinkTarget);
        Assert.Equal(text, File.ReadAllText(wrapper));
        Assert.Equal(File.ReadAllText(Path.Combine(SeedScripts.Directory, "monerod.orig.initd")), File.ReadAllText(script));
        Assert.False(Directory.Exists(backups));
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
    public void A_file_that_is_no_wrapper_script_at_the_links_name_is_never_replaced()
    {
        string old = WriteWrapper("#!/bin/sh\nexec bwrap ...\n");
        AssertKept(Install("--openrc", "monerod"), old, "#!/bin/sh\nexec bwrap ...\n", "import cannot read it as a wrapper script: " + old + ":2: ...: bwrap would look the command up");
    }

    [Fact]
    public void The_old_wrapper_script_the_profile_reproduces_is_replaced_by_the_link_and_kept_and_a_second_run_changes_nothing()
    {
        string path = WriteWrapper(wrapper);
        var dryRun = Install("--openrc", "monerod", "--dry-run");
        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        Assert.Contains($"would replace {path}, the old wrapper script (the profile makes the sandbox it makes), with a link to {profiles.Sandboxer}; the script would be kept in {backups}\n", dryRun.Output);
        Assert.Equal(wrapper, File.ReadAllText(path));
        Assert.False(Directory.Exists(backups));

        var result = Install("--openrc", "monerod");
        Assert.True(result.ExitCode == 0, result.ToString());
        string backup = Path.Combine(backups, "bwrap-monerod");
        Assert.EndsWith($"replaced {path}, the old wrapper script (the profile makes the sandbox it made), with a link -> {profiles.Sandboxer} (the script is {backup})\n", result.Output);
        Assert.Equal(profiles.Sandboxer, new FileInfo(path).LinkTarget);
        Assert.Equal(wrapper, File.ReadAllText(backup));
        Assert.Equal(["bwrap-monerod"], Directory.GetFileSystemEntries(links).Select(Path.GetFileName));

        var again = Install("--openrc", "monerod");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal($"unchanged {script}\nunchanged {path} -> {profiles.Sandboxer}\n", again.Output);
        Assert.Equal(["bwrap-monerod", "monerod.initd"], Directory.GetFiles(backups).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void A_wrapper_script_that_makes_another_sandbox_is_kept_and_the_init_script_is_not_rewritten()
    {
        string text = wrapper.Replace("--die-with-parent", "--die-with-parent --share-net");
        string old = WriteWrapper(text);
        AssertKept(Install("--openrc", "monerod"), old, text, "profile monerod does not make the sandbox it makes: the profile would compose other options (--share-net)");
    }

    [Fact]
    public void A_wrapper_script_that_drops_its_callers_arguments_is_kept()
    {
        string text = wrapper.Replace(" \"$@\"", "");
        string old = WriteWrapper(text);
        AssertKept(Install(), old, text, "it drops its caller's arguments, which the link passes to the daemon");
    }

    [Fact]
    public void A_wrapper_script_that_runs_another_bwrap_is_kept()
    {
        string text = wrapper.Replace("exec bwrap ", "exec /opt/bwrap-0.4/bwrap ");
        string old = WriteWrapper(text);
        AssertKept(Install(), old, text, $"it runs /opt/bwrap-0.4/bwrap, and the profile {Published.Bwrap}");
    }

    [Fact]
    public void A_wrapper_script_with_an_option_that_takes_a_descriptor_is_kept()
    {
        string text = wrapper.Replace("--die-with-parent", "--die-with-parent --sync-fd 3");
        string old = WriteWrapper(text);
        AssertKept(Install(), old, text, "import cannot read it as a wrapper script: " + old + ":3: --sync-fd takes a file descriptor");
    }

    [Fact]
    public void A_wrapper_script_others_may_write_is_kept()
    {
        string old = WriteWrapper(wrapper, "757");
        AssertKept(Install(), old, wrapper, "writable by others");
    }

    [Fact]
    public void A_wrapper_script_another_user_owns_is_kept()
    {
        string path = WriteWrapper(wrapper);
        Assert.Equal(0, Runner.Run("chown", [Accounts.ServiceUid.ToString(System.Globalization.CultureInfo.InvariantCulture), path]).ExitCode);
        AssertKept(Install(), path, wrapper, "not root");
    }

    [Fact]
    public void A_wrapper_script_that_sources_a_file_others_may_write_is_kept()
    {
        string shared = Path.Combine(profiles.Root, "bwrap-defaults");
        File.WriteAllText(shared, "DEFAULTS=\"--unshare-all\"\n");
        File.SetUnixFileMode(shared, (UnixFileMode)Convert.ToInt32("666", 8));
        string text = wrapper.Replace("# The old way.", $". {shared}");
        string old = WriteWrapper(text);
        AssertKept(Install(), old, text, $"{shared}: not trusted: writable by group and others");
    }

    [Fact]
    public void A_wrapper_script_that_would_run_a_command_is_kept_and_not_run()
    {
        string marker = Path.Combine(profiles.Root, "ran");
        string text = wrapper.Replace("# The old way.", $"X=$(touch {marker})");
        string old = WriteWrapper(text);
        AssertKept(Install(), old, text, "command substitution");
        Assert.False(File.Exists(marker), "install ran the script");
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
    public void A_profile_check_finds_errors_in_is_not_installed_and_the_errors_are_printed()
    {
        string missing = Path.Combine(profiles.Root, "missing");
        string profile = profiles.Write("monerod", $"""
            command = "{program}"
            [sandbox]
            ro-bind = ["{program}"]
            bind = ["{missing}"]
            """);
        var result = Install("--openrc", "monerod");
        Assert.Equal(ExitCodes.Config, result.ExitCode);
        Assert.Contains($"sandboxer: {profile}:4:9: error: sandbox.bind: {missing} does not exist", result.Stderr);
        Assert.EndsWith("sandboxer: install: monerod: 1 error (sandboxer check monerod); nothing installed\n", result.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(links));
        Assert.Equal(File.ReadAllText(Path.Combine(SeedScripts.Directory, "monerod.orig.initd")), File.ReadAllText(script));
    }

    [Fact]
    public void A_profile_check_only_warns_about_is_installed_with_the_warnings_shown()
    {
        // A link inside a bound directory that leads to a file no mount brings in (/etc is not, /tmp is a tmpfs): check's warning.
        string shown = Directory.CreateDirectory(Path.Combine(profiles.Root, "shown")).FullName;
        File.CreateSymbolicLink(Path.Combine(shown, "link"), "/etc/passwd");
        string profile = profiles.Write("monerod", $"""
            command = "{program}"
            [sandbox]
            ro-bind = ["{program}", "{shown}"]
            """);
        var result = Install();
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"sandboxer: {profile}:3:{16 + program.Length}: warning: sandbox.ro-bind: a link in {shown} lead into /etc, ", result.Stderr);
        Assert.Equal(profiles.Sandboxer, new FileInfo(Path.Combine(links, "bwrap-monerod")).LinkTarget);
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
