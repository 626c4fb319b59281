using Sandboxer.Elf;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Elf;

/// <summary>The loaders' search rules on hand-built objects in a root of their own.</summary>
public sealed class LibraryResolverTests : IDisposable
{
    private readonly FakeRoot root = new FakeRoot().Glibc();

    public void Dispose() => root.Dispose();

    private static ElfImage Program(params string[] needed) => new() { Type = ElfFile.TypeExecutable, Interpreter = FakeRoot.GlibcLoader, Needed = needed };

    private static string[] Paths(LibraryResolver resolver) => [.. resolver.Files.Select(f => f.Path)];

    [Fact]
    public void A_program_gets_itself_its_interpreter_and_its_libraries_in_the_loaders_order()
    {
        root.Write("/usr/bin/daemon", Program("libc.so.6"));
        Assert.Equal(["/usr/bin/daemon", FakeRoot.GlibcLoader, "/usr/lib64/libc.so.6"], Paths(root.Resolve("/usr/bin/daemon")));
    }

    [Fact]
    public void Rpath_is_searched_first_and_inherited_by_what_the_program_loads()
    {
        root.Write("/opt/app/bin/daemon", Program("libone.so") with { RPath = "/opt/app/lib" })
            .Write("/opt/app/lib/libone.so", new ElfImage { Needed = ["libtwo.so", "libc.so.6"] })
            .Write("/opt/app/lib/libtwo.so", new ElfImage())
            .Write("/usr/lib64/libtwo.so", new ElfImage());
        var files = Paths(root.Resolve("/opt/app/bin/daemon"));
        Assert.Contains("/opt/app/lib/libtwo.so", files);
        Assert.DoesNotContain("/usr/lib64/libtwo.so", files);
    }

    [Fact]
    public void Runpath_hides_rpath_and_is_not_inherited()
    {
        root.Write("/opt/app/bin/daemon", Program("libone.so") with { RPath = "/opt/rpath", RunPath = "/opt/runpath" })
            .Write("/opt/rpath/libone.so", new ElfImage())
            .Write("/opt/runpath/libone.so", new ElfImage { Needed = ["libtwo.so"] })
            .Write("/opt/runpath/libtwo.so", new ElfImage())
            .Write("/usr/lib64/libtwo.so", new ElfImage());
        var files = Paths(root.Resolve("/opt/app/bin/daemon"));
        Assert.Contains("/opt/runpath/libone.so", files);
        Assert.DoesNotContain("/opt/rpath/libone.so", files);
        // libone has no run path of its own: the program's RUNPATH does not reach its needs.
        Assert.Contains("/usr/lib64/libtwo.so", files);
        Assert.DoesNotContain("/opt/runpath/libtwo.so", files);
    }

    [Fact]
    public void Origin_is_the_directory_of_the_program_and_of_each_library_as_found()
    {
        root.Write("/opt/app/bin/daemon", Program("libone.so") with { RunPath = "$ORIGIN/../lib" })
            .Write("/opt/app/lib/libone.so", new ElfImage { Needed = ["libtwo.so"], RunPath = "${ORIGIN}/private" })
            .Write("/opt/app/lib/private/libtwo.so", new ElfImage());
        var files = Paths(root.Resolve("/opt/app/bin/daemon"));
        Assert.Contains("/opt/app/lib/libone.so", files);
        Assert.Contains("/opt/app/lib/private/libtwo.so", files);
    }

    [Fact]
    public void Nodeflib_keeps_the_default_directories_out_of_the_search()
    {
        root.Write("/usr/bin/daemon", Program("libc.so.6") with { NoDefaultLibraries = true });
        var e = Assert.Throws<SandboxerException>(() => root.Resolve("/usr/bin/daemon"));
        Assert.Equal(ExitCodes.Config, e.ExitCode);
        Assert.StartsWith("test.toml:1:1: libraries: libc.so.6, needed by /usr/bin/daemon: not found", e.Message);
    }

    [Fact]
    public void A_library_of_another_machine_earlier_in_the_path_is_skipped_as_glibc_skips_it()
    {
        root.Write("/usr/bin/daemon", Program("libone.so") with { RPath = "/opt/decoy" })
            .Write("/opt/decoy/libone.so", new ElfImage { Machine = ElfKind.AArch64 })
            .Write("/usr/lib64/libone.so", new ElfImage());
        var files = Paths(root.Resolve("/usr/bin/daemon"));
        Assert.Contains("/usr/lib64/libone.so", files);
        Assert.DoesNotContain("/opt/decoy/libone.so", files);
    }

