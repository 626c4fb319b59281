namespace Sandboxer.Tests.Support;

/// <summary>
/// An init script run as openrc-run runs it: OpenRC's own supervise-daemon.sh functions
/// (supervise_start, supervise_stop) with the real supervise-daemon, and the script's own
/// start_pre and reload. openrc-run itself is not run (the test machine does not boot OpenRC);
/// the stand-in below only sources the two files and calls the functions for an action, as
/// openrc-run does. The service's name is unique, as /run/openrc is shared by parallel tests.
/// </summary>
public sealed class OpenRcRun : IDisposable
{
    private readonly Dictionary<string, string> environment;
    private readonly string driver;

    /// <summary>The service's name (RC_SVCNAME), and its init script's in <see cref="InitDirectory"/>.</summary>
    public string Name { get; }
    public string InitDirectory { get; }
    public string Script => Path.Combine(InitDirectory, Name);

    /// <param name="environment">The script's: by default, <paramref name="profiles"/>' directory as SANDBOXER_PROFILE_DIR.</param>
    public OpenRcRun(ProfileDirectory profiles, string prefix, Dictionary<string, string>? environment = null)
    {
        this.environment = environment ?? profiles.Environment();
        Name = $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
        InitDirectory = Directory.CreateDirectory(Path.Combine(profiles.Root, "init.d")).FullName;
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

    /// <summary>openrc-run SCRIPT start|stop|reload.</summary>
    public RunResult Service(string action) => Runner.Run(driver, [Script, action], environment, timeoutSeconds: 30);

    /// <summary>The PID supervise-daemon started and watches.</summary>
    public int? ChildPid =>
        int.TryParse(File.Exists($"/run/openrc/options/{Name}/child_pid") ? File.ReadAllText($"/run/openrc/options/{Name}/child_pid").Trim() : "", out int pid) ? pid : null;

    public void Dispose()
    {
        if (File.Exists(Script))
            Service("stop");
        foreach (var state in new[] { "options", "daemons" })
        {
            string dir = Path.Combine("/run/openrc", state, Name);
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
    }
}
