using Microsoft.Extensions.Logging.Abstractions;
using Sandboxer.Elf;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Elf;

/// <summary>
/// The resolver for the server's architecture, on an x64 machine: Debian's arm64 socat and the
/// arm64 libraries installed beside the host's (build/arm64.sh), resolved on the host itself as
/// the launcher resolves them, and compared with what the arm64 loader itself lists under
/// qemu-aarch64-static.
/// </summary>
public class Arm64LibraryTests
{
    private const string Multiarch = "/usr/lib/aarch64-linux-gnu";

    [Fact]
    public void Arm64_programs_and_libraries_resolve_to_what_the_arm64_loader_lists()
    {
        string socat = Arm64Socat.Unpacked;
        var objects = LoaderListing.Objects([Path.GetDirectoryName(socat)!, Multiarch], new ElfKind(true, ElfKind.AArch64));
        Assert.Contains(socat, objects);
        Assert.True(objects.Count > 20, $"only {objects.Count} arm64 objects");
        var listed = LoaderListing.List("/", ["qemu-aarch64-static", "-L", "/", "/lib/ld-linux-aarch64.so.1"], objects);
        LoaderListing.AssertAgree("/", objects, listed, LoaderListing.RealPath("/", "/lib/ld-linux-aarch64.so.1"));
    }

    [Fact]
    public void The_shipped_socat_profile_resolves_to_the_arm64_libraries_among_the_hosts()
    {
        string socat = Arm64Socat.Unpacked;
        var profile = Toml.Load(File.ReadAllText(Path.Combine(Published.RepositoryRoot, "profiles", "defaults.toml")),
            Arm64Socat.ShippedProfile(socat, "/run/navidrome"));
        var mounts = LibraryPlan.Mounts(profile, NullLogger.Instance);
        var binds = mounts.Where(m => m.Option == "ro-bind").Select(m => (m.Operands[0], m.Operands[1])).ToList();
        Assert.Contains((socat, socat), binds);
        Assert.Contains((Multiarch + "/ld-linux-aarch64.so.1", Multiarch + "/ld-linux-aarch64.so.1"), binds);
        Assert.Contains((Multiarch + "/libc.so.6", Multiarch + "/libc.so.6"), binds);
        Assert.Contains((Multiarch + "/libssl.so.3", Multiarch + "/libssl.so.3"), binds);
        // Not one of the host's own x86_64 libraries, which the same names also find.
        Assert.All(binds, b => Assert.True(b.Item1 == socat || b.Item1 == "/etc/ld.so.cache" || b.Item1.StartsWith(Multiarch + "/", StringComparison.Ordinal), b.Item1));
        // The loader's path and the library directory are reached through the host's links.
        Assert.Contains(mounts, m => m.Option == "symlink" && m.Operands.SequenceEqual(["usr/lib", "/lib"]));
        Assert.Contains(mounts, m => m.Option == "symlink" && m.Operands.SequenceEqual(["aarch64-linux-gnu/ld-linux-aarch64.so.1", "/usr/lib/ld-linux-aarch64.so.1"]));
        Assert.All(binds, b => Assert.Equal(b.Item1, b.Item2));
    }
}
