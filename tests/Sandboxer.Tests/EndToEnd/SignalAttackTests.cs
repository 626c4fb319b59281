using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// `sandboxer signal`, run by root for a service whose user owns the state directory, must reach
/// that service's relay and nothing else, whatever the service's user has put in the directory:
/// the attacks of issue 8 and their variants, each against a root process that must survive.
/// </summary>
public sealed class SignalAttackTests : IDisposable
{
    private const string Name = "victimised";
    private readonly ProfileDirectory profiles = new();
    private readonly List<System.Diagnostics.Process> started = [];
    private readonly string state;

    public SignalAttackTests()
    {
        profiles.Write(Name, $"command = \"/bin/sleep\"\nargs = [\"300\"]\n[sandbox]\n{ProfileDirectory.ShellMounts}\n");
        state = profiles.PrepareState(Name, Account.Service);
    }

    public void Dispose()
    {
        foreach (var process in started)
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            process.WaitForExit();
            process.Dispose();
        }
        profiles.Dispose();
    }

    /// <summary>A root process with /etc/hostname open (as fd 5), the file the attacker links to.</summary>
    private ProcessInfo Victim()
    {
        var process = Runner.Start("/bin/sleep", ["300"u8.ToArray()], prelude: "exec 5</etc/hostname");
        started.Add(process);
        Assert.True(Processes.WaitUntil(() => Processes.Executable(process.Id) == Processes.RealPath("/bin/sleep")), "the victim did not start");
        return Processes.Read(process.Id)!;
    }

    /// <summary>What the service's user does in its own state directory.</summary>
    private void AsServiceUser(string script)
    {
        var result = Accounts.Run(Account.Service, "/bin/sh", ["-c", script]);
        Assert.True(result.ExitCode == 0, $"the attacker's setup failed: {result}");
    }

    /// <summary>
    /// <paramref name="who"/> holds an exclusive flock on a file for as long as the test runs,
    /// taken by flock(1), which then becomes <paramref name="command"/> (--no-fork).
    /// </summary>
    private void HoldLock(string file, Account who = Account.Service, params string[] command)
    {
        string inode = Runner.Run("stat", ["-c", "%i", file]).Output.Trim();
        var (program, args) = Accounts.As(who, "/usr/bin/flock", ["-x", "--no-fork", file, .. command.Length > 0 ? command : ["/bin/sleep", "300"]]);
        started.Add(Runner.Start(program, args.Select(System.Text.Encoding.UTF8.GetBytes)));
        Assert.True(Processes.WaitUntil(() => File.ReadAllLines("/proc/locks").Any(l => l.Contains(" FLOCK ") && l.Contains($":{inode} "))),
            $"the attacker's flock on {file} was not taken");
    }

    private RunResult Signal(string signal, Account who = Account.Root) =>
        Accounts.Run(who, Published.Binary, ["signal", Name, signal], profiles.Environment(), timeoutSeconds: 10);

    private static void AssertAlive(ProcessInfo victim) =>
        Assert.True(Processes.IsRunning(victim), $"the victim {victim} was signalled");

    [Theory]
    [InlineData("KILL")]
    [InlineData("HUP")]
    public void A_lock_linked_to_a_file_a_root_process_holds_open_is_refused(string signal)
    {
        var victim = Victim();
        AsServiceUser($"ln -s /etc/hostname {state}/lock && printf '{{\"child-pid\": {victim.Pid}}}' > {state}/info");
        HoldLock("/etc/hostname");

        var result = Signal(signal);

        Assert.Equal(78, result.ExitCode);
        Assert.Equal($"sandboxer: {state}/lock: is a symbolic link; the relay's lock must be a plain file: remove it\n", result.Stderr);
        AssertAlive(victim);
    }

    [Fact]
    public void A_lock_linked_to_dev_null_is_refused()
    {
        var victim = Victim();
        AsServiceUser($"ln -s /dev/null {state}/lock && echo '{{\"child-pid\": {victim.Pid}}}' > {state}/info");

        var result = Signal("KILL");

        Assert.Equal(78, result.ExitCode);
        Assert.Contains("is a symbolic link", result.Stderr);
        AssertAlive(victim);
    }

    [Fact]
    public void A_hard_link_in_place_of_the_lock_is_refused()
    {
        // protected_hardlinks keeps the service's user from linking root's files; a root-made
        // link stands in for a system without it.
        var victim = Victim();
        string target = Path.Combine(profiles.Root, "rootfile");
        File.WriteAllText(target, "");
        var link = Runner.Run("/bin/ln", [target, Path.Combine(state, "lock")]);
        Assert.True(link.ExitCode == 0, link.ToString());
        HoldLock(target);

        var result = Signal("KILL");

        Assert.Equal(78, result.ExitCode);
        Assert.Contains($"{state}/lock: is owned by uid 0, not by uid {Accounts.ServiceUid}", result.Stderr);
        AssertAlive(victim);
    }

    [Theory]
    [InlineData("mkfifo {0}/lock", "is not a plain file")]
    [InlineData("mkfifo {0}/info && touch {0}/lock", "not running (nothing holds its lock)")]
    [InlineData("socat UNIX-LISTEN:{0}/lock,unlink-close=0 /dev/null & sleep 0.5; kill $!", "is a socket")]
    public void Fifos_and_sockets_in_the_state_directory_neither_hang_nor_fool_it(string plant, string message)
    {
        AsServiceUser(string.Format(System.Globalization.CultureInfo.InvariantCulture, plant, state));

        var result = Signal("HUP");

        Assert.Contains(result.ExitCode, new[] { 69, 78 });
        Assert.Contains(message, result.Stderr);
    }

    [Fact]
    public void A_pid_planted_in_info_is_never_signalled_even_when_the_lock_is_held()
    {
        // A real lock of the service's user, held by its own flock: whatever info says, no relay holds it.
        var victim = Victim();
        AsServiceUser($"touch {state}/lock && echo '{{\"child-pid\": {victim.Pid}}}' > {state}/info");
        HoldLock(Path.Combine(state, "lock"));

        var result = Signal("KILL");

        Assert.Equal(69, result.ExitCode);
        Assert.Matches(@"^sandboxer: victimised: not running \(PID \d+ holds its lock, but has no relay as its child: it is starting or stopping\)\n$", result.Stderr);
        AssertAlive(victim);
    }

    [Fact]
    public void A_namespace_init_under_the_lock_holder_is_no_relay_unless_it_runs_as_the_service()
    {
        // The lock (left open to all by the service's user) is held by another user's process
        // whose child is PID 1 of a PID namespace: all a relay is, but for its uid.
        var victim = Victim();
        AsServiceUser($"touch {state}/lock && chmod 666 {state}/lock && chmod 711 {state}");
        HoldLock(Path.Combine(state, "lock"), Account.Other, "/usr/bin/unshare", "--user", "--pid", "--fork", "/bin/sleep", "300");

        var result = Signal("KILL");

        Assert.Equal(69, result.ExitCode);
        Assert.Contains("not running", result.Stderr);
        AssertAlive(victim);
    }

    [Fact]
    public void A_state_directory_replaced_by_a_link_is_refused()
    {
        // Only root can do this in a root-owned state root; it stands for a mistake, not an attack.
        string elsewhere = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "elsewhere"), "700");
        Directory.Delete(state);
        File.CreateSymbolicLink(state, elsewhere);

        var result = Signal("HUP");

        Assert.Equal(78, result.ExitCode);
        Assert.Equal($"sandboxer: {state}: not a directory (a link or a file is in its place): remove it, and let Sandboxer or start_pre make it\n", result.Stderr);
    }

    [Fact]
    public void Another_user_is_told_permission_denied_not_not_running()
    {
        var result = Signal("HUP", Account.Other);

        Assert.Equal(77, result.ExitCode);
        Assert.Equal($"sandboxer: {Name}: permission denied: the service runs as uid {Accounts.ServiceUid}; signal it as root or as that user\n", result.Stderr);
    }
}
