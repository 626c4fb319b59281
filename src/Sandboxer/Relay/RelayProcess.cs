using System.Runtime.InteropServices;
using System.Text;
using Sandboxer.Interop;
using Sandboxer.Readiness;

namespace Sandboxer.Relay;

/// <summary>
/// The inside half: Sandboxer as the sandbox's PID 1. It starts the daemon, passes it the
/// signals sent to the sandbox, reaps every zombie, and when bwrap dies (a supervisor's stop)
/// sends the daemon its stop signal, waits, then SIGKILLs what is left. It exits with the
/// daemon's status, which bwrap passes on.
/// </summary>
public static class RelayProcess
{
    /// <summary>
    /// What the kernel sends when bwrap dies: one no daemon is sent through the relay, and that
    /// nothing else uses.
    /// </summary>
    public const int BwrapDied = 16; // SIGSTKFLT

    private static readonly object Gate = new();
    private static readonly ManualResetEventSlim DaemonExited = new();
    private static RelayOptions? options;
    private static int daemonPid;
    private static bool stopping;

    /// <param name="inline">The daemon's command line when it came in argv (none with --args-fd).</param>
    public static int Run(RelayOptions relayOptions, IReadOnlyList<string> inline)
    {
        // kill(-1) below must only ever reach the processes of a sandbox.
        if (Libc.GetProcessId() != 1)
            throw SandboxerException.Usage("relay: refusing to run: not PID 1 of its own PID namespace (sandboxer run starts it inside the sandbox)");
        options = relayOptions;
        // No process of the sandbox may ptrace the relay, or read or write its memory, and so
        // keep it from stopping the daemon: from here on only CAP_SYS_PTRACE could.
        ProcessImage.Check(Libc.MakeUndumpable(), "relay: cannot make itself undumpable");
        // The lock must outlive the daemon but never reach it.
        ProcessImage.Check(Libc.SetCloseOnExec(options.LockFd, true), "relay: cannot keep the lock from the daemon");
        // Of what bwrap passed in, the daemon gets the readiness descriptor, if any, and nothing else.
        ProcessImage.CloseOnExecFrom(3);
        if (options.ReadyFd is int ready)
            ProcessImage.Check(Libc.SetCloseOnExec(ready, false), "relay: cannot pass the readiness descriptor on");
        var notify = options.NotifyFd is int host ? NotifyForwarder.Open(host) : null;
        var daemon = options.ArgumentsFd is int fd ? ReadArguments(fd) : inline.Select(Encoding.UTF8.GetBytes).ToList();
        if (daemon.Count == 0)
            throw SandboxerException.Usage("relay: no daemon to start");
        var argv = new List<byte[]>(daemon);
        if (options.Argv0 is not null)
            argv[0] = Encoding.UTF8.GetBytes(options.Argv0);

        // The runtime runs each handler below on its thread pool (TERM, INT and QUIT on a thread of
        // their own), which under a flood of signals adds threads, each a stack and a malloc arena
        // the relay would keep: one pool thread is plenty for a kill(2) a signal.
        ThreadPool.SetMinThreads(1, 1);
        ThreadPool.SetMaxThreads(1, 1);
        // As PID 1 only signals with a handler arrive, so handlers come first. bwrap's
        // --die-with-parent has the kernel SIGKILL us if bwrap dies before the next line;
        // after it, its death is a signal we can act on.
        var registrations = new List<PosixSignalRegistration> { PosixSignalRegistration.Create((PosixSignal)BwrapDied, OnBwrapDied) };
        foreach (int signal in Signals.Relayed)
            registrations.Add(PosixSignalRegistration.Create((PosixSignal)signal, Forward));
        ProcessImage.Check(Libc.SetParentDeathSignal(BwrapDied), "relay: cannot ask for a parent-death signal");

        // Landlock holds this thread and what it starts, not the process: the spawn below runs on it.
        Landlock.NetworkEnforcement.Restrict(options.Network);
        lock (Gate)
        {
            var environment = Environment(notify is not null);
            int error = options.ConfineFd is int confine ? Confinement.ConfineStep.Spawn(confine, daemon[0], argv, environment, options.ReadyFd, out daemonPid)
                : ProcessImage.Spawn(daemon[0], argv, environment, out daemonPid);
            if (error != 0)
                throw ProcessImage.ExecFailed(daemon[0], error);
            if (stopping)
                StartStop();
        }

        // The daemon has its copy; the relay keeps nothing that is the daemon's.
        if (options.ReadyFd is int passed)
            Libc.Close(passed);
        notify?.Start();

        int status = ReapUntilDaemonExits();
        notify?.Drain();
        foreach (var registration in registrations)
            registration.Dispose();
        return status;
    }

