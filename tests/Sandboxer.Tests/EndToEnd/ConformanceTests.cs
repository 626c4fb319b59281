using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// What the shipped defaults.toml claims, checked from inside a sandbox by a probe (the
/// shell and coreutils bound read-only, socat as the network client), and what each
/// loosening key gives back. Run as root and as the unprivileged service account, since
/// bwrap takes different paths for each (privileged namespaces vs. a user namespace).
/// The shipped defaults have no /proc: tests that must read /proc/self add proc = "/proc"
/// and say so.
/// </summary>
public sealed class ConformanceTests : IDisposable
{
    private const string Probe = "probe";
    /// <summary>Added only where a probe must read /proc/self (status, net/dev, fd).</summary>
    private const string ProcForTheProbe = """proc = "/proc" """;
    private readonly ProfileDirectory profiles = new();

    public void Dispose() => profiles.Dispose();

    /// <summary>Runs a shell script in the shipped defaults plus the probe's programs plus <paramref name="sandbox"/>.</summary>
    private RunResult Run(Account who, string script, string sandbox = "", string prelude = "", IDictionary<string, string>? environment = null, string command = "/bin/sh")
    {
        WriteProbe(sandbox, command);
        var env = profiles.Environment();
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            env[name] = value;
        return Accounts.Run(who, profiles.Link(Probe, who), command == "/bin/sh" ? ["-c", script] : [], env, prelude, timeoutSeconds: 30);
    }

    private void WriteProbe(string sandbox, string command = "/bin/sh") =>
        profiles.Write(Probe, $"""
            command = "{command}"
            [sandbox]
            {ProfileDirectory.ShellMounts}
            {sandbox}
            """);

    private static void AssertRan(RunResult result, string what) =>
        Assert.True(result.ExitCode == 0, $"the probe for {what} failed: {result}");

    // ---- network ----

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void Only_loopback_interface_without_share_net(Account who)
    {
        // /proc/self/net/dev lists the interfaces of the reader's network namespace.
        var result = Run(who, "tail -n +3 /proc/self/net/dev | cut -d: -f1 | tr -d ' '", ProcForTheProbe);

        AssertRan(result, "network interfaces");
        Assert.Equal("lo\n", result.Output);
    }

    [Fact]
    public void Share_net_shows_the_host_interfaces()
    {
        var result = Run(Account.Service, "tail -n +3 /proc/self/net/dev | cut -d: -f1 | tr -d ' ' | sort", ProcForTheProbe + "\nshare-net = true");
        var host = File.ReadLines("/proc/self/net/dev").Skip(2).Select(l => l.Split(':')[0].Trim()).Order(StringComparer.Ordinal);

        AssertRan(result, "network interfaces");
        Assert.Equal(string.Join("\n", host) + "\n", result.Output);
    }

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void Outbound_connection_to_a_host_listener_fails_without_share_net(Account who)
    {
        using var listener = Loopback.Listen(out int port);

        var result = Run(who, $"socat -T2 /dev/null TCP:127.0.0.1:{port},connect-timeout=2");

        Assert.True(result.ExitCode != 0, $"the sandbox connected to the host's 127.0.0.1:{port}: {result}");
        Assert.Contains("Connection refused", result.Stderr);
        Assert.False(listener.Pending(), $"the host listener on 127.0.0.1:{port} was reached from the sandbox");
    }

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void Outbound_connection_off_the_machine_fails_without_share_net(Account who)
    {
        // 192.0.2.1 (TEST-NET-1): no route in a namespace that has only loopback.
        var result = Run(who, "socat -T2 /dev/null TCP:192.0.2.1:80,connect-timeout=2");

        Assert.True(result.ExitCode != 0, $"the sandbox connected to 192.0.2.1:80: {result}");
        Assert.Contains("Network is unreachable", result.Stderr);
    }

    [Fact]
    public void Outbound_connection_succeeds_with_share_net()
    {
        using var listener = Loopback.Listen(out int port);

        var result = Run(Account.Service, $"socat -T2 /dev/null TCP:127.0.0.1:{port},connect-timeout=2", "share-net = true");

        AssertRan(result, "a connection with share-net");
        Assert.True(listener.Pending(), $"the host listener on 127.0.0.1:{port} got no connection although share-net is set");
    }

