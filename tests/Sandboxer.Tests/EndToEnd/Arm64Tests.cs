using System.Net;
using System.Runtime.InteropServices;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// The binary the server runs (linux-arm64) is cross-compiled, so it is run here too: natively
/// on an arm64 machine, else through qemu-aarch64, which <see cref="Aarch64Emulation"/>
/// registers with the kernel. The arm64 launcher execs the host's own bwrap (qemu-user passes
/// execve to the kernel), and bwrap starts the arm64 relay as the sandbox's PID 1.
/// </summary>
[Collection(Aarch64Emulation.Collection)]
public sealed class Arm64Tests
{
    private const string Qemu = "/usr/bin/qemu-aarch64-static";
    private const ushort ElfMachineAarch64 = 183;

    /// <summary>
    /// <see cref="Arm64Socat"/>, copied on x64 beside the launcher's root-owned copy, so that
    /// the service account can read it wherever the repository is checked out.
    /// </summary>
    private static string InstalledSocat(ProfileDirectory profiles)
    {
        string unpacked = Arm64Socat.Unpacked;
        if (RuntimeInformation.OSArchitecture == Architecture.Arm64)
            return unpacked;
        string copy = Path.Combine(profiles.Bin, "socat");
        File.Copy(unpacked, copy);
        File.SetUnixFileMode(copy, (UnixFileMode)Convert.ToInt32("755", 8));
        return copy;
    }

    /// <summary>
    /// The shipped profiles, or the seed scripts' translation where Composition/Seed has one (the
    /// shipped monerod resolves its libraries, and monerod is not installed here); relay = false
    /// for a comparison with the seed scripts, which had none.
    /// </summary>
    private static ProfileDirectory ShippedProfiles(bool relay, params string[] names)
    {
        var profiles = new ProfileDirectory(launcher: Published.Arm64Binary);
        foreach (var name in names)
        {
            string seed = Path.Combine(Published.RepositoryRoot, "tests", "Sandboxer.Tests", "Composition", "Seed", name + ".toml");
            string file = File.Exists(seed) ? seed : Path.Combine(Published.RepositoryRoot, "profiles", name + ".toml");
            profiles.Write(name, File.ReadAllText(file) + (relay ? "" : "\n[stop]\nrelay = false\n"));
        }
        return profiles;
    }

