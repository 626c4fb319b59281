namespace Sandboxer.Tests.Support;

/// <summary>
/// A sandboxed service started by OpenRC's own supervise-daemon, as an init script with
/// supervisor="supervise-daemon" and command_user does: it runs bwrap-NAME as the service
/// account and respawns it. The name is unique, as /run/openrc is shared by parallel tests.
/// </summary>
public sealed class SupervisedService : IDisposable
{
    private const string StateDirectory = "/run/openrc";
    private readonly ProfileDirectory profiles;
    private readonly string link;
    private readonly string[] args;
    private readonly Account account;

    /// <summary>The OpenRC service name (RC_SVCNAME).</summary>
    public string Name { get; }
    public string PidFile { get; }
    /// <summary>The daemon's stdout and stderr, written as the service account.</summary>
    public string Log { get; }

    /// <summary>
    /// $SANDBOXER_SUPERVISE_DAEMON; else the installed OpenRC's (Alpine, the Debian unstable
    /// tree of build/sid.sh); else artifacts/openrc/supervise-daemon, which build/openrc.sh
    /// unpacks on a Debian that runs another init.
    /// </summary>
    public static string Program
    {
        get
        {
            string path = Environment.GetEnvironmentVariable("SANDBOXER_SUPERVISE_DAEMON") is { Length: > 0 } fromEnvironment
                ? fromEnvironment
                : new[] { "/sbin/supervise-daemon", "/usr/sbin/supervise-daemon" }.FirstOrDefault(File.Exists)
                    ?? Path.Combine(Published.RepositoryRoot, "artifacts", "openrc", "supervise-daemon");
            if (!File.Exists(path))
                throw new InvalidOperationException($"{path} does not exist: build/openrc.sh sets it up");
            if (!Directory.Exists(Path.Combine(StateDirectory, "options")))
                throw new InvalidOperationException($"{StateDirectory}/options does not exist: build/openrc.sh makes it");
            return path;
        }
    }

    /// <param name="profile">The profile's name: the service runs bwrap-PROFILE.</param>
    /// <param name="args">The daemon's arguments (command_args).</param>
    public SupervisedService(ProfileDirectory profiles, string profile, params string[] args)
        : this(profiles, Account.Service, profile, args)
    {
    }

    /// <param name="account">Who the service runs as: the service account (--user), or root.</param>
    public SupervisedService(ProfileDirectory profiles, Account account, string profile, params string[] args)
    {
        this.profiles = profiles;
        this.args = args;
        this.account = account;
        link = profiles.Link(profile, account);
        Name = $"sandboxer-{profile}-{Guid.NewGuid().ToString("N")[..8]}";
        string run = Path.Combine(profiles.Root, "supervisor");
        Directory.CreateDirectory(run);
        PidFile = Path.Combine(run, Name + ".pid");
        Log = Path.Combine(Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "log")), Name + ".log");
    }

    /// <summary>supervise-daemon NAME --start; returns once bwrap runs as its child.</summary>
    public void Start()
    {
        StartSupervisor();
        Assert.True(Processes.WaitUntil(() => ChildPid is int pid && Processes.Executable(pid) == Processes.RealPath(Published.Bwrap)),
            $"supervise-daemon {Name} did not get bwrap running within 10s; its child is {ChildPid?.ToString() ?? "unknown"} ({(ChildPid is int p ? Processes.Executable(p) : null)}); log: {ReadLog()}");
    }

    /// <summary>supervise-daemon NAME --start, which returns once the supervisor has detached.</summary>
    public void StartSupervisor()
    {
        var result = Supervise(StartArguments([]));
        Assert.True(result.ExitCode == 0, $"supervise-daemon --start failed: {result}");
    }

    /// <summary>
    /// supervise-daemon NAME --start with more options (--notify fd:3), running: with a
    /// readiness option it returns only once the daemon has said it is ready.
    /// </summary>
    /// <param name="prelude">sh commands before the exec, such as a umask.</param>
    public System.Diagnostics.Process BeginStart(IEnumerable<string> options, string prelude = "")
    {
        var environment = profiles.Environment();
        environment["RC_SVCNAME"] = Name;
        return Runner.Start(Program, new[] { Name }.Concat(StartArguments(options)).Select(System.Text.Encoding.UTF8.GetBytes), environment, prelude);
    }

    private List<string> StartArguments(IEnumerable<string> options)
    {
        List<string> arguments = ["--start", .. options];
        if (account != Account.Root)
            arguments.AddRange(["--user", Accounts.ServiceName]);
        return [.. arguments, "--pidfile", PidFile, "--stdout", Log, "--stderr", Log, link, "--", .. args];
    }

    /// <summary>supervise-daemon NAME --stop: returns when the supervisor has exited.</summary>
    public void Stop()
    {
        var result = Supervise(["--stop", "--pidfile", PidFile, link]);
        Assert.True(result.ExitCode == 0, $"supervise-daemon --stop failed: {result}");
    }

    /// <summary>The supervisor's own PID, from its pidfile (written once it runs).</summary>
    public int? SupervisorPid => ReadNumber(PidFile);

    /// <summary>The PID the supervisor started and watches: it must be bwrap.</summary>
    public int? ChildPid => ReadNumber(Path.Combine(StateDirectory, "options", Name, "child_pid"));

    /// <summary>How many times the supervisor has started the daemon, the first time included.</summary>
    public int? StartCount => ReadNumber(Path.Combine(StateDirectory, "options", Name, "start_count"));

    /// <summary>Every process of the running service: bwrap, the relay, the daemon and its children.</summary>
    public List<ProcessInfo> Sandbox()
    {
        int bwrap = ChildPid!.Value;
        return [Processes.Read(bwrap)!, .. Processes.Descendants(bwrap)];
    }

    /// <summary>The relay (bwrap's child, the sandbox's PID 1) and the daemon it started.</summary>
    public (ProcessInfo Relay, ProcessInfo Daemon) RelayAndDaemon()
    {
        var sandbox = Sandbox();
        var relay = sandbox.Single(p => p.ParentPid == ChildPid);
        return (relay, sandbox.First(p => p.ParentPid == relay.Pid));
    }

    public string ReadLog() => File.Exists(Log) ? File.ReadAllText(Log) : "(no log)";

    private RunResult Supervise(IEnumerable<string> arguments)
    {
        var environment = profiles.Environment();
        environment["RC_SVCNAME"] = Name;
        return Runner.Run(Program, [Name, .. arguments], environment, timeoutSeconds: 30);
    }

    private static int? ReadNumber(string path)
    {
        try
        {
            return int.TryParse(File.ReadAllText(path).Trim(), out int n) ? n : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        if (SupervisorPid is int pid && Processes.Read(pid) is not null)
            Supervise(["--stop", "--pidfile", PidFile, link]);
        foreach (var state in new[] { "options", "daemons" })
        {
            string dir = Path.Combine(StateDirectory, state, Name);
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
        foreach (var mark in new[] { "started", "stopping", "starting", "failed", "inactive", "wasinactive" })
            File.Delete(Path.Combine(StateDirectory, mark, Name));
        File.Delete(Path.Combine(StateDirectory, $"supervise-{Name}.ctl"));
        // notify=socket:ready's socket: OpenRC removes it only once the daemon was ready.
        File.Delete(Path.Combine(StateDirectory, $"supervise-{Name}.sock"));
    }
}
