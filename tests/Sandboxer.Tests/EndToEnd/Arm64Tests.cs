using System.Runtime.InteropServices;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// The binary the server runs (linux-arm64) is cross-compiled, so it is run here too: natively
/// on an arm64 machine, else under qemu-aarch64-static with Debian's arm64 libraries (-L /).
/// Its exec of bwrap goes to the host's own bwrap: qemu-user passes execve to the kernel, which
/// runs an x64 bwrap natively, so no arm64 bwrap (nor binfmt_misc) is needed.
/// </summary>
public class Arm64Tests
{
    private const string Qemu = "/usr/bin/qemu-aarch64-static";
    private const ushort ElfMachineAarch64 = 183;

    private static RunResult RunArm64(string binary, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        if (RuntimeInformation.OSArchitecture == Architecture.Arm64)
            return Runner.Run(binary, args, environment);
        Assert.True(File.Exists(Qemu), $"{Qemu} is missing: build/deps.sh test installs qemu-user-static");
        Assert.True(File.Exists("/lib/ld-linux-aarch64.so.1"), "Debian's arm64 libc is missing: build/publish.sh linux-arm64 installs it");
        return Runner.Run(Qemu, ["-L", "/", binary, .. args], environment);
    }

    /// <summary>
    /// The shipped profiles with the stop relay off: the relay is Sandboxer itself inside the
    /// sandbox, started by x64 bwrap, and with no binfmt handler here the kernel cannot start an
    /// arm64 binary. On arm64 hardware it runs natively; the x64 suites test it.
    /// </summary>
    private static ProfileDirectory ShippedProfiles(params string[] names)
    {
        var profiles = new ProfileDirectory();
        foreach (var name in names)
            profiles.Write(name, File.ReadAllText(Path.Combine(Published.RepositoryRoot, "profiles", name + ".toml")) + "\n[stop]\nrelay = false\n");
        return profiles;
    }

    [Fact]
    public void Arm64_binary_puts_its_own_loader_and_libraries_in_front_of_the_relay()
    {
        using var profiles = new ProfileDirectory();
        profiles.Write("monerod", File.ReadAllText(Path.Combine(Published.RepositoryRoot, "profiles", "monerod.toml")));
        var result = RunArm64(Published.Arm64Binary, ["--profile-dir", profiles.Path, "show", "monerod"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($" --ro-bind {Processes.RealPath(Published.Arm64Binary)} /run/sandboxer/relay ", result.Output);
        Assert.Contains(" --ro-bind /usr/lib/aarch64-linux-gnu/libc.so.6 /usr/lib/aarch64-linux-gnu/libc.so.6 ", result.Output);
        Assert.Contains(" /usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1 /run/sandboxer/relay relay --signal 15 --timeout 30 ", result.Output);
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
        var arm64 = RunArm64(Published.Arm64Binary, ["--version"]);
        var host = Runner.Run(Published.Binary, ["--version"]);
        Assert.True(arm64.ExitCode == 0, arm64.ToString());
        Assert.StartsWith("sandboxer ", arm64.Output);
        Assert.Equal(host.Output, arm64.Output);
    }

    [Fact]
    public void Arm64_binary_shows_the_seed_scripts_monerod_command_byte_for_byte_as_x64_does()
    {
        using var profiles = ShippedProfiles("monerod");
        string[] args = ["--profile-dir", profiles.Path, "show", "monerod", "--non-interactive"];
        var arm64 = RunArm64(Published.Arm64Binary, args);
        var host = Runner.Run(Published.Binary, args);
        Assert.True(arm64.ExitCode == 0, arm64.ToString());
        Assert.Equal(
            Published.Bwrap + " --unshare-all --share-net --hostname host --clearenv --cap-drop ALL --new-session --die-with-parent " +
            "--dev /dev --tmpfs /tmp --ro-bind /lib/ld-musl-aarch64.so.1 /lib/ld-musl-aarch64.so.1 --ro-bind /usr/lib /usr/lib " +
            "--ro-bind /usr/bin/monerod /usr/bin/monerod --ro-bind /etc/monero/monerod.conf /etc/monero/monerod.conf " +
            "--ro-bind /etc/resolv.conf /etc/resolv.conf --bind /var/log/monero/ /var/log/monero/ --bind /mnt/tank1/monerod /data " +
            "/usr/bin/monerod --non-interactive\n",
            arm64.Output);
        Assert.Equal(host.Stdout, arm64.Stdout);
    }

    [Fact]
    public void Arm64_binary_execs_real_bwrap_under_qemu()
    {
        using var profiles = ShippedProfiles("demo");
        // Invoked through its bwrap-NAME link, as a service's init script runs it.
        string link = profiles.Link("demo", binary: Published.Arm64Binary);
        var result = RunArm64(link, ["-c", "echo \"in $(hostname)\"; ls /"], profiles.Environment());
        Assert.True(result.ExitCode == 0, result.ToString());
        // The hostname and the bare root are bwrap's doing: the shell ran inside the sandbox.
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("in host", lines[0]);
        Assert.Contains("usr", lines);
        Assert.Contains("tmp", lines);
        Assert.DoesNotContain("etc", lines);
    }
}
