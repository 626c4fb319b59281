using System.Runtime.InteropServices;

namespace Sandboxer.Tests.Support;

/// <summary>The tests that run the arm64 binary: they share one <see cref="Aarch64Emulation"/>.</summary>
[CollectionDefinition(Aarch64Emulation.Collection)]
public sealed class Aarch64EmulationCollection : ICollectionFixture<Aarch64Emulation>;

/// <summary>
/// Lets the kernel run arm64 binaries on an x64 machine, for as long as the arm64 tests run:
/// qemu-aarch64 registered with binfmt_misc, with the F flag, so that the kernel opens the
/// interpreter once, here, and starts it for an arm64 exec in any mount namespace. The relay
/// is exec'd by x64 bwrap inside a sandbox where no qemu is bound, so without F it could not
/// start. What this registers or mounts it removes again, and nothing else: the machine's
/// binfmt setup is left as it was found. On arm64 it does nothing.
/// binfmt_misc is one per machine: two test runs at once (engineers sharing a machine) would
/// each take the other's registration for the machine's and remove it under it, so each holds
/// <see cref="LockFile"/> while it emulates, and build/test.sh takes it to compare the state.
/// </summary>
public sealed class Aarch64Emulation : IDisposable
{
    public const string Collection = "arm64 binary";
    private const string Root = "/proc/sys/fs/binfmt_misc";
    private const string Name = "qemu-aarch64";
    private static string Entry => $"{Root}/{Name}";

    /// <summary>The interpreter's line from qemu-user-static (systemd's format), or binfmt-support's description of it.</summary>
    private static readonly string[] SystemdLines = ["/usr/lib/binfmt.d/qemu-aarch64.conf", "/etc/binfmt.d/qemu-aarch64.conf"];
    private const string BinfmtSupportFile = "/usr/share/binfmts/qemu-aarch64";

    /// <summary>flock(2)'d for the whole run (.NET takes FileShare.None with flock on Linux), as build/test.sh's flock(1) does.</summary>
    public const string LockFile = "/tmp/sandboxer-binfmt.lock";
    private static readonly TimeSpan LockWait = TimeSpan.FromMinutes(15);

    private readonly bool mounted;
    private readonly bool registered;
    private readonly FileStream? held;

    public Aarch64Emulation()
    {
        if (RuntimeInformation.OSArchitecture == Architecture.Arm64)
            return;
        held = TakeLock();
        if (!File.Exists($"{Root}/register"))
        {
            Run("mount", "-t", "binfmt_misc", "binfmt_misc", Root);
            mounted = true;
        }
        try
        {
            if (File.Exists(Entry))
            {
                CheckExisting();
            }
            else
            {
                File.WriteAllText($"{Root}/register", RegisterLine());
                registered = true;
            }
        }
        catch
        {
            // xunit disposes no fixture whose constructor threw.
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (registered && File.Exists(Entry))
            File.WriteAllText(Entry, "-1");
        if (mounted)
            Run("umount", Root);
        held?.Dispose();
    }

    /// <summary>Waits while another run emulates: its registration is not the machine's.</summary>
    private static FileStream TakeLock()
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < LockWait)
            {
                Thread.Sleep(500);
            }
        }
    }

    /// <summary>A registration made by the machine is used as it is, if it can serve inside a sandbox.</summary>
    private static void CheckExisting()
    {
        var status = File.ReadAllLines(Entry);
        if (status.FirstOrDefault() != "enabled")
            throw new InvalidOperationException($"{Entry} is registered but disabled: enable it (echo 1 > {Entry})");
        string flags = status.FirstOrDefault(l => l.StartsWith("flags:", StringComparison.Ordinal)) ?? "flags:";
        if (!flags["flags:".Length..].Contains('F'))
            throw new InvalidOperationException($"{Entry} is registered without the F flag, so the relay cannot start in a sandbox " +
                $"that lacks the interpreter: register it again with F ({string.Join(" or ", SystemdLines)} has it)");
    }

    /// <summary>":name:type:offset:magic:mask:interpreter:flags", with F among the flags.</summary>
    private static string RegisterLine()
    {
        string line;
        if (SystemdLines.FirstOrDefault(File.Exists) is { } conf)
        {
            line = File.ReadLines(conf).First(l => l.StartsWith($":{Name}:", StringComparison.Ordinal)).Trim();
        }
        else if (File.Exists(BinfmtSupportFile))
        {
            var fields = File.ReadLines(BinfmtSupportFile).Select(l => l.Split(' ', 2)).Where(f => f.Length == 2)
                .ToDictionary(f => f[0], f => f[1].Trim());
            string kept = (fields.GetValueOrDefault("preserve") == "yes" ? "P" : "") + (fields.GetValueOrDefault("credentials") == "yes" ? "C" : "");
            line = $":{Name}:M:{fields.GetValueOrDefault("offset", "0")}:{fields["magic"]}:{fields["mask"]}:{fields["interpreter"]}:{kept}";
        }
        else
        {
            throw new InvalidOperationException($"no description of {Name} in {string.Join(", ", SystemdLines)} or {BinfmtSupportFile}: build/deps.sh test installs qemu-user-static");
        }
        string flags = line[(line.LastIndexOf(':') + 1)..];
        return flags.Contains('F') ? line : line + "F";
    }

    private static void Run(string program, params string[] args)
    {
        var result = Runner.Run(program, args);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed: {result}");
    }
}
