using System.Text;
using Sandboxer.Elf;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Elf;

/// <summary>runtime = [...] resolved per libc, on hand-built systems in a root of their own.</summary>
public sealed class RuntimeFilesTests : IDisposable
{
    private readonly FakeRoot root = new();

    public void Dispose() => root.Dispose();

    private FakeRoot Text(string path, string text) => root.Write(path, Encoding.UTF8.GetBytes(text));

    /// <summary>Resolves the program, then the runtime names, as LibraryPlan does.</summary>
    private (LibraryResolver Resolver, List<RuntimeFiles.Outcome> Outcomes) Resolve(string program, params string[] names)
    {
        var tree = new FileTree(root.Root);
        var resolver = new LibraryResolver(tree, "test.toml:1:1: libraries");
        var rules = resolver.AddProgram(program, []);
        return (resolver, RuntimeFiles.Add(resolver, tree, program, rules, names));
    }

    private static string[] Paths(LibraryResolver resolver) => [.. resolver.Files.Select(f => f.Path)];

    /// <summary>A Debian-like glibc system with what every name stands for, and a daemon that loads libcrypto.</summary>
    private void GlibcSystem()
    {
        root.Glibc()
            .Write("/usr/bin/daemon", new ElfImage { Type = ElfFile.TypeExecutable, Interpreter = FakeRoot.GlibcLoader, Needed = ["libcrypto.so.3", "libc.so.6"] })
            .Write("/usr/lib64/libgcc_s.so.1", new ElfImage { SoName = "libgcc_s.so.1", Needed = ["libc.so.6"] })
            .Write("/usr/lib64/libnss_mdns4_minimal.so.2", new ElfImage { Needed = ["libc.so.6"] })
            .Write("/usr/lib64/libnss_files.so.2", new ElfImage())
            // OpenSSL's directories are strings in libcrypto, as OpenSSL_version(OPENSSL_DIR) prints them.
            .Write("/usr/lib64/libcrypto.so.3", [.. new ElfImage { SoName = "libcrypto.so.3" }.Build(),
                .. Encoding.ASCII.GetBytes("\0OPENSSLDIR: \"/usr/lib/ssl\"\0MODULESDIR: \"/usr/lib64/ossl-modules\"\0ENGINESDIR: \"/usr/lib64/engines-3\"\0")])
            .Write("/usr/lib64/ossl-modules/legacy.so", new ElfImage { Needed = ["libcrypto.so.3"] })
            .Write("/usr/lib64/gconv/UTF-16.so", new ElfImage())
            .Link("/usr/lib/ssl/openssl.cnf", "/etc/ssl/openssl.cnf")
            .Link("/usr/lib/ssl/certs", "/etc/ssl/certs")
            .Link("/etc/ssl/certs/ca.pem", "/usr/share/ca-certificates/mozilla/ca.crt");
        Text("/etc/ssl/openssl.cnf", "openssl_conf = default\n");
        Text("/usr/share/ca-certificates/mozilla/ca.crt", "-----BEGIN CERTIFICATE-----\n");
        Text("/etc/nsswitch.conf", "# comment: hosts: evil\npasswd: files\nhosts: files mdns4_minimal [NOTFOUND=return] dns\n");
        Text("/etc/hosts", "127.0.0.1 localhost\n");
        Text("/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    }

    [Fact]
    public void Thread_cancel_on_glibc_is_libgcc_s_with_its_dependencies_found_by_the_loaders_rules()
    {
        GlibcSystem();
        var (resolver, _) = Resolve("/usr/bin/daemon", RuntimeFiles.ThreadCancel);
        var file = Assert.Single(resolver.Files, f => f.Path == "/usr/lib64/libgcc_s.so.1");
        Assert.StartsWith("libgcc_s.so.1, runtime = \"thread-cancel\": glibc loads it", file.Reason);
    }

    [Fact]
    public void Hosts_on_glibc_is_the_switch_its_modules_for_the_hosts_database_and_the_files_that_exist()
    {
        GlibcSystem();
        var (resolver, outcomes) = Resolve("/usr/bin/daemon", RuntimeFiles.Hosts);
        var files = Paths(resolver);
        Assert.Contains("/etc/nsswitch.conf", files);
        Assert.Contains("/etc/hosts", files);
        Assert.Contains("/usr/lib64/libnss_mdns4_minimal.so.2", files);
        Assert.Contains("/usr/lib64/libnss_files.so.2", files);
        // passwd is not the hosts database; only what exists is bound, and the rest is said.
        Assert.DoesNotContain("/etc/passwd", files);
        Assert.DoesNotContain("/etc/resolv.conf", files);
        var outcome = Assert.Single(outcomes);
        Assert.Contains("/etc/resolv.conf", outcome.Absent);
        Assert.Contains(outcome.Absent, a => a.StartsWith("libnss_dns.so.2 (", StringComparison.Ordinal));
    }

    [Fact]
    public void Users_is_the_account_files_and_the_passwd_and_group_modules()
    {
        GlibcSystem();
        var files = Paths(Resolve("/usr/bin/daemon", RuntimeFiles.Users).Resolver);
        Assert.Contains("/etc/passwd", files);
        Assert.Contains("/etc/nsswitch.conf", files);
        Assert.Contains("/usr/lib64/libnss_files.so.2", files);
        Assert.DoesNotContain("/etc/hosts", files);
        Assert.DoesNotContain("/usr/lib64/libnss_mdns4_minimal.so.2", files);
    }

    [Fact]
    public void Gconv_and_locale_are_directories_beside_libc_and_in_usr_lib_bound_whole_when_they_exist()
    {
        GlibcSystem();
        var (resolver, outcomes) = Resolve("/usr/bin/daemon", RuntimeFiles.Gconv, RuntimeFiles.Locale);
        Assert.Contains("/usr/lib64/gconv", Paths(resolver));
        Assert.Contains("/usr/lib64/gconv", resolver.BoundDirectories);
        Assert.DoesNotContain("/usr/lib64/gconv/UTF-16.so", Paths(resolver));
        Assert.Equal(["/usr/lib/locale/"], outcomes[1].Absent);
    }

    [Fact]
    public void Openssl_reads_its_directories_from_the_libcrypto_the_program_loads()
    {
        GlibcSystem();
        var (resolver, outcomes) = Resolve("/usr/bin/daemon", RuntimeFiles.OpenSsl);
        var files = Paths(resolver);
        // /usr/lib/ssl/openssl.cnf is a link: the file is bound at its real path, the link recreated.
        Assert.Contains("/etc/ssl/openssl.cnf", files);
        Assert.Contains(resolver.Links, l => l.Link == "/usr/lib/ssl/openssl.cnf" && l.Target == "/etc/ssl/openssl.cnf");
        Assert.Contains("/etc/ssl/certs", resolver.BoundDirectories);
        Assert.Contains("/usr/share/ca-certificates/mozilla", resolver.BoundDirectories);
        Assert.Contains("/usr/lib64/ossl-modules/legacy.so", files);
        // ENGINESDIR names a directory this system does not have.
        Assert.Equal(["/usr/lib/ssl/cert.pem", "/usr/lib64/libcrypto.so.3: ENGINESDIR"], outcomes[0].Absent);
    }

    [Fact]
    public void Openssl_adds_nothing_to_a_program_that_does_not_load_libcrypto()
    {
        GlibcSystem();
        root.Write("/usr/bin/plain", new ElfImage { Type = ElfFile.TypeExecutable, Interpreter = FakeRoot.GlibcLoader, Needed = ["libc.so.6"] });
        var (resolver, outcomes) = Resolve("/usr/bin/plain", RuntimeFiles.OpenSsl);
        Assert.DoesNotContain(resolver.Files, f => f.Path.Contains("ssl", StringComparison.Ordinal));
        Assert.Equal(["libcrypto (the program does not load it)"], outcomes[0].Absent);
    }

    [Fact]
    public void On_musl_only_the_files_it_reads_itself_and_nothing_for_what_it_builds_in()
    {
        root.Write(FakeRoot.MuslLoader, new ElfImage { SoName = "libc.musl-x86_64.so.1" })
            .Write("/usr/bin/daemon", new ElfImage { Type = ElfFile.TypeExecutable, Interpreter = FakeRoot.MuslLoader, Needed = ["libc.musl-x86_64.so.1"] })
            .Write("/usr/lib/libgcc_s.so.1", new ElfImage());
        Text("/etc/nsswitch.conf", "hosts: files dns\n");
        Text("/etc/hosts", "127.0.0.1 localhost\n");
        Text("/etc/resolv.conf", "nameserver 127.0.0.1\n");

        var (resolver, outcomes) = Resolve("/usr/bin/daemon", RuntimeFiles.Names);

        var files = Paths(resolver);
        Assert.Equal(["/usr/bin/daemon", FakeRoot.MuslLoader, "/etc/hosts", "/etc/resolv.conf"], files);
        foreach (var name in new[] { RuntimeFiles.ThreadCancel, RuntimeFiles.Gconv, RuntimeFiles.Locale })
            Assert.Equal("musl builds it in", outcomes.Single(o => o.Name == name).Nothing);
    }

    [Fact]
    public void A_static_program_gets_the_plain_files_and_no_library()
    {
        root.Write("/usr/bin/static", new ElfImage { Type = ElfFile.TypeExecutable });
        Text("/etc/passwd", "root:x:0:0::/root:/bin/sh\n");

        var (resolver, outcomes) = Resolve("/usr/bin/static", RuntimeFiles.ThreadCancel, RuntimeFiles.Users);

        Assert.Equal(["/usr/bin/static", "/etc/passwd"], Paths(resolver));
        Assert.Equal("a static program loads nothing", outcomes[0].Nothing);
    }

    [Theory]
    [InlineData("hosts: files mdns4_minimal [NOTFOUND=return] dns\n", "files,mdns4_minimal,dns")]
    [InlineData("hosts:\tfiles [ !UNAVAIL=return ] myhostname # trailing\n", "files,myhostname")]
    [InlineData("#hosts: evil\nhosts: ../../etc/shadow files files\n", "files")]
    [InlineData("passwd: files systemd\n", "")]
    public void Nsswitch_services_are_the_words_of_the_databases_lines_less_actions_comments_and_non_names(string text, string expected)
    {
        Assert.Equal(expected, string.Join(',', RuntimeFiles.NssServices(text, ["hosts"])));
    }
}