    [Fact]
    public void Arm64_binary_puts_its_own_loader_and_libraries_in_front_of_the_relay()
    {
        using var profiles = ShippedProfiles(relay: true, "monerod");
        var result = Runner.Run(Published.Arm64Binary, ["--profile-dir", profiles.Path, "show", "monerod"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($" --ro-bind {Processes.RealPath(Published.Arm64Binary)} /run/sandboxer/relay ", result.Output);
        Assert.Contains(" --ro-bind /usr/lib/aarch64-linux-gnu/libc.so.6 /run/sandboxer/lib/libc.so.6 ", result.Output);
        Assert.Contains(" /run/sandboxer/lib/ld-linux-aarch64.so.1 --library-path /run/sandboxer/lib /run/sandboxer/relay relay --signal 15 --timeout 30 ", result.Output);
    }

    /// <summary>
    /// The shipped [seccomp], under the arm64 binary: applied natively, and refused by name under
    /// qemu-user, which refuses every filter: a policy that cannot be applied stops the start.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Arm64_binary_applies_the_shipped_seccomp_policy_or_refuses_to_start_without_it(bool relay)
    {
        using var profiles = new ProfileDirectory(ProfileDirectory.ShippedDefaults, launcher: Published.Arm64Binary);
        profiles.Write("filtered", $"""
            command = "/bin/sh"
            args = ["-c", "grep '^Seccomp:' /proc/self/status"]
            [sandbox]
            {ProfileDirectory.ShellMounts}
            proc = "/proc"
            [stop]
            relay = {(relay ? "true" : "false")}
            state = {Toml.Quote(profiles.State)}
            """);
        var result = Runner.Run(profiles.Link("filtered"), Array.Empty<string>(), profiles.Environment());
        if (RuntimeInformation.OSArchitecture == Architecture.Arm64)
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal("Seccomp:\t2\n", result.Output);
            return;
        }
        Assert.Equal(78, result.ExitCode);
        Assert.Equal("sandboxer: seccomp: this kernel cannot apply a seccomp filter (or an emulator refuses it); not starting without the profile's [seccomp]\n", result.Stderr);
    }

    [Fact]
    public void Arm64_binary_is_an_aarch64_elf_executable()
    {
        var header = File.ReadAllBytes(Published.Arm64Binary).AsSpan(0, 20);
        Assert.True(header[..4].SequenceEqual("\u007fELF"u8), "not an ELF file");
        Assert.Equal(2, header[4]); // 64-bit
        Assert.Equal(ElfMachineAarch64, BitConverter.ToUInt16(header[18..20]));
    }

    [Fact]
    public void Arm64_binary_prints_the_same_version_as_the_host_binary()
    {
        var arm64 = Runner.Run(Published.Arm64Binary, ["--version"]);
        var host = Runner.Run(Published.Binary, ["--version"]);
        Assert.True(arm64.ExitCode == 0, arm64.ToString());
        Assert.StartsWith("sandboxer ", arm64.Output);
        Assert.Equal(host.Output, arm64.Output);
    }

    [Fact]
    public void Arm64_binary_shows_the_seed_scripts_monerod_command_byte_for_byte_as_x64_does()
    {
        using var profiles = ShippedProfiles(relay: false, "monerod");
        string[] args = ["--profile-dir", profiles.Path, "show", "monerod", "--non-interactive"];
        var arm64 = Runner.Run(Published.Arm64Binary, args);
        var host = Runner.Run(Published.Binary, args);
        Assert.True(arm64.ExitCode == 0, arm64.ToString());
        Assert.Equal(
            Published.Bwrap + " --unshare-all --unshare-user --share-net --disable-userns --hostname host --clearenv --cap-drop ALL --new-session --die-with-parent " +
            "--dev /dev --tmpfs /tmp --ro-bind /lib/ld-musl-aarch64.so.1 /lib/ld-musl-aarch64.so.1 --ro-bind /usr/lib /usr/lib " +
            "--ro-bind /usr/bin/monerod /usr/bin/monerod --ro-bind /etc/monero/monerod.conf /etc/monero/monerod.conf " +
            "--ro-bind /etc/resolv.conf /etc/resolv.conf --bind /var/log/monero/ /var/log/monero/ --bind /mnt/tank1/monerod /data " +
            "/usr/bin/monerod --non-interactive\n",
            arm64.Output);
        Assert.Equal(host.Stdout, arm64.Stdout);
    }

    [Fact]
    public void Arm64_binary_execs_real_bwrap_which_starts_the_arm64_relay_in_front_of_the_daemon()
    {
        using var profiles = ShippedProfiles(relay: true, "demo");
        // Invoked through its bwrap-NAME link, as a service's init script runs it.
        var result = Runner.Run(profiles.Link("demo"), ["-c", "echo \"in $(hostname) as pid $$, parent $PPID\"; ls /"], profiles.Environment());
        Assert.True(result.ExitCode == 0, result.ToString());
        // The hostname and the bare root are bwrap's doing: the shell ran inside the sandbox,
        // as the child of its PID 1, the relay.
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches("^in host as pid [0-9]+, parent 1$", lines[0]);
        Assert.Contains("usr", lines);
        Assert.Contains("tmp", lines);
        Assert.DoesNotContain("etc", lines);
    }

    /// <summary>
    /// The user's bridge on the server's architecture: Debian's arm64 socat under the shipped
    /// profile, its arm64 loader and libraries found by libraries = "auto" among the host's (no
    /// /usr of its own), started by supervise-daemon through the arm64 launcher, in front of it
    /// the arm64 relay. It relays a TCP client to a Unix socket service, and stops on the
    /// relay's SIGTERM when supervise-daemon stops bwrap.
    /// </summary>
    [Fact]
    public void Arm64_socat_with_auto_libraries_bridges_and_stops_on_the_arm64_relays_sigterm()
    {
        // The service behind the bridge: the host's socat, under this machine's own binary.
        using var echoProfiles = new ProfileDirectory();
        var echo = new EchoDaemon(echoProfiles);
        using var echoService = new SupervisedService(echoProfiles, EchoDaemon.Profile, EchoDaemon.Args);
        echoService.Start();
        Assert.True(echo.WaitForAnswer("ping") == EchoDaemon.Expected("ping"), "the echo service does not answer: " + echoService.ReadLog());

        using var profiles = new ProfileDirectory(launcher: Published.Arm64Binary);
        string socat = InstalledSocat(profiles);
        profiles.Write("socat", Arm64Socat.ShippedProfile(socat, echo.SocketDirectory));
        var show = Runner.Run(Published.Arm64Binary, ["--profile-dir", profiles.Path, "show", "socat"]);
        Assert.True(show.ExitCode == 0, show.ToString());
        // Its own libraries, the arm64 ones beside the host's, each at its real path; nothing binds a whole /usr.
        if (RuntimeInformation.OSArchitecture != Architecture.Arm64)
        {
            foreach (var library in new[] { "ld-linux-aarch64.so.1", "libc.so.6", "libssl.so.3", "libcrypto.so.3", "libwrap.so.0" })
                Assert.Matches($" --ro-bind (/usr/lib/aarch64-linux-gnu/{library}[0-9.]*) \\1 ", show.Output);
            Assert.DoesNotContain("x86_64-linux-gnu", show.Output);
        }
        Assert.Contains($" --ro-bind {socat} {socat} ", show.Output);
        Assert.DoesNotContain(" /usr /usr ", show.Output);

        int port = Loopback.FreePort();
        // -d -d: socat logs the signal it exits on, which only a caught SIGTERM produces.
        using var bridge = new SupervisedService(profiles, "socat",
            "-d", "-d", $"TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr", "UNIX-CONNECT:/run/navidrome/echo.sock");
        bridge.Start();

        string? answer = null;
        Assert.True(Processes.WaitUntil(() => (answer = EchoDaemon.Ask(new IPEndPoint(IPAddress.Loopback, port), "hello")) == EchoDaemon.Expected("hello")),
            $"through the arm64 bridge on 127.0.0.1:{port} the client got {answer ?? "no connection"}; bridge log: {bridge.ReadLog()}");
        var sandbox = bridge.Sandbox();
        var (relay, daemon) = bridge.RelayAndDaemon();
        Assert.Contains(socat, Processes.CommandLine(daemon.Pid));
        if (RuntimeInformation.OSArchitecture != Architecture.Arm64)
        {
            // Emulated, both: the arm64 relay and the arm64 socat are qemu running them.
            Assert.Equal(Processes.RealPath(Qemu), Processes.Executable(relay.Pid));
            Assert.Equal(Processes.RealPath(Qemu), Processes.Executable(daemon.Pid));
        }

        bridge.Stop();

        Assert.True(Processes.WaitUntil(() => bridge.ReadLog().Contains("exiting on signal 15")),
            "socat did not log its SIGTERM: " + bridge.ReadLog());
        Processes.AssertAllGone(sandbox, "after the stop");
    }
}
