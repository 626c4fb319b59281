using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// [seccomp], [limits] and disable-userns, from inside real sandboxes under the shipped
/// defaults: a probe makes the calls a compromised daemon would and reports each errno; the
/// shell reads its own limits. With the stop relay (the daemon started through `sandboxer
/// confine`) and without (bwrap's --seccomp, the launcher's setrlimit), as root and as the
/// service's user.
/// </summary>
public sealed class SeccompTests : IDisposable
{
    private const string Name = "probe";
    private readonly ProfileDirectory profiles = new();

    public void Dispose() => profiles.Dispose();

    private RunResult Run(Account who, bool relay, string command, string[] args, string extra = "")
    {
        profiles.Write(Name, $"""
            command = "{command}"
            args = [{string.Join(", ", args.Select(a => Toml.Quote(a)))}]
            [sandbox]
            {ProfileDirectory.ShellMounts}
            ro-bind = [{Toml.Quote(Probes.Build("seccomp-calls"))}]
            proc = "/proc"
            [stop]
            relay = {(relay ? "true" : "false")}
            {extra}
            """);
        return Accounts.Run(who, profiles.Link(Name, who), [], profiles.Environment(), timeoutSeconds: 30);
    }

    private RunResult Calls(Account who, bool relay, string extra, params string[] calls) =>
        Run(who, relay, Probes.Build("seccomp-calls"), calls, extra);

    private static Dictionary<string, int> Errnos(RunResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToDictionary(f => f[0], f => int.Parse(f[1]));
    }

    public static TheoryData<Account, bool> Modes => new()
    {
        { Account.Root, true }, { Account.Root, false }, { Account.Service, true }, { Account.Service, false },
    };

    [Theory, MemberData(nameof(Modes))]
    public void Denied_calls_get_the_configured_errno_and_allowed_ones_work(Account who, bool relay)
    {
        // EACCES, which no call here would give by itself: what comes back is the filter's answer.
        var errnos = Errnos(Calls(who, relay, "[seccomp]\naction = \"EACCES\"",
            "getpid", "socket-inet", "keyctl", "mount", "bpf", "userfaultfd", "unshare-user", "tiocsti", "socket-packet", "clone3", "unknown"));

        Assert.Equal(0, errnos["getpid"]);
        Assert.Equal(0, errnos["socket-inet"]);
        const int Eacces = 13, Enosys = 38, Eafnosupport = 97;
        foreach (var denied in new[] { "keyctl", "mount", "bpf", "userfaultfd", "unshare-user", "tiocsti" })
            Assert.True(errnos[denied] == Eacces, $"{denied}: errno {errnos[denied]}, not the filter's EACCES");
        Assert.Equal(Eafnosupport, errnos["socket-packet"]);
        Assert.Equal(Enosys, errnos["clone3"]);
        Assert.Equal(Enosys, errnos["unknown"]);
    }

    [Theory, MemberData(nameof(Modes))]
    public void A_profile_loosens_the_default_policy_with_its_own_allow(Account who, bool relay)
    {
        var errnos = Errnos(Calls(who, relay, "[seccomp]\nallow = [\"keyctl\"]", "keyctl", "bpf"));

        Assert.NotEqual(1, errnos["keyctl"]); // the keyring answers, whatever it says
        Assert.Equal(1, errnos["bpf"]);
    }

    [Theory, MemberData(nameof(Modes))]
    public void The_daemon_has_exactly_one_filter_and_the_relay_none(Account who, bool relay)
    {
        var result = Run(who, relay, "/bin/sh", ["-c", "grep -h '^Seccomp' /proc/self/status; grep -h '^Seccomp:' /proc/1/status"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        // Without the relay, PID 1 is bwrap's own init or the shell itself; with it, the relay, whose own calls stay its own.
        string pid1 = relay ? "Seccomp:\t0" : "Seccomp:\t2";
        Assert.Equal($"Seccomp:\t2\nSeccomp_filters:\t1\n{pid1}\n", result.Output);
    }

    [Theory, MemberData(nameof(Modes))]
    public void Limits_are_set_soft_and_hard_for_the_daemon_and_not_for_the_relay(Account who, bool relay)
    {
        var result = Run(who, relay, "/bin/sh", ["-c", "grep -E '^Max (open files|core file size|file size)' /proc/self/limits /proc/1/limits"],
            "[limits]\nfsize = \"512M\"");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToList();
        Assert.Contains("/proc/self/limits:Max open files 4096 4096 files", lines);
        Assert.Contains("/proc/self/limits:Max core file size 0 0 bytes", lines);
        Assert.Contains($"/proc/self/limits:Max file size {512 << 20} {512 << 20} bytes", lines);
        if (relay)
            Assert.DoesNotContain("/proc/1/limits:Max open files 4096 4096 files", lines);
    }

    [Theory, MemberData(nameof(Modes))]
    public void Nested_user_namespaces_fail_under_the_defaults(Account who, bool relay)
    {
        var result = Run(who, relay, "/bin/sh", ["-c", "unshare -U true && echo nested"]);

        Assert.True(result.ExitCode != 0 && !result.Output.Contains("nested"), result.ToString());
    }

    /// <summary>disable-userns by itself, with no filter: bwrap's own limit of nested namespaces.</summary>
    [Theory, MemberData(nameof(Modes))]
    public void Disable_userns_alone_stops_nested_user_namespaces(Account who, bool relay)
    {
        using var unfiltered = new ProfileDirectory(ProfileDirectory.ShippedDefaultsWithout("seccomp"));
        unfiltered.Write(Name, $"""
            command = "/bin/sh"
            args = ["-c", "grep -h '^Seccomp:' /proc/self/status; unshare -U true && echo nested"]
            [sandbox]
            {ProfileDirectory.ShellMounts}
            proc = "/proc"
            [stop]
            relay = {(relay ? "true" : "false")}
            state = {Toml.Quote(unfiltered.State)}
            """);
        var result = Accounts.Run(who, unfiltered.Link(Name, who), [], unfiltered.Environment(), timeoutSeconds: 30);

        Assert.StartsWith("Seccomp:\t0\n", result.Output);
        Assert.True(result.ExitCode != 0 && !result.Output.Contains("nested"), result.ToString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_limit_that_cannot_be_set_stops_the_start_naming_the_key(bool relay)
    {
        // Above fs.nr_open, which not even root may set.
        var result = Run(Account.Root, relay, "/bin/sh", ["-c", "echo started"], "[limits]\nnofile = 100000000");

        Assert.Equal(78, result.ExitCode);
        Assert.DoesNotContain("started", result.Output);
        Assert.Contains("sandboxer: limits.nofile: cannot set it to 100000000", result.Stderr);
    }

    [Fact]
    public void An_unknown_syscall_stops_the_start_naming_file_line_and_key()
    {
        string file = profiles.Write(Name, "command = \"/bin/true\"\n[seccomp]\ndeny = [\"keyctrl\"]\n");
        var result = Runner.Run(Published.Binary, ["--profile-dir", profiles.Path, "run", Name]);

        Assert.Equal(78, result.ExitCode);
        Assert.Equal($"sandboxer: {file}:3:9: seccomp.deny[0]: \"keyctrl\" is not a syscall (did you mean \"keyctl\"?)\n", result.Stderr);
    }
}
