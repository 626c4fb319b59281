using Microsoft.Extensions.Logging.Abstractions;
using Sandboxer.Elf;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Elf;

/// <summary>
/// The resolver for the server's architecture, on an x64 machine: Debian's arm64 packages that
/// build/arm64.sh unpacks into artifacts/arm64-root, resolved with that tree as the root and
/// compared with what the arm64 loader itself lists under qemu-aarch64-static.
/// </summary>
public class Arm64LibraryTests
{
    private static string Root
    {
        get
        {
            string root = Path.Combine(Published.RepositoryRoot, "artifacts", "arm64-root");
            Assert.True(File.Exists(Path.Combine(root, "usr", "bin", "socat")), $"{root}/usr/bin/socat is missing: build/arm64.sh unpacks it");
            return Processes.RealPath(root);
        }
    }

    [Fact]
    public void Arm64_programs_and_libraries_resolve_to_what_the_arm64_loader_lists()
    {
        string root = Root;
        var objects = LoaderListing.Objects(["/usr/bin", "/usr/lib/aarch64-linux-gnu"], new ElfKind(true, ElfKind.AArch64), root);
        Assert.Contains("/usr/bin/socat", objects);
        Assert.True(objects.Count > 20, $"only {objects.Count} arm64 objects");
        string loader = root + "/usr/lib/ld-linux-aarch64.so.1";
        var listed = LoaderListing.List(root, ["qemu-aarch64-static", "-L", root, loader], objects);
        LoaderListing.AssertAgree(root, objects, listed, LoaderListing.RealPath(root, "/usr/lib/ld-linux-aarch64.so.1"));
    }

    [Fact]
    public void The_shipped_socat_profile_resolves_for_arm64_as_for_x64()
    {
        string root = Root;
        var profile = Toml.Load(File.ReadAllText(Path.Combine(Published.RepositoryRoot, "profiles", "defaults.toml")),
            File.ReadAllText(Path.Combine(Published.RepositoryRoot, "profiles", "socat.toml")));
        var mounts = LibraryPlan.Mounts(profile, NullLogger.Instance, root);
        var binds = mounts.Where(m => m.Option == "ro-bind").Select(m => (m.Operands[0], m.Operands[1])).ToList();
        Assert.Contains((root + "/usr/bin/socat", "/usr/bin/socat"), binds);
        Assert.Contains((root + "/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", "/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1"), binds);
        Assert.Contains((root + "/usr/lib/aarch64-linux-gnu/libc.so.6", "/usr/lib/aarch64-linux-gnu/libc.so.6"), binds);
        // The loader's path and the library directory are reached through the tree's links.
        Assert.Contains(mounts, m => m.Option == "symlink" && m.Operands.SequenceEqual(["usr/lib", "/lib"]));
        Assert.Contains(mounts, m => m.Option == "symlink" && m.Operands.SequenceEqual(["aarch64-linux-gnu/ld-linux-aarch64.so.1", "/usr/lib/ld-linux-aarch64.so.1"]));
        Assert.All(binds, b => Assert.Equal(root + b.Item2, b.Item1));
    }
}
