using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Packaging;

/// <summary>build/package.sh, run once for the class: the host's .deb, tarball and the APKBUILD.</summary>
public sealed class PackageBuild
{
    public string Directory { get; } = Path.Combine(Published.RepositoryRoot, "artifacts", "packages");
    public string Deb { get; }
    public string Tarball { get; }
    public string Apkbuild => Path.Combine(Directory, "APKBUILD");

    public PackageBuild()
    {
        var result = Runner.Run(Path.Combine(Published.RepositoryRoot, "build", "package.sh"), ["linux-x64"], timeoutSeconds: 300);
        Assert.True(result.ExitCode == 0, result.ToString());
        string target = Path.Combine(Directory, "linux-x64");
        Deb = System.IO.Directory.GetFiles(target, "*.deb").Single();
        Tarball = System.IO.Directory.GetFiles(target, "*.tar.gz").Single();
    }

    /// <summary>The .deb's regular files, as absolute paths.</summary>
    public List<string> DebFiles()
    {
        var list = Runner.Run("/usr/bin/dpkg-deb", ["-c", Deb]);
        Assert.True(list.ExitCode == 0, list.ToString());
        return list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('-'))
            .Select(l => l[(l.IndexOf(" ./", StringComparison.Ordinal) + 2)..]).Order(StringComparer.Ordinal).ToList();
    }
}

/// <summary>
/// The packages, on the host only (build/test.sh leaves them out of the sid run: dpkg -i there
/// would install into the shared tree). The .deb is installed for real, used and purged.
/// </summary>
public sealed class PackagingTests(PackageBuild package) : IClassFixture<PackageBuild>
{
    [Fact]
    public void Each_target_has_its_checksums_and_the_scripts_pass_shellcheck()
    {
        var sums = Runner.Run("/bin/sh", ["-c", "cd \"$1\" && sha256sum -c SHA256SUMS", "sh", Path.GetDirectoryName(package.Deb)!]);
        Assert.True(sums.ExitCode == 0, sums.ToString());
        Assert.Contains($"{Path.GetFileName(package.Deb)}: OK", sums.Output);
        var check = Runner.Run("/usr/bin/shellcheck", ["-x", Path.Combine(Published.RepositoryRoot, "build", "package.sh"), "-s", "sh", package.Apkbuild]);
        Assert.True(check.ExitCode == 0, check.ToString());
    }