    [Fact]
    public void A_dependency_loop_ends_with_each_library_once()
    {
        root.Write("/usr/bin/daemon", Program("liba.so"))
            .Write("/usr/lib64/liba.so", new ElfImage { Needed = ["libb.so"], SoName = "liba.so" })
            .Write("/usr/lib64/libb.so", new ElfImage { Needed = ["liba.so", "libb.so"] });
        Assert.Equal(["/usr/bin/daemon", FakeRoot.GlibcLoader, "/usr/lib64/liba.so", "/usr/lib64/libb.so"], Paths(root.Resolve("/usr/bin/daemon")));
    }

    [Fact]
    public void Every_link_on_the_way_is_kept_and_the_real_file_is_bound()
    {
        root.Link("/lib", "usr/lib64")
            .Link("/usr/lib64/libz.so.1", "libz.so.1.2.13")
            .Write("/usr/lib64/libz.so.1.2.13", new ElfImage())
            .Link("/usr/bin/daemon", "/etc/alternatives/daemon")
            .Link("/etc/alternatives/daemon", "/usr/bin/daemon.real")
            .Write("/usr/bin/daemon.real", Program("libz.so.1") with { RPath = "/lib" });
        var resolver = root.Resolve("/usr/bin/daemon");
        Assert.Equal(["/usr/bin/daemon.real", FakeRoot.GlibcLoader, "/usr/lib64/libz.so.1.2.13"], Paths(resolver));
        Assert.Equal([new SymbolicLink("/etc/alternatives/daemon", "/usr/bin/daemon"), new SymbolicLink("/usr/bin/daemon.real", "/etc/alternatives/daemon"),
            new SymbolicLink("usr/lib64", "/lib"), new SymbolicLink("libz.so.1.2.13", "/usr/lib64/libz.so.1")], resolver.Links);
    }

    [Fact]
    public void A_crafted_needed_name_or_run_path_never_makes_a_bind_of_a_file_that_is_not_a_library()
    {
        root.Write("/etc/shadow", "root:*:1:0:99999:7:::\n"u8.ToArray())
            .Directory_("/opt/dir/libdir.so")
            .Write("/usr/lib64/libdir.so", new ElfImage())
            .Write("/usr/bin/absolute", Program("/etc/shadow"))
            .Write("/usr/bin/runpath", Program("shadow") with { RunPath = "/etc" })
            .Write("/usr/bin/directory", Program("libdir.so") with { RunPath = "/opt/dir" });
        foreach (var program in new[] { "/usr/bin/absolute", "/usr/bin/runpath" })
        {
            var e = Assert.Throws<SandboxerException>(() => root.Resolve(program));
            Assert.Contains("/etc/shadow (", e.Message);
            Assert.Contains("not an ELF object the loader can load", e.Message);
        }
        var files = Paths(root.Resolve("/usr/bin/directory"));
        Assert.Contains("/usr/lib64/libdir.so", files);
        Assert.DoesNotContain("/opt/dir/libdir.so", files);
    }

    [Fact]
    public void A_script_brings_its_interpreter_and_the_interpreters_libraries()
    {
        root.Write("/usr/bin/sh", Program("libc.so.6"))
            .Write("/usr/local/bin/start", "#!/usr/bin/sh -e\nexec daemon\n"u8.ToArray());
        Assert.Equal(["/usr/local/bin/start", "/usr/bin/sh", FakeRoot.GlibcLoader, "/usr/lib64/libc.so.6"], Paths(root.Resolve("/usr/local/bin/start")));
    }

    [Fact]
    public void A_static_program_needs_nothing_else()
    {
        root.Write("/usr/bin/static", new ElfImage { Type = ElfFile.TypeExecutable });
        Assert.Equal(["/usr/bin/static"], Paths(root.Resolve("/usr/bin/static")));
    }

