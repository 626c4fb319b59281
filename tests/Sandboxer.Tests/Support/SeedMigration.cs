using Sandboxer.Tests.Composition;

namespace Sandboxer.Tests.Support;

/// <summary>
/// The migration the seed's admin makes, end to end with an installed binary (MigrationTests:
/// the published one in the package's layout; PackagingTests: the .deb's): the package
/// installed first (its defaults.toml in the profile directory and as shipped beside the binary),
/// a root-owned bin directory holding the seed's bwrap-defaults and bwrap-monerod,
/// `sandboxer import bin/bwrap-*` (which replaces the package's hub with the scripts'),
/// `sandboxer install monerod --openrc SERVICE` over the distribution's monerod init script, and
/// the service started and stopped by the real supervise-daemon. monerod is not on this machine,
/// so socat stands in for it (an echo server on a socket in the data directory, logging to the
/// log directory); the script and init script are changed only where their paths must exist here
/// (musl's loader, monerod, its files) and where parallel tests must not meet (the service name,
/// the pidfile's and the relay's directories).
/// </summary>
public sealed class SeedMigration : IDisposable
{
    private const string Socat = "/usr/bin/socat";

    private readonly ProfileDirectory profiles;
    private readonly string sandboxer, profileDirectory;
    private readonly Dictionary<string, string> environment;
    private readonly OpenRcRun service;
    private readonly SeedScripts seed;
    private readonly string bin, logs, data, backups, script, originalScript, originalInit;
    private readonly string[] daemonArgs;