    // ---- capabilities ----

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void Every_capability_set_is_empty(Account who)
    {
        var result = Run(who, "grep ^Cap /proc/self/status", ProcForTheProbe);

        AssertRan(result, "capabilities");
        var sets = Capabilities(result.Output);
        Assert.Equal(["CapAmb", "CapBnd", "CapEff", "CapInh", "CapPrm"], sets.Keys.Order());
        foreach (var (set, value) in sets)
            Assert.True(value == 0, $"{set} is {value:x16} in the sandbox of {who}: not empty");
    }

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void Cap_add_grants_only_the_named_capability(Account who)
    {
        var result = Run(who, "grep ^Cap /proc/self/status", ProcForTheProbe + "\ncap-add = [\"CAP_NET_BIND_SERVICE\"]");

        AssertRan(result, "capabilities");
        const ulong NetBindService = 1UL << 10;
        foreach (var (set, value) in Capabilities(result.Output))
            Assert.True(value == NetBindService, $"{set} is {value:x16} with cap-add CAP_NET_BIND_SERVICE only (expected {NetBindService:x16})");
    }

    // ---- environment, hostname ----

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void Environment_is_empty_but_the_PWD_bwrap_sets(Account who)
    {
        var result = Run(who, "", environment: new Dictionary<string, string> { ["CALLER_SECRET"] = "leak" }, command: "/usr/bin/env");

        AssertRan(result, "the environment");
        // bwrap 0.8 sets PWD itself after clearenv, to the directory it started the command in
        // ("/": the caller's directory is not bound). Nothing comes from the caller.
        Assert.True(result.Output == "PWD=/\n", "the sandbox's environment holds more than bwrap's PWD:\n" + result.Output);
    }

