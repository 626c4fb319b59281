using System.Text;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>The published NativeAOT binary, run as an admin runs it, with the system's real bwrap.</summary>
public sealed class CoreTests : IDisposable
{
    /// <summary>A shell that prints each of its arguments followed by a NUL.</summary>
    private const string Echo = """
        command = "/bin/sh"
        args = ["-c", 'for a in "$@"; do printf "%s\0" "$a"; done', "sh"]
        [sandbox]
        """ + "\n" + ProfileDirectory.ShellMounts + "\n";

    /// <summary>A shell with /proc, to look at itself from inside.</summary>
    private const string Probe = "command = \"/bin/sh\"\n[sandbox]\nproc = \"/proc\"\n" + ProfileDirectory.ShellMounts + "\n";

    private const string ReadStatus = "while read l; do case $l in Sig*) echo $l;; esac; done < /proc/self/status";
    private const string ListDescriptors = "for f in /proc/self/fd/*; do printf '%s ' \"${f##*/}\"; done";

    private readonly ProfileDirectory profiles = new();

    public CoreTests()
    {
        profiles.Write("echo", Echo);
        profiles.Write("probe", Probe);
    }

    public void Dispose() => profiles.Dispose();

    private static readonly byte[][] Awkward =
    [
        "two words"u8.ToArray(), [], "--"u8.ToArray(), "--help"u8.ToArray(), "line\nbreak"u8.ToArray(),
        "trailing\n"u8.ToArray(), "it's \"quoted\""u8.ToArray(), "$HOME `id` *"u8.ToArray(), "é€"u8.ToArray(),
        [0xff, 0xfe, (byte)'x', 0x80], [0xc3, 0x28],
    ];

    private RunResult Sandboxer(params string[] args) => Runner.Run(Published.Binary, args, profiles.Environment());