    /// <summary>The daemon's command line from the sealed file the launcher wrote: NUL-terminated arguments.</summary>
    private static List<byte[]> ReadArguments(int fd)
    {
        using var file = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        byte[] bytes = Trust.TrustedPath.ReadAll(file, "relay: the daemon's arguments");
        if (bytes.Length == 0 || bytes[^1] != 0)
            throw SandboxerException.Usage("relay: the daemon's argument file is not NUL-terminated");
        return Cli.RawArguments.Split(bytes);
    }

    /// <summary>Signals sent to the sandbox (sandboxer signal) go on to the daemon.</summary>
    private static void Forward(PosixSignalContext context)
    {
        context.Cancel = true;
        lock (Gate)
        {
            if (daemonPid > 0 && !DaemonExited.IsSet)
                Libc.Kill(daemonPid, (int)context.Signal);
        }
    }

    private static void OnBwrapDied(PosixSignalContext context)
    {
        context.Cancel = true;
        lock (Gate)
        {
            if (stopping)
                return;
            stopping = true;
            if (daemonPid > 0)
                StartStop();
        }
    }

    /// <summary>The daemon gets its stop signal, then the timeout to exit before everything is killed.</summary>
    private static void StartStop()
    {
        Libc.Kill(daemonPid, options!.Signal);
        new Thread(() =>
        {
            if (!DaemonExited.Wait(TimeSpan.FromSeconds(options.Timeout)))
                Libc.Kill(-1, Signals.Kill);
        }) { IsBackground = true, Name = "stop timeout" }.Start();
    }

    /// <summary>
    /// As PID 1 every orphan of the sandbox is ours to reap. Once the daemon is gone the rest
    /// is killed, so nothing outlives the sandbox's lock.
    /// </summary>
    private static int ReapUntilDaemonExits()
    {
        int daemonStatus = 0;
        while (true)
        {
            int errno = Libc.WaitPid(-1, 0, out int pid, out int status);
            if (errno == Errno.Interrupted)
                continue;
            if (errno != 0)
                break; // ECHILD: nobody is left
            if (pid == daemonPid)
            {
                daemonStatus = status;
                lock (Gate)
                    DaemonExited.Set();
                // Kills every process of the namespace but ourselves.
                Libc.Kill(-1, Signals.Kill);
            }
        }
        // Exit as a shell reports a child: its code, or 128 + the signal that ended it.
        int signal = daemonStatus & 0x7f;
        return signal == 0 ? (daemonStatus >> 8) & 0xff : 128 + signal;
    }

    /// <summary>
    /// The daemon's environment is the relay's: what bwrap set up from the profile; with
    /// <paramref name="notify"/>, NOTIFY_SOCKET names the relay's socket, whatever clearenv left.
    /// </summary>
    private static List<byte[]> Environment(bool notify)
    {
        var variables = new List<byte[]>();
        if (notify)
            variables.Add(Encoding.UTF8.GetBytes($"{Profiles.ReadySection.NotifySocketVariable}={NotifyForwarder.SocketPath}"));
        foreach (System.Collections.DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            if (notify && (string)entry.Key == Profiles.ReadySection.NotifySocketVariable)
                continue;
            string variable = $"{entry.Key}={entry.Value}";
            if (variable.Contains('\uFFFD'))
                throw SandboxerException.Config(
                    $"relay: environment variable {entry.Key} is not valid UTF-8 and cannot be passed on exactly; set [stop] relay = false or clearenv");
            variables.Add(Encoding.UTF8.GetBytes(variable));
        }
        return variables;
    }
}