    [Fact]
    public void Dlopen_names_are_found_by_the_programs_own_search_path()
    {
        root.Write("/usr/bin/daemon", Program("libc.so.6") with { RunPath = "/opt/plugins" })
            .Write("/opt/plugins/libplugin.so", new ElfImage { Needed = ["libhelper.so"] })
            .Write("/usr/lib64/libhelper.so", new ElfImage());
        var files = Paths(root.Resolve("/usr/bin/daemon", "libplugin.so"));
        Assert.Equal(["/usr/bin/daemon", FakeRoot.GlibcLoader, "/usr/lib64/libc.so.6", "/opt/plugins/libplugin.so", "/usr/lib64/libhelper.so"], files);
    }

    [Fact]
    public void Glibc_hwcaps_variants_are_bound_beside_the_baseline()
    {
        root.Write("/usr/bin/daemon", Program("libfast.so"))
            .Write("/usr/lib64/glibc-hwcaps/x86-64-v3/libfast.so", new ElfImage())
            .Write("/usr/lib64/libfast.so", new ElfImage());
        var files = Paths(root.Resolve("/usr/bin/daemon"));
        Assert.Contains("/usr/lib64/glibc-hwcaps/x86-64-v3/libfast.so", files);
        Assert.Contains("/usr/lib64/libfast.so", files);
    }

    [Fact]
    public void Musl_serves_libc_itself_inherits_run_paths_and_reads_its_path_file()
    {
        root.Write(FakeRoot.MuslLoader, new ElfImage { SoName = "libc.musl-x86_64.so.1" })
            .Write("/etc/ld-musl-x86_64.path", "/opt/musl/lib\n/usr/lib\n"u8.ToArray())
            .Write("/usr/bin/app", new ElfImage { Type = ElfFile.TypeExecutable, Interpreter = FakeRoot.MuslLoader, Needed = ["libone.so", "libc.musl-x86_64.so.1", "libpthread.so.0"], RPath = "/opt/app" })
            .Write("/opt/app/libone.so", new ElfImage { Needed = ["libtwo.so", "libthree.so", "libc.so"] })
            .Write("/opt/app/libtwo.so", new ElfImage())
            .Write("/opt/musl/lib/libthree.so", new ElfImage())
            .Write("/lib/libthree.so", new ElfImage());
        Assert.Equal(["/usr/bin/app", FakeRoot.MuslLoader, "/etc/ld-musl-x86_64.path", "/opt/app/libone.so", "/opt/app/libtwo.so", "/opt/musl/lib/libthree.so"],
            Paths(root.Resolve("/usr/bin/app")));
    }

    [Fact]
    public void Musl_fails_on_a_wrong_machine_where_glibc_would_go_on()
    {
        root.Write(FakeRoot.MuslLoader, new ElfImage())
            .Write("/usr/bin/app", new ElfImage { Type = ElfFile.TypeExecutable, Interpreter = FakeRoot.MuslLoader, Needed = ["libone.so"] })
            .Write("/lib/libone.so", new ElfImage { Machine = ElfKind.AArch64 })
            .Write("/usr/lib/libone.so", new ElfImage());
        var e = Assert.Throws<SandboxerException>(() => root.Resolve("/usr/bin/app"));
        Assert.Contains("/lib/libone.so (libone.so, needed by /usr/bin/app): aarch64 64-bit, not x86-64 64-bit", e.Message);
    }

    [Fact]
    public void A_missing_library_is_named_with_what_needed_it_and_where_it_was_looked_for()
    {
        root.Write("/usr/bin/daemon", Program("libgone.so.3"));
        var e = Assert.Throws<SandboxerException>(() => root.Resolve("/usr/bin/daemon"));
        Assert.Equal(ExitCodes.Config, e.ExitCode);
        Assert.Equal("test.toml:1:1: libraries: libgone.so.3, needed by /usr/bin/daemon: not found (searched /lib64/libgone.so.3, /usr/lib64/libgone.so.3)", e.Message);
    }

    [Fact]
    public void Without_proc_the_programs_own_origin_is_unknown_to_both_loaders()
    {
        root.Write("/opt/app/bin/daemon", Program("libone.so") with { RunPath = "$ORIGIN/../lib:/opt/other" })
            .Write("/opt/app/lib/libone.so", new ElfImage())
            .Write("/opt/other/libone.so", new ElfImage());
        var resolver = new LibraryResolver(new FileTree(root.Root), "test") { ProcMounted = false };
        resolver.AddProgram("/opt/app/bin/daemon", []);
        Assert.Contains("/opt/other/libone.so", Paths(resolver));
        Assert.DoesNotContain("/opt/app/lib/libone.so", Paths(resolver));
    }
}