    [Fact]
    public void A_bwrap_link_runs_the_profile_it_is_named_after()
    {
        var result = Runner.Run(profiles.Link("echo"), ["hello"], profiles.Environment());
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["hello"], result.NulSeparated().Select(Encoding.UTF8.GetString));
    }

    [Fact]
    public void Awkward_arguments_reach_the_daemon_byte_for_byte_through_the_link()
    {
        var result = Runner.Run(profiles.Link("echo"), Awkward, profiles.Environment());
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(Awkward, result.NulSeparated());
    }

    [Fact]
    public void Awkward_arguments_reach_the_daemon_byte_for_byte_through_run()
    {
        var args = new List<byte[]> { "run"u8.ToArray(), "echo"u8.ToArray(), "--"u8.ToArray() };
        args.AddRange(Awkward);
        var result = Runner.Run(Published.Binary, args, profiles.Environment());
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(Awkward, result.NulSeparated());
    }

    [Fact]
    public void The_pid_the_caller_started_is_bwrap()
    {
        profiles.Write("sleeper", "command = \"/bin/sleep\"\nargs = [\"30\"]\n[sandbox]\n" + ProfileDirectory.ShellMounts + "\n");
        using var process = Runner.Start(profiles.Link("sleeper"), [], profiles.Environment());
        try
        {
            string exe = "";
            for (int i = 0; i < 100 && exe != Published.Bwrap; i++)
            {
                Thread.Sleep(100);
                try { exe = File.ResolveLinkTarget($"/proc/{process.Id}/exe", false)?.FullName ?? ""; }
                catch (IOException) { }
            }
            Assert.True(exe == Published.Bwrap, $"pid {process.Id} runs {exe}, not {Published.Bwrap}");
            Assert.False(process.HasExited);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    [Fact]
    public void Ignored_signals_and_the_signal_mask_are_reset_in_the_sandbox()
    {
        const string prelude = "trap '' HUP PIPE INT TERM";
        // Without a reset the caller's ignored signals would be inherited: the prelude does ignore
        // them (HUP, INT, PIPE, TERM: 0x5003), and so may whatever started the tests (nohup, &).
        var host = Runner.Run("/bin/sh", ["-c", ReadStatus], prelude: prelude);
        string ignored = host.Output.Split('\n').Single(l => l.StartsWith("SigIgn: ", StringComparison.Ordinal))["SigIgn: ".Length..];
        Assert.True((Convert.ToUInt64(ignored, 16) & 0x5003) == 0x5003, $"the prelude did not ignore HUP, INT, PIPE and TERM: {host.Output}");

        var result = Runner.Run(profiles.Link("probe"), ["-c", ReadStatus], profiles.Environment(), prelude);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("SigIgn: 0000000000000000", result.Output);
        Assert.Contains("SigBlk: 0000000000000000", result.Output);
    }

    [Fact]
    public void No_descriptor_but_0_1_2_reaches_the_sandbox_even_one_the_caller_left_open()
    {
        const string prelude = "exec 5</dev/null 7>/dev/null 9</etc/hostname";
        var host = Runner.Run("/bin/sh", ["-c", ListDescriptors], prelude: prelude);
        Assert.Contains(" 5 ", host.Output);

        var result = Runner.Run(profiles.Link("probe"), ["-c", ListDescriptors], profiles.Environment(), prelude);
        Assert.True(result.ExitCode == 0, result.ToString());
        // 3 is the shell's own handle on /proc/self/fd while it lists it.
        Assert.Equal("0 1 2 3 ", result.Output);
    }

    [Fact]
    public void Show_prints_a_line_that_sh_runs_as_the_same_argv()
    {
        string recorder = Path.Combine(profiles.Root, "record-bwrap");
        string record = Path.Combine(profiles.Root, "argv");
        File.WriteAllText(recorder, $"#!/bin/sh\nfor a in \"$0\" \"$@\"; do printf '%s\\0' \"$a\"; done > '{record}'\n");
        File.SetUnixFileMode(recorder, (UnixFileMode)Convert.ToInt32("755", 8));
        profiles.Write("recorded", $"bwrap = \"{recorder}\"\ncommand = \"/usr/bin/daemon\"\nargs = [\"--flag=it's\"]\n[sandbox]\nbind = [{{ from = \"/srv/a b\", to = \"/data\" }}]\nsetenv = {{ GREETING = \"hello world\" }}\n[stop]\nrelay = false\n");

        var run = Runner.Run(profiles.Link("recorded"), Awkward, profiles.Environment());
        Assert.True(run.ExitCode == 0, run.ToString());
        byte[] executed = File.ReadAllBytes(record);
        File.Delete(record);

        var show = Runner.Run(Published.Binary, new[] { "show"u8.ToArray(), "recorded"u8.ToArray() }.Concat(Awkward), profiles.Environment());
        Assert.True(show.ExitCode == 0, show.ToString());
        var pasted = Runner.Run("/bin/sh", ["-c"u8.ToArray(), show.Stdout]);
        Assert.True(pasted.ExitCode == 0, pasted.ToString());
        Assert.Equal(executed, File.ReadAllBytes(record));
    }

    [Fact]
    public void Debug_logging_shows_the_composed_command_on_stderr_before_exec()
    {
        var environment = profiles.Environment();
        environment["SANDBOXER_LOG"] = "debug";
        var result = Runner.Run(profiles.Link("echo"), ["x"], environment);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"sandboxer: debug: exec {Published.Bwrap} --unshare-all", result.Stderr);
        Assert.Equal(["x"], result.NulSeparated().Select(Encoding.UTF8.GetString));
    }

    [Fact]
    public void Version_and_help_print_to_stdout_and_exit_0()
    {
        var version = Sandboxer("--version");
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^sandboxer \d+\.\d+\.\d+", version.Output);
        var help = Sandboxer("--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("bwrap-NAME", help.Output);
    }

    /// <summary>Every error: one line on stderr in bwrap's style, nothing on stdout, no stack trace.</summary>
    private static void AssertFails(RunResult result, int exitCode, string message)
    {
        Assert.True(exitCode == result.ExitCode, result.ToString());
        Assert.Equal($"sandboxer: {message}\n", result.Stderr);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public void Unknown_key_fails_with_file_line_column_and_exit_78()
    {
        string file = profiles.Write("typo", "command = \"/bin/true\"\n[sandbox]\nshare-nett = true\n");
        AssertFails(Sandboxer("run", "typo"), 78, $"{file}:3:1: sandbox.share-nett: unknown key (did you mean \"share-net\"?)");
    }

    [Fact]
    public void Toml_syntax_error_fails_with_its_location_and_exit_78()
    {
        string file = profiles.Write("broken", "command = \"/bin/true\nx");
        var result = Sandboxer("show", "broken");
        Assert.Equal(78, result.ExitCode);
        Assert.StartsWith($"sandboxer: {file}:1:", result.Stderr);
        Assert.Contains("invalid TOML", result.Stderr);
    }

    [Fact]
    public void Missing_command_fails_with_exit_78()
    {
        string file = profiles.Write("nocommand", "[sandbox]\nshare-net = true\n");
        AssertFails(Sandboxer("run", "nocommand"), 78, $"{file}:1:1: command: missing: a service's profile names the absolute path of its daemon");
    }

    [Fact]
    public void Missing_profile_fails_with_exit_78()
    {
        AssertFails(Sandboxer("run", "nosuch"), 78, $"{profiles.Path}/nosuch.toml: no such profile");
    }

    [Fact]
    public void Invalid_name_in_the_link_fails_with_exit_64()
    {
        string link = Path.Combine(profiles.Bin, "bwrap-.hidden");
        File.CreateSymbolicLink(link, Published.Binary);
        AssertFails(Runner.Run(link, Array.Empty<string>(), profiles.Environment()), 64,
            "\"bwrap-.hidden\": not a valid profile name (letters, digits, '.', '_' and '-', starting with a letter or digit)");
    }

    [Fact]
    public void Unknown_option_fails_with_exit_64()
    {
        AssertFails(Sandboxer("--verbose", "run", "echo"), 64, "unknown option --verbose (see sandboxer --help)");
    }

    [Fact]
    public void Bad_log_level_fails_with_exit_64()
    {
        var environment = profiles.Environment();
        environment["SANDBOXER_LOG"] = "loud";
        AssertFails(Runner.Run(Published.Binary, ["run", "echo"], environment), 64,
            "SANDBOXER_LOG=loud: not a level (trace, debug, info, warning, error, off)");
    }

    [Fact]
    public void Missing_bwrap_fails_with_exit_127()
    {
        profiles.Write("nobwrap", "bwrap = \"/nonexistent/bwrap\"\ncommand = \"/bin/true\"\n");
        AssertFails(Sandboxer("run", "nobwrap"), 127, "cannot execute /nonexistent/bwrap: No such file or directory");
    }

    [Fact]
    public void Bwrap_that_cannot_be_executed_fails_with_exit_126()
    {
        string notProgram = Path.Combine(profiles.Root, "not-a-program");
        File.WriteAllText(notProgram, "data");
        profiles.Write("badbwrap", $"bwrap = \"{notProgram}\"\ncommand = \"/bin/true\"\n");
        AssertFails(Sandboxer("run", "badbwrap"), 126, $"cannot execute {notProgram}: Permission denied");
    }

    [Fact]
    public void Profile_writable_by_others_is_refused_with_exit_78()
    {
        string file = profiles.Write("loose", "command = \"/bin/true\"\n");
        File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32("646", 8));
        AssertFails(Sandboxer("run", "loose"), 78, $"{file}: not trusted: writable by others (mode 0646)");
    }

    [Fact]
    public void Profile_owned_by_another_user_is_refused_with_exit_78()
    {
        string file = profiles.Write("foreign", "command = \"/bin/true\"\n");
        Chown(file, 65534);
        AssertFails(Sandboxer("run", "foreign"), 78, $"{file}: not trusted: owned by uid 65534, not root");
    }

    [Fact]
    public void Defaults_writable_by_group_is_refused_with_exit_78()
    {
        string file = Path.Combine(profiles.Path, "defaults.toml");
        File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32("664", 8));
        AssertFails(Sandboxer("run", "echo"), 78, $"{file}: not trusted: writable by group (mode 0664)");
    }

    [Fact]
    public void Profile_in_a_directory_others_can_write_is_refused_with_exit_78()
    {
        File.SetUnixFileMode(profiles.Path, (UnixFileMode)Convert.ToInt32("777", 8));
        AssertFails(Sandboxer("run", "echo"), 78,
            $"{profiles.Path}/defaults.toml: not trusted: directory {profiles.Path} is writable by group and others (mode 0777)");
    }

    [Fact]
    public void Profile_linked_from_a_users_directory_is_refused_naming_the_real_file()
    {
        string userDir = Path.Combine(profiles.Root, "user");
        Directory.CreateDirectory(userDir);
        string real = Path.Combine(userDir, "evil.toml");
        File.WriteAllText(real, "command = \"/bin/sh\"\n");
        Chown(userDir, 65534);
        string link = Path.Combine(profiles.Path, "evil.toml");
        File.CreateSymbolicLink(link, real);
        AssertFails(Sandboxer("run", "evil"), 78, $"{link}: not trusted: directory {userDir} is owned by uid 65534, not root");
    }

    private static void Chown(string path, int uid)
    {
        var result = Runner.Run("/bin/chown", [uid.ToString(System.Globalization.CultureInfo.InvariantCulture), path]);
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
