using System.Text;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// The stop relay against a compromised daemon and careless callers (issue 8): the daemon
/// cannot freeze it or write into it, it refuses to run anywhere but as a sandbox's PID 1,
/// it never makes a file on the host, and what it hands the daemon is exactly the profile's.
/// </summary>
public sealed class RelayHardeningTests : IDisposable
{
    private readonly ProfileDirectory profiles = new();

    public void Dispose() => profiles.Dispose();

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void The_daemon_can_neither_trace_nor_write_into_the_relay_and_the_stop_still_reaches_it(Account who)
    {
        string probe = Probes.Build("relay-attack");
        profiles.Write("attacker", $"command = \"{probe}\"\n[sandbox]\nproc = \"/proc\"\nro-bind = [\"{probe}\"]\n");
        using var process = Accounts.Start(who, profiles.Link("attacker", who), [], profiles.Environment());
        var output = new StringBuilder();
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is not null)
            {
                lock (output)
                    output.Append(line.Data).Append('\n');
            }
        };
        process.BeginOutputReadLine();
        string Output()
        {
            lock (output)
                return output.ToString();
        }

        try
        {
            Assert.True(Processes.WaitUntil(() => Output().Contains("ready\n"), 20), $"the probe did not get ready: {Output()}");
            // A supervisor's stop: bwrap gets SIGTERM, the relay gives the daemon its own.
            Assert.Equal(0, Runner.Run("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode);
            Assert.True(process.WaitForExit(20_000), "bwrap did not exit");
            // The daemon holds the output open for as long as it lives: wait for its last word, not for the end.
            Assert.True(Processes.WaitUntil(() => Output().EndsWith("term\n", StringComparison.Ordinal), 20), $"the daemon never got its stop: {Output()}");
            Assert.Equal("seize EPERM\nattach EPERM\nvm_writev EPERM\nvm_readv EPERM\nmem EACCES\nstop 0\nkill 0\nready\nterm\n", Output());
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            // Should the attack have worked, the frozen relay and its daemon would outlive the test.
            foreach (var left in Processes.All().Where(p => Processes.Executable(p.Pid) == probe))
            {
                Runner.Run("kill", ["-KILL", left.ParentPid.ToString(System.Globalization.CultureInfo.InvariantCulture), left.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            }
        }
    }

    [Fact]
    public void The_relay_refuses_to_run_outside_a_sandbox_and_kills_nothing()
    {
        // As an ordinary user its kill(-1) would take every process of that user with it.
        using var bystander = Accounts.Start(Account.Service, "/bin/sleep", ["60"]);
        Assert.True(Processes.WaitUntil(() => Processes.Executable(bystander.Id) == Processes.RealPath("/bin/sleep")));
        var info = Processes.Read(bystander.Id)!;
        try
        {
            var result = Accounts.Run(Account.Service, Published.Binary, ["relay", "--signal", "15", "--lock-fd", "0", "--", "/bin/true"]);

            Assert.Equal(64, result.ExitCode);
            Assert.Equal("sandboxer: relay: refusing to run: not PID 1 of its own PID namespace (sandboxer run starts it inside the sandbox)\n", result.Stderr);
            Thread.Sleep(200);
            Assert.True(Processes.IsRunning(info), "the relay killed a process of its user");
        }
        finally
        {
            bystander.Kill();
            bystander.WaitForExit();
        }
    }

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void A_host_directory_bound_over_the_relays_place_is_refused_and_left_untouched(Account who)
    {
        string host = Accounts.OwnedDirectory(who, Path.Combine(profiles.Root, "hostrun"));
        string file = profiles.Write("hostrun", $"command = \"/bin/true\"\n[sandbox]\n{ProfileDirectory.ShellMounts}\nbind = [{Toml.Bind(host, "/run")}]\n");

        var result = Accounts.Run(who, profiles.Link("hostrun", who), [], profiles.Environment());

        Assert.Equal(78, result.ExitCode);
        Assert.Equal($"sandboxer: {file}:4:9: sandbox.bind: /run is a directory of the host's, and the stop relay would have to create /run/sandboxer in it: " +
            "bind only what the daemon needs below it (a tmpfs, or the sandbox's own root, may hold the rest), or set [stop] relay = false\n", result.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(host));
    }

    /// <summary>A shell daemon printing each argument and a NUL.</summary>
    private string EchoProfile(string name, string extra = "")
    {
        profiles.Write(name, $"""
            command = "/bin/sh"
            args = ["-c", 'for a in "$@"; do printf "%s\0" "$a"; done', "sh"]
            [sandbox]
            {ProfileDirectory.ShellMounts}
            {extra}
            """);
        return profiles.Link(name);
    }

    [Fact]
    public void A_100_kb_argument_that_is_not_utf8_reaches_the_daemon_byte_for_byte()
    {
        var big = new byte[100_000];
        new Random(8).NextBytes(big);
        // No NUL (an argument cannot hold one) and no trailing newline (the shell's $(...) drops it).
        for (int i = 0; i < big.Length; i++)
            big[i] = big[i] is 0 or (byte)'\n' ? (byte)0xff : big[i];
        string file = Path.Combine(profiles.Root, "big");
        File.WriteAllBytes(file, big);

        var result = Runner.Run(EchoProfile("big"), Array.Empty<byte[]>(), profiles.Environment(), prelude: $"set -- \"$(cat {file})\" tail");

        Assert.True(result.ExitCode == 0, result.ToString()[..Math.Min(500, result.ToString().Length)]);
        var args = result.NulSeparated();
        Assert.Equal(2, args.Count);
        Assert.True(big.AsSpan().SequenceEqual(args[0]), "the big argument changed on its way");
        Assert.Equal("tail"u8.ToArray(), args[1]);
    }

    [Fact]
    public void Twenty_thousand_arguments_pass_bwraps_own_limit_through_the_relay()
    {
        var result = Runner.Run(EchoProfile("many"), Array.Empty<byte[]>(), profiles.Environment(), prelude: "set -- $(seq 1 20000)");

        Assert.True(result.ExitCode == 0, result.ToString()[..Math.Min(500, result.ToString().Length)]);
        Assert.Equal(Enumerable.Range(1, 20000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            result.NulSeparated().Select(Encoding.UTF8.GetString));
    }

    [Fact]
    public void The_profiles_argv0_reaches_the_daemon_through_the_relay()
    {
        // busybox picks its applet by argv[0]: it echoes only if it was given "echo".
        profiles.Write("argv0", $"command = \"/bin/busybox\"\nargs = [\"through\", \"the relay\"]\n[sandbox]\n{ProfileDirectory.ShellMounts}\nargv0 = \"echo\"\n");

        var result = Runner.Run(profiles.Link("argv0"), Array.Empty<string>(), profiles.Environment());

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("through the relay\n", result.Output);
    }

    [Fact]
    public void A_control_character_in_a_key_reaches_the_terminal_only_as_an_escape()
    {
        profiles.Write("escape", "command = \"/bin/true\"\n\"\\u001b]0;owned\\u0007\\u001b[2J\" = 1\n");

        var result = Runner.Run(Published.Binary, ["run", "escape"], profiles.Environment());

        Assert.Equal(78, result.ExitCode);
        Assert.DoesNotContain(result.Stderr, c => char.IsControl(c) && c != '\n');
        Assert.Contains(": \\x1b]0;owned\\x07\\x1b[2J: unknown key", result.Stderr);
    }

    [Fact]
    public void Show_writes_no_control_character_raw_and_sh_reads_it_back_exactly()
    {
        profiles.Write("setenv", $"command = \"/bin/true\"\n[sandbox]\n{ProfileDirectory.ShellMounts}\nsetenv = {{ \"A\\u001b[31mB\" = \"x\\ry\" }}\n[stop]\nrelay = false\n");

        var shown = Runner.Run(Published.Binary, ["show", "setenv"], profiles.Environment());

        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.DoesNotContain(shown.Stdout[..^1], b => b < 0x20 || b == 0x7f);
        // sh gives back the same words: printf them instead of running bwrap.
        string script = Path.Combine(profiles.Root, "shown.sh");
        File.WriteAllBytes(script, [.. "printf '%s\\0' "u8.ToArray(), .. shown.Stdout]);
        var words = Runner.Run("/bin/sh", [script]).NulSeparated().Select(Encoding.UTF8.GetString).ToList();
        int at = words.IndexOf("--setenv");
        Assert.Equal(["--setenv", "A\u001b[31mB", "x\ry"], words.GetRange(at, 3));
    }
}
