using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// A Gentoo-style init script rewritten by `sandboxer install --openrc`, then run as openrc-run
/// runs it (<see cref="OpenRcRun"/>) with the real supervise-daemon.
/// </summary>
public sealed class InstalledServiceTests : IDisposable
{
    private readonly ProfileDirectory profiles = new();
    private readonly OpenRcRun service;
    private readonly string name, init, logs, log;

    public InstalledServiceTests()
    {
        service = new OpenRcRun(profiles, "sandboxer-installed");
        name = service.Name;
        init = service.InitDirectory;
        string run = Directory.CreateDirectory(Path.Combine(profiles.Root, "run")).FullName;
        // There already, as on a server where the service ran before: install checks that what the profile binds exists.
        logs = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "logs"));
        log = Path.Combine(logs, "log");
        // Handles HUP and TERM as a daemon does, and writes down what reached it.
        string daemon = $"log={log}; trap 'echo reloaded >> $log' HUP; trap 'echo stopping >> $log; exit 0' TERM; "
            + "echo \"started $*\" >> $log; while :; do sleep 1 & wait $!; done";
        profiles.Write("echosvc", $"""
            command = "/bin/sh"
            args = ["-c", {Sandboxer.Import.ProfileDraft.String(daemon)}, "sh"]
            [sandbox]
            {ProfileDirectory.ShellMounts}
            bind = ["{logs}"]
            [stop]
            timeout = 5
            """);
        // As a distribution ships it: the daemon detaches and writes its own pidfile.
        File.WriteAllText(Path.Combine(init, name), $$"""
            #!/sbin/openrc-run
            name="Echo service"
            command=/usr/bin/echo-service
            pidfile={{run}}/${RC_SVCNAME}.pid
            command_args="--verbose"
            command_args_background="--detach --pidfile $pidfile"
            command_user="{{Accounts.ServiceName}}:{{Accounts.ServiceName}}"
            retry="SIGTERM/30/SIGKILL/5"
            start_pre() {
            	checkpath --directory --owner ${command_user} --mode 0755 {{logs}}
            }

            """);
        File.SetUnixFileMode(Path.Combine(init, name), (UnixFileMode)Convert.ToInt32("755", 8));
    }

    public void Dispose()
    {
        service.Dispose();
        profiles.Dispose();
    }

    private RunResult Service(string action) => service.Service(action);

    private string[] Log() => File.Exists(log) ? File.ReadAllLines(log) : [];

    private int? ChildPid() => service.ChildPid;

    [Fact]
    public void A_rewritten_init_script_starts_reloads_stops_and_restarts_its_daemon_through_the_relay()
    {
        var install = Runner.Run(profiles.Sandboxer, ["install", "echosvc", "--openrc", name, "--init-dir", init, "--link-dir", profiles.Bin,
            "--backup-dir", Path.Combine(profiles.Root, "backups")], profiles.Environment());
        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Contains("+retry=\"SIGTERM/5/SIGKILL/5\"", install.Output);

        var start = Service("start");
        Assert.True(start.ExitCode == 0, start.ToString());
        // The daemon got command_args without the --detach and --pidfile it was started with before.
        Assert.True(Processes.WaitUntil(() => Log().Contains("started --verbose")), $"no start: [{string.Join(", ", Log())}] {start}");
        int bwrap = ChildPid()!.Value;
        Assert.Equal(Processes.RealPath(Published.Bwrap), Processes.Executable(bwrap));
        Assert.Equal(Accounts.ServiceUid, Processes.RealUid(bwrap));
        List<ProcessInfo> tree = [Processes.Read(bwrap)!, .. Processes.Descendants(bwrap)];

        var reload = Service("reload");
        Assert.True(reload.ExitCode == 0, reload.ToString());
        Assert.True(Processes.WaitUntil(() => Log().Contains("reloaded")), $"no reload: [{string.Join(", ", Log())}]");
        Assert.True(Processes.IsRunning(tree[0]) && ChildPid() == bwrap && !Log().Contains("stopping"), "the reload ended the sandbox");

        var stop = Service("stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.True(Processes.WaitUntil(() => Log().Contains("stopping")), $"the daemon never got its SIGTERM: [{string.Join(", ", Log())}]");
        Processes.AssertAllGone(tree, "after stop");

        Assert.True(Service("start").ExitCode == 0);
        Assert.True(Processes.WaitUntil(() => Log().Count(l => l == "started --verbose") == 2), $"no restart: [{string.Join(", ", Log())}]");
        int again = ChildPid()!.Value;
        Assert.NotEqual(bwrap, again);
        List<ProcessInfo> second = [Processes.Read(again)!, .. Processes.Descendants(again)];
        Assert.True(Service("stop").ExitCode == 0);
        Assert.True(Processes.WaitUntil(() => Log().Count(l => l == "stopping") == 2), $"no second graceful stop: [{string.Join(", ", Log())}]");
        Processes.AssertAllGone(second, "after the second stop");
        Assert.Equal(["started --verbose", "reloaded", "stopping", "started --verbose", "stopping"], Log());

        // Nothing is left: signal finds no sandbox holding the relay's lock.
        var signal = Runner.Run(profiles.Sandboxer, ["signal", "echosvc", "HUP"], profiles.Environment());
        Assert.Equal(ExitCodes.Unavailable, signal.ExitCode);
    }
}
