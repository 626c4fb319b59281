using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// A Gentoo-style init script rewritten by `sandboxer install --openrc`, then run as openrc-run
/// runs it: OpenRC's own supervise-daemon.sh functions (supervise_start, supervise_stop) with
/// the real supervise-daemon, and the script's own start_pre and reload. openrc-run itself is
/// not run (the test machine does not boot OpenRC); the stand-in below only sources the two
/// files and calls the functions for an action, as openrc-run does.
/// </summary>
public sealed class InstalledServiceTests : IDisposable
{
    private readonly ProfileDirectory profiles = new();
    private readonly string name = $"sandboxer-installed-{Guid.NewGuid().ToString("N")[..8]}";
    private readonly string init, logs, log, driver;

    public InstalledServiceTests()
    {
        init = Directory.CreateDirectory(Path.Combine(profiles.Root, "init.d")).FullName;
        string run = Directory.CreateDirectory(Path.Combine(profiles.Root, "run")).FullName;
        logs = Path.Combine(profiles.Root, "logs");
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

        string bin = Directory.CreateDirectory(Path.Combine(profiles.Root, "rc-bin")).FullName;
        File.WriteAllText(Path.Combine(bin, "supervise-daemon"), $"#!/bin/sh\nexec '{SupervisedService.Program}' \"$@\"\n");
        // checkpath -d -o OWNER -m MODE PATH...: the part of OpenRC's checkpath that start_pre uses.
        File.WriteAllText(Path.Combine(bin, "checkpath"), """
            #!/bin/sh
            set -eu
            while [ $# -gt 0 ]; do
                case $1 in
                    -d|--directory) shift ;;
                    -o|--owner) owner=$2; shift 2 ;;
                    -m|--mode) mode=$2; shift 2 ;;
                    *) break ;;
                esac
            done
            for path; do mkdir -p "$path"; chown "$owner" "$path"; chmod "$mode" "$path"; done

            """);
        driver = Path.Combine(bin, "openrc-run");
        File.WriteAllText(driver, $$"""
            #!/bin/sh
            # openrc-run SCRIPT ACTION, as far as a supervised service needs it.
            PATH={{bin}}:$PATH
            RC_SVCNAME=$(basename "$1"); export RC_SVCNAME
            ebegin() { :; }
            eend() { return "${1:-0}"; }
            ewarn() { echo "$*" >&2; }
            eerror() { echo "$*" >&2; }
            service_set_value() { :; }
            service_get_value() { :; }
            . '{{SuperviseFunctions()}}'
            . "$1"
            case $2 in
                start) start_pre && supervise_start ;;
                stop) supervise_stop ;;
                reload) reload ;;
            esac

            """);
        foreach (var file in Directory.GetFiles(bin))
            File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32("755", 8));
    }

    /// <summary>OpenRC's supervise-daemon.sh: beside the unpacked supervise-daemon on Debian 12, /lib/rc where OpenRC is installed.</summary>
    private static string SuperviseFunctions()
    {
        string program = SupervisedService.Program;
        string[] candidates =
        [
            Path.Combine(Path.GetDirectoryName(program)!, "root", "lib", "rc", "sh", "supervise-daemon.sh"),
            "/lib/rc/sh/supervise-daemon.sh", "/usr/libexec/rc/sh/supervise-daemon.sh",
        ];
        return candidates.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException("no OpenRC supervise-daemon.sh: build/openrc.sh unpacks it");
    }

    public void Dispose()
    {
        Service("stop");
        foreach (var state in new[] { "options", "daemons" })
        {
            string dir = Path.Combine("/run/openrc", state, name);
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
        profiles.Dispose();
    }

    private RunResult Service(string action) => Runner.Run(driver, [Path.Combine(init, name), action], profiles.Environment(), timeoutSeconds: 30);

    private string[] Log() => File.Exists(log) ? File.ReadAllLines(log) : [];

    private int? ChildPid() =>
        int.TryParse(File.Exists($"/run/openrc/options/{name}/child_pid") ? File.ReadAllText($"/run/openrc/options/{name}/child_pid").Trim() : "", out int pid) ? pid : null;

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