    [Fact]
    public void The_APKBUILD_installs_the_files_of_the_deb()
    {
        string work = System.IO.Directory.CreateTempSubdirectory("sandboxer-apk-").FullName;
        try
        {
            string src = System.IO.Directory.CreateDirectory(Path.Combine(work, "src")).FullName;
            string pkg = Path.Combine(work, "pkg");
            Assert.Equal(0, Runner.Run("/bin/tar", ["-xzf", package.Tarball, "-C", src]).ExitCode);
            // abuild's package() step: srcdir, pkgdir and CARCH set, run in builddir.
            var run = Runner.Run("/bin/sh", ["-euc", ". \"$1\"; cd \"$builddir\"; package", "sh", package.Apkbuild],
                new Dictionary<string, string> { ["srcdir"] = src, ["pkgdir"] = pkg, ["CARCH"] = "x86_64" });
            Assert.True(run.ExitCode == 0, run.ToString());
            var apk = System.IO.Directory.GetFiles(pkg, "*", SearchOption.AllDirectories).Select(f => f[pkg.Length..])
                // Alpine keeps licences apart; Debian's copyright file is the same LICENSE.
                .Select(f => f == "/usr/share/licenses/sandboxer/LICENSE" ? "/usr/share/doc/sandboxer/copyright" : f)
                .Order(StringComparer.Ordinal);
            Assert.Equal(package.DebFiles(), apk);
        }
        finally
        {
            System.IO.Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// The Done-when on the installed package: with its /etc/sandboxer/defaults.toml in
    /// place, `sandboxer import` of the seed's scripts into /etc/sandboxer, `install monerod
    /// --openrc`, the real supervise-daemon, a graceful stop and the script's own argv
    /// (<see cref="SeedMigration"/>); then the purge takes the imported hub (a conffile) and
    /// leaves only the admin's own profile.
    /// </summary>
    [Fact]
    public void The_deb_installs_runs_a_service_through_its_link_takes_the_seeds_migration_and_purges_clean()
    {
        Assert.False(Installed(), "the sandboxer package is already installed here: this test installs and purges it");
        Assert.False(System.IO.Directory.Exists("/etc/sandboxer"), "/etc/sandboxer is already here: this test imports into it and removes it");
        var files = package.DebFiles();
        using var profiles = new ProfileDirectory();
        List<string> left = [];
        try
        {
            Dpkg("-i", package.Deb);
            Assert.True(Installed());
            Assert.Contains("/etc/sandboxer/defaults.toml", Runner.Run("/usr/bin/dpkg-query", ["-W", "-f", "${Conffiles}", "sandboxer"]).Output);
            Assert.All(files, f => Assert.True(File.Exists(f), f));
            Assert.Contains("sandboxer - run a service", Runner.Run("/usr/bin/man", ["-P", "cat", "sandboxer"], new Dictionary<string, string> { ["MANWIDTH"] = "80" }).Output);

            string shipped = File.ReadAllText("/usr/share/sandboxer/profiles/defaults.toml");
            Assert.Equal(shipped, File.ReadAllText("/etc/sandboxer/defaults.toml"));
            using (var migration = new SeedMigration(profiles, "/usr/bin/sandboxer", "/etc/sandboxer", []))
                migration.Run(shipped);

            profiles.Write("hello", $"command = \"/bin/sh\"\nargs = [\"-c\", \"echo hello; echo \\\"$@\\\"\", \"sh\"]\n[sandbox]\n{ProfileDirectory.ShellMounts}\n");
            var install = Runner.Run("/usr/bin/sandboxer", ["install", "hello", "--link-dir", profiles.Bin], profiles.Environment());
            Assert.True(install.ExitCode == 0, install.ToString());
            string link = Path.Combine(profiles.Bin, "bwrap-hello");
            Assert.Equal("/usr/bin/sandboxer", new FileInfo(link).LinkTarget);
            var run = Runner.Run(link, ["two words"], profiles.Environment());
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal("hello\ntwo words\n", run.Output);
        }
        finally
        {
            if (Installed())
                Dpkg("--purge", "sandboxer");
            // What dpkg leaves is the admin's (here the test's own): not the package's to remove.
            if (System.IO.Directory.Exists("/etc/sandboxer"))
            {
                left = System.IO.Directory.GetFiles("/etc/sandboxer").Select(f => Path.GetFileName(f)).ToList();
                System.IO.Directory.Delete("/etc/sandboxer", recursive: true);
            }
        }
        Assert.Equal(["monerod.toml"], left);
        Assert.False(Installed());
        Assert.All(files, f => Assert.False(File.Exists(f), f));
        foreach (var directory in new[] { "/etc/sandboxer", "/usr/share/sandboxer", "/usr/share/doc/sandboxer" })
            Assert.False(System.IO.Directory.Exists(directory), directory);
    }

    private static bool Installed() =>
        Runner.Run("/usr/bin/dpkg-query", ["-W", "-f", "${Status}", "sandboxer"]).Output.Contains("ok installed");

    /// <summary>dpkg, waiting while another install holds its lock.</summary>
    private static void Dpkg(params string[] args)
    {
        for (int attempt = 0; ; attempt++)
        {
            var result = Runner.Run("/usr/bin/dpkg", args, timeoutSeconds: 120);
            if (result.ExitCode == 0)
                return;
            if (attempt < 20 && result.Stderr.Contains("lock", StringComparison.Ordinal))
            {
                Thread.Sleep(3000);
                continue;
            }
            Assert.Fail($"dpkg {string.Join(' ', args)}: {result}");
        }
    }
}