    [Fact]
    public void Setenv_variables_are_the_whole_environment()
    {
        var result = Run(Account.Service, "", """setenv = { LANG = "C.UTF-8", HOME = "/var/lib/probe" }""",
            environment: new Dictionary<string, string> { ["CALLER_SECRET"] = "leak" }, command: "/usr/bin/env");

        AssertRan(result, "the environment");
        // PWD is bwrap's own, as in the test above.
        Assert.Equal(["HOME=/var/lib/probe", "LANG=C.UTF-8", "PWD=/"], result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void Hostname_is_host(Account who)
    {
        var result = Run(who, "uname -n");

        AssertRan(result, "the hostname");
        Assert.Equal("host\n", result.Output);
    }

    // ---- file system ----

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void Root_holds_only_what_was_bound(Account who)
    {
        var result = Run(who, "ls -A / && ls -A /run /run/sandboxer /run/sandboxer/lib");

        AssertRan(result, "the root directory");
        // Besides the binds: the stop relay in /run/sandboxer, with the libc and loader the
        // published (glibc) binary needs beside it.
        var expected = new[] { "bin", "lib", "lib64", "sbin", "usr" }.Where(d => Path.Exists("/" + d))
            .Append("dev").Append("tmp").Append("run").Order(StringComparer.Ordinal);
        string loader = Path.GetFileName(Sandboxer.Relay.SelfImage.Interpreter(Published.Binary)!);
        var libraries = new[] { "libc.so.6", "libm.so.6", loader }.Order(StringComparer.Ordinal);
        Assert.Equal(string.Join("\n", expected) + "\n/run:\nsandboxer\n\n/run/sandboxer:\nlib\nrelay\n\n/run/sandboxer/lib:\n"
            + string.Join("\n", libraries) + "\n", result.Output);
    }

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void Tmp_is_private_and_empty(Account who)
    {
        string hostFile = Path.Combine(Path.GetTempPath(), "sandboxer-probe-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(hostFile, "host secret");
        try
        {
            var result = Run(who, "ls -A /tmp && touch /tmp/mine && ls /tmp");

            AssertRan(result, "/tmp");
            Assert.Equal("mine\n", result.Output);
            Assert.False(File.Exists("/tmp/mine"), "the sandbox's /tmp/mine appeared in the host's /tmp");
        }
        finally
        {
            File.Delete(hostFile);
        }
    }

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void Read_only_binds_are_not_writable(Account who)
    {
        // The account owns data/, so only the read-only bind can refuse its writes there.
        string data = Accounts.OwnedDirectory(who, Path.Combine(profiles.Root, "data"));
        File.WriteAllText(Path.Combine(data, "existing"), "before\n");

        var result = Run(who, """
            for target in /data/new /data/existing /usr/sandboxer-probe; do
                if (echo x >> "$target") 2>/dev/null; then echo "WROTE $target"; fi
            done
            touch /data/new
            """, $"ro-bind = [{Toml.Bind(data, "/data")}]");

        Assert.True(!result.Output.Contains("WROTE"), $"writes through read-only binds succeeded: {result}");
        Assert.Contains("/data/new': Read-only file system", result.Stderr);
        Assert.False(File.Exists(Path.Combine(data, "new")), "a file was created through a read-only bind");
        Assert.False(File.Exists("/usr/sandboxer-probe"), "a file was created in the host's /usr");
        Assert.Equal("before\n", File.ReadAllText(Path.Combine(data, "existing")));
    }

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void Bind_is_writable_at_its_destination(Account who)
    {
        string data = Accounts.OwnedDirectory(who, Path.Combine(profiles.Root, "data"));

        var result = Run(who, "echo written > /var/lib/data/new", $"bind = [{Toml.Bind(data, "/var/lib/data")}]");

        AssertRan(result, "a writable bind");
        Assert.Equal("written\n", File.ReadAllText(Path.Combine(data, "new")));
        Assert.Equal(who == Account.Root ? 0 : Accounts.ServiceUid, Accounts.Owner(Path.Combine(data, "new")));
    }

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void No_proc_unless_asked(Account who)
    {
        var result = Run(who, "test -e /proc && echo 'proc exists'; test -e /proc/self/status && echo 'status exists'; echo checked");

        AssertRan(result, "/proc");
        Assert.Equal("checked\n", result.Output);
    }

    [Fact]
    public void Proc_key_mounts_a_proc_that_shows_only_the_sandbox()
    {
        var result = Run(Account.Root, "ls /proc | grep -c '^[0-9]'", ProcForTheProbe);

        AssertRan(result, "/proc");
        // bwrap's init, the shell, ls and grep (the shell may fork for the pipe).
        Assert.True(int.Parse(result.Output.Trim()) <= 5, $"the sandbox's /proc shows {result.Output.Trim()} processes: the host's PID namespace leaks");
    }

    // ---- session, terminal, descriptors ----

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void No_controlling_terminal_in_the_sandbox(Account who)
    {
        var result = RunWithTerminal(who, "");

        Assert.True(result.Output.Contains("NO TERMINAL") && !result.Output.Contains("TERMINAL OPEN"),
            $"the sandbox of {who} opened the caller's controlling terminal (TIOCSTI could reach it): {result}");
        Assert.Contains("No such device or address", result.Output);
    }

    [Fact]
    public void Without_new_session_the_callers_terminal_is_reachable()
    {
        // The control for the test above: the probe does reach a controlling terminal there is one.
        var result = RunWithTerminal(Account.Service, "new-session = false");

        Assert.True(result.Output.Contains("TERMINAL OPEN"), $"the probe could not open /dev/tty even without new-session: {result}");
    }

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void Sandbox_runs_in_a_new_session(Account who)
    {
        WriteProbe("");
        using var process = Accounts.Start(who, profiles.Link(Probe, who), ["-c", "exec sleep 30"], profiles.Environment());
        try
        {
            // The started PID is bwrap (sh exec'd setpriv, setpriv exec'd bwrap-NAME, that exec'd bwrap).
            int sleep = 0;
            string sleepProgram = Processes.RealPath("/bin/sleep");
            Assert.True(Processes.WaitUntil(() => (sleep = Processes.Descendants(process.Id).FirstOrDefault(p => Processes.Executable(p.Pid) == sleepProgram)?.Pid ?? 0) != 0),
                "the probe's sleep did not start: " + string.Join(", ", Processes.Descendants(process.Id)));
            int callerSession = Processes.Read(process.Id)!.Session;

            Assert.NotEqual(callerSession, Processes.Read(sleep)!.Session);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    [Theory]
    [InlineData(Account.Root)]
    [InlineData(Account.Service)]
    public void No_descriptor_but_0_1_2(Account who)
    {
        // The caller leaves descriptors open, as a careless supervisor would; the shell lists its own.
        var result = Run(who, "cd /proc/self/fd && for fd in *; do if [ -e \"$fd\" ]; then echo \"$fd\"; fi; done", ProcForTheProbe,
            prelude: "exec 5</etc/passwd 7>/dev/null 9</dev/null");

        AssertRan(result, "descriptors");
        Assert.Equal("0\n1\n2\n", result.Output);
    }

    // ---- helpers ----

    private RunResult RunWithTerminal(Account who, string sandbox)
    {
        WriteProbe(sandbox);
        // script(1) gives the caller a controlling terminal, as an admin's shell has.
        var (program, args) = Accounts.As(who, profiles.Link(Probe, who), ["-c", "if true </dev/tty; then echo 'TERMINAL OPEN'; else echo 'NO TERMINAL'; fi"]);
        string line = string.Join(" ", new[] { program }.Concat(args).Select(a => "'" + a.Replace("'", "'\\''") + "'"));
        var result = Runner.Run("script", ["-qec", line, "/dev/null"], profiles.Environment(), timeoutSeconds: 30);
        Assert.True(result.ExitCode == 0, $"script(1) failed: {result}");
        return result;
    }

    private static Dictionary<string, ulong> Capabilities(string status) =>
        status.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':'))
            .ToDictionary(f => f[0], f => Convert.ToUInt64(f[1].Trim(), 16));
}
