using Sandboxer.Elf;
using Sandboxer.Profiles;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Elf;

/// <summary>
/// A directory is bound whole only when the plan needs every entry in it anyway: never one file
/// more than the file binds would have given.
/// </summary>
public sealed class DirectoryBindsTests : IDisposable
{
    private const string Lib = "/opt/app/lib";
    private readonly FakeRoot root = new FakeRoot().Glibc();

    public DirectoryBindsTests()
    {
        // libtwo is asked for by its soname, a link to the versioned file, as on a real system.
        root.Write("/opt/app/bin/daemon", new ElfImage
        {
            Type = ElfFile.TypeExecutable,
            Interpreter = FakeRoot.GlibcLoader,
            Needed = ["libone.so", "libtwo.so.2", "libc.so.6"],
            RunPath = Lib,
        })
            .Write(Lib + "/libone.so", new ElfImage())
            .Write(Lib + "/libtwo.so.2.0.1", new ElfImage())
            .Link(Lib + "/libtwo.so.2", "libtwo.so.2.0.1");
    }

    public void Dispose() => root.Dispose();

    private List<MountOp> Mounts() =>
        LibraryPlan.Mounts(Toml.Load("", "command = \"/opt/app/bin/daemon\"\nlibraries = \"auto\"\n"),
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, root.Root);

    private static string[] Shown(List<MountOp> mounts) => [.. mounts.Select(m => $"{m.Option} {m.Destination}")];

    private static readonly string[] FileBinds =
    [
        "symlink " + Lib + "/libtwo.so.2",
        "ro-bind /opt/app/bin/daemon",
        "ro-bind " + FakeRoot.GlibcLoader,
        "ro-bind " + Lib + "/libone.so",
        "ro-bind " + Lib + "/libtwo.so.2.0.1",
        "ro-bind /usr/lib64/libc.so.6",
    ];

    [Fact]
    public void A_directory_whose_every_file_and_link_is_needed_is_one_bind_where_its_first_file_was()
    {
        var mounts = Mounts();
        Assert.Equal(
        [
            "ro-bind /opt/app/bin/daemon",
            "ro-bind " + FakeRoot.GlibcLoader,
            "ro-bind " + Lib,
            "ro-bind /usr/lib64/libc.so.6",
        ], Shown(mounts));
        Assert.Equal([root.Root + Lib, Lib], mounts.Single(m => m.Destination == Lib).Operands);
    }

    [Theory]
    [InlineData("file")]
    [InlineData("dot file")]
    [InlineData("link")]
    [InlineData("subdirectory")]
    [InlineData("fifo")]
    public void One_entry_the_plan_does_not_need_keeps_every_file_bound_alone(string extra)
    {
        switch (extra)
        {
            case "file":
                // Even an ELF library of the right kind: what counts is whether the plan needs it.
                root.Write(Lib + "/libunused.so", new ElfImage());
                break;
            case "dot file":
                root.Write(Lib + "/.secret", "x"u8.ToArray());
                break;
            case "link":
                root.Link(Lib + "/libone.so.1", "libone.so");
                break;
            case "subdirectory":
                root.Directory_(Lib + "/plugins");
                break;
            case "fifo":
                using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", root.Root + Lib + "/pipe"))
                {
                    mkfifo.WaitForExit();
                    Assert.Equal(0, mkfifo.ExitCode);
                }
                break;
        }
        Assert.Equal(FileBinds, Shown(Mounts()));
    }

    [Fact]
    public void A_directory_others_can_write_to_keeps_its_files_bound_alone()
    {
        // A bind shows what is added later too: only a directory no one else can add to is taken whole.
        File.SetUnixFileMode(root.Root + Lib, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        Assert.Equal(FileBinds, Shown(Mounts()));
    }

    [Fact]
    public void A_single_needed_file_stays_a_file_bind()
    {
        // /usr/lib64 holds libc alone and /lib64 the loader alone: a directory bind would save nothing.
        Assert.Contains("ro-bind /usr/lib64/libc.so.6", Shown(Mounts()));
        Assert.DoesNotContain("ro-bind /usr/lib64", Shown(Mounts()));
    }

    [Fact]
    public void The_composed_argv_binds_the_directory_once_and_nothing_beneath_it()
    {
        var profile = Toml.Load("", "command = \"/opt/app/bin/daemon\"\nlibraries = \"auto\"\n[sandbox]\ntmpfs = [\"/opt\"]\n");
        var argv = Sandboxer.Composition.Composer.Compose(profile, [], libraries: Mounts()).Select(System.Text.Encoding.UTF8.GetString).ToList();
        int tmpfs = argv.IndexOf("/opt");
        int bind = argv.IndexOf(root.Root + Lib);
        Assert.True(tmpfs >= 0 && bind > tmpfs, string.Join(' ', argv));
        Assert.Equal(Lib, argv[bind + 1]);
        Assert.DoesNotContain(argv, a => a.StartsWith(Lib + "/", StringComparison.Ordinal));
    }
}