    /// <param name="profiles">The scratch root everything but the profiles goes under, and the relay's state root.</param>
    /// <param name="sandboxer">The installed binary, root's: the links point to it.</param>
    /// <param name="profileDirectory">Where import writes and the service reads: the package's hub is there already.</param>
    /// <param name="environment">sandboxer's and the init script's: SANDBOXER_PROFILE_DIR, or nothing for /etc/sandboxer.</param>
    public SeedMigration(ProfileDirectory profiles, string sandboxer, string profileDirectory, Dictionary<string, string> environment)
    {
        (this.profiles, this.sandboxer, this.profileDirectory, this.environment) = (profiles, sandboxer, profileDirectory, environment);
        service = new OpenRcRun(profiles, "sandboxer-migrated", environment);
        seed = new SeedScripts(profiles.Root);
        bin = Accounts.OwnedDirectory(Account.Root, Path.Combine(profiles.Root, "usr-local-bin"));
        logs = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "var-log-monero"));
        data = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "tank1-monerod"));
        backups = Path.Combine(profiles.Root, "backups");
        string config = Path.Combine(Accounts.OwnedDirectory(Account.Root, Path.Combine(profiles.Root, "etc-monero")), "monerod.conf");
        File.WriteAllText(config, "# monerod.conf\n");

        File.Copy(Path.Combine(SeedScripts.Directory, "bwrap-defaults"), Path.Combine(bin, "bwrap-defaults"));
        script = Path.Combine(bin, "bwrap-monerod");
        originalScript = File.ReadAllText(Path.Combine(SeedScripts.Directory, "bwrap-monerod"))
            .Replace("/usr/local/bin/bwrap-defaults", Path.Combine(bin, "bwrap-defaults"))
            .Replace("/lib/ld-musl-aarch64.so.1", Sandboxer.Elf.ElfFile.Read(Socat).Interpreter)
            .Replace("/usr/bin/monerod", Socat)
            .Replace("/etc/monero/monerod.conf", config)
            .Replace("/var/log/monero/", logs + "/")
            .Replace("/mnt/tank1/monerod", data);
        File.WriteAllText(script, originalScript);
        foreach (var file in Directory.GetFiles(bin))
            File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32("755", 8));

        // The daemon's arguments as the init script gives them: socat, not monerod's --non-interactive.
        daemonArgs = ["-d", "-d", "-lf", Path.Combine(logs, "socat.log"), "UNIX-LISTEN:/data/echo.sock,fork", "PIPE"];
        originalInit = File.ReadAllText(Path.Combine(SeedScripts.Directory, "monerod.orig.initd"))
            .Replace("/usr/bin/monerod", Socat)
            .Replace("--non-interactive ${MONEROD_ARGS}", string.Join(' ', daemonArgs))
            .Replace("MONEROD_USER:=monero", "MONEROD_USER:=" + Accounts.ServiceName)
            .Replace("MONEROD_GROUP:=monero", "MONEROD_GROUP:=" + Accounts.ServiceName)
            .Replace("/var/lib/monero /var/log/monero", $"{Path.Combine(profiles.Root, "var-lib-monero")} {logs}")
            .Replace("/run/${RC_SVCNAME}", Path.Combine(profiles.Root, "run"));
        File.WriteAllText(service.Script, originalInit);
        File.SetUnixFileMode(service.Script, (UnixFileMode)Convert.ToInt32("755", 8));
    }

    public void Dispose() => service.Dispose();

    private string[] Log() => File.Exists(Path.Combine(logs, "socat.log")) ? File.ReadAllLines(Path.Combine(logs, "socat.log")) : [];

    /// <summary>The migration, asserted at each step.</summary>
    /// <param name="packagedHub">The package's hub as shipped, in the profile directory before import.</param>
    public void Run(string packagedHub)
    {
        // The sandbox the script makes, as supervise-daemon would run it.
        var theirs = SeedParityTests.Units(seed.RunScript(script, daemonArgs));

        string hub = Path.Combine(profileDirectory, "defaults.toml");
        var import = Runner.Run(sandboxer, ["import", .. Directory.GetFiles(bin, "bwrap-*").Order(), "--backup-dir", backups], environment);
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains($"wrote {Path.Combine(profileDirectory, "monerod.toml")}", import.Output);
        // The package's hub gives way to the scripts' shared options, kept aside, and what it set that they do not is said.
        Assert.Contains($"replaced {hub}, the package's as shipped, with the imported one (the package's is {Path.Combine(backups, "defaults.toml")})", import.Output);
        Assert.Contains($"sandboxer: note: {hub}: the scripts' shared options are your policy and replace the package's hub; the package's also set disable-userns, [seccomp], [limits], which yours does not: see sandboxer audit", import.Stderr);
        Assert.Equal(packagedHub, File.ReadAllText(Path.Combine(backups, "defaults.toml")));
        Assert.StartsWith("# Imported by sandboxer import from ", File.ReadAllText(hub));
        // The relay's state under this test's root, not /run/sandboxer, which parallel tests share.
        File.AppendAllText(hub, $"\n[stop]\nstate = \"{profiles.State}\"\n");

        string[] install = ["install", "monerod", "--openrc", service.Name, "--link-dir", bin, "--init-dir", service.InitDirectory, "--backup-dir", backups];
        var dryRun = Runner.Run(sandboxer, [.. install, "--dry-run"], environment);
        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        Assert.Contains($"would replace {script}, the old wrapper script", dryRun.Output);
        Assert.Equal(originalScript, File.ReadAllText(script));
        Assert.Equal(originalInit, File.ReadAllText(service.Script));

        var installed = Runner.Run(sandboxer, install, environment);
        Assert.True(installed.ExitCode == 0, installed.ToString());
        string backup = Path.Combine(backups, "bwrap-monerod");
        Assert.Contains($"replaced {script}, the old wrapper script (the profile makes the sandbox it made), with a link -> {sandboxer} (the script is {backup})", installed.Output);
        Assert.Equal(sandboxer, new FileInfo(script).LinkTarget);
        Assert.Equal(originalScript, File.ReadAllText(backup));
        Assert.Equal(originalInit, File.ReadAllText(Path.Combine(backups, service.Name + ".initd")));
        Assert.Contains($"command={script}\n", File.ReadAllText(service.Script));

        var again = Runner.Run(sandboxer, install, environment);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal($"unchanged {service.Script}\nunchanged {script} -> {sandboxer}\n", again.Output);

        var start = service.Service("start");
        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.True(Processes.WaitUntil(() => service.ChildPid is int pid && Processes.Executable(pid) == Processes.RealPath(Published.Bwrap)
            && Log().Any(l => l.Contains("listening on", StringComparison.Ordinal))), $"socat did not start: [{string.Join("\n", Log())}] {start}");
        int bwrap = service.ChildPid!.Value;
        List<ProcessInfo> tree = [Processes.Read(bwrap)!, .. Processes.Descendants(bwrap)];
        Assert.Equal(Accounts.ServiceUid, Processes.RealUid(bwrap));

        // The sandbox bwrap was given is the script's, plus the relay: --as-pid-1, its own image
        // mounted under /run/sandboxer, and itself before the daemon's command line.
        var ours = SeedParityTests.Units([.. Processes.CommandLine(bwrap).Skip(1)]);
        Assert.Equal(theirs.Options.Append("--as-pid-1").Order(), ours.Options.Order());
        Assert.Equal(theirs.Mounts, ours.Mounts.Where(m => !m.Split(' ')[^1].StartsWith("/run/sandboxer/", StringComparison.Ordinal)));
        Assert.Equal(theirs.Command, ours.Command.TakeLast(theirs.Command.Count));
        Assert.Equal("--", ours.Command[^(theirs.Command.Count + 1)]);

        // The daemon serves through the data directory it was given.
        var echo = Runner.Run("/bin/sh", ["-c", $"echo ping | {Socat} -t 2 - UNIX-CONNECT:{Path.Combine(data, "echo.sock")}"]);
        Assert.True(echo.ExitCode == 0 && echo.Output == "ping\n", echo.ToString());

        var stop = service.Service("stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        // socat logs this only from its own SIGTERM handler: a SIGKILL (bwrap's death without the relay) leaves no line.
        Assert.True(Processes.WaitUntil(() => Log().Any(l => l.EndsWith("exiting on signal 15", StringComparison.Ordinal))),
            $"socat did not get a SIGTERM: [{string.Join("\n", Log())}]");
        Processes.AssertAllGone(tree, "after stop");
    }
}
