using Sandboxer.Elf;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Profiles;

public class LibrarySettingsTests
{
    private const string Command = "command = \"/bin/d\"\n";

    [Fact]
    public void Libraries_takes_auto_or_none_and_anything_else_is_an_error_with_a_hint()
    {
        var e = Toml.Error("", Command + "libraries = \"atuo\"\n");
        Assert.Equal("/etc/sandboxer/svc.toml:2:13: libraries: \"atuo\" must be \"auto\" or \"none\" (did you mean \"auto\"?)", e.Message);
        Assert.Equal("/etc/sandboxer/svc.toml:2:13: libraries: must be a string, not a boolean", Toml.Error("", Command + "libraries = true\n").Message);
    }

    [Fact]
    public void The_spoke_replaces_the_hubs_mode_and_appends_to_its_lists()
    {
        var profile = Toml.Load("libraries = \"none\"\ndlopen = [\"libnss_dns.so.2\"]\n", Command + "libraries = \"auto\"\ndlopen = [\"libresolv.so.2\"]\n");
        Assert.True(profile.Libraries.Auto);
        Assert.Equal(["libnss_dns.so.2", "libresolv.so.2"], profile.Libraries.Dlopen.Select(d => d.Value));
    }

    [Fact]
    public void Executables_and_dlopen_need_auto_and_are_checked_like_paths()
    {
        Assert.Equal("/etc/sandboxer/svc.toml:2:16: executables: needs libraries = \"auto\"",
            Toml.Error("", Command + "executables = [\"/usr/bin/ffmpeg\"]\n").Message);
        Assert.Equal("/etc/sandboxer/svc.toml:3:16: executables[0]: \"ffmpeg\" must be an absolute path",
            Toml.Error("", Command + "libraries = \"auto\"\nexecutables = [\"ffmpeg\"]\n").Message);
        Assert.Equal("/etc/sandboxer/svc.toml:3:11: dlopen[0]: \"nss/libnss_dns.so.2\" must be a library's name (\"libnss_dns.so.2\") or an absolute path",
            Toml.Error("", Command + "libraries = \"auto\"\ndlopen = [\"nss/libnss_dns.so.2\"]\n").Message);
    }

    [Fact]
    public void Runtime_takes_known_names_once_each_from_hub_and_spoke_and_needs_auto()
    {
        var profile = Toml.Load("runtime = [\"hosts\"]\n", Command + "libraries = \"auto\"\nruntime = [\"thread-cancel\", \"hosts\"]\n");
        Assert.Equal(["hosts", "thread-cancel"], profile.Libraries.Runtime.Select(r => r.Value));
        Assert.Equal("/etc/sandboxer/svc.toml:3:22: runtime[1]: \"nss\" is not one of \"thread-cancel\", \"hosts\", \"users\", \"gconv\", \"locale\", \"openssl\"",
            Toml.Error("", Command + "libraries = \"auto\"\nruntime = [\"locale\", \"nss\"]\n").Message);
        Assert.EndsWith(": runtime[0]: \"opensll\" is not one of \"thread-cancel\", \"hosts\", \"users\", \"gconv\", \"locale\", \"openssl\" (did you mean \"openssl\"?)",
            Toml.Error("", Command + "libraries = \"auto\"\nruntime = [\"opensll\"]\n").Message);
        Assert.Equal("/etc/sandboxer/svc.toml:2:12: runtime: needs libraries = \"auto\"", Toml.Error("", Command + "runtime = [\"gconv\"]\n").Message);
    }

    [Fact]
    public void Without_auto_nothing_is_read_and_the_argv_is_unchanged()
    {
        var profile = Toml.Load("", "command = \"/no/such/daemon\"\n");
        Assert.Empty(LibraryPlan.Mounts(profile, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));
    }

    [Fact]
    public void Auto_binds_the_daemon_its_loader_and_libraries_but_not_under_a_bind_of_the_profiles_own()
    {
        var profile = Toml.Load("", "command = \"/bin/sh\"\nlibraries = \"auto\"\n[sandbox]\nro-bind = [\"/etc\"]\n");
        var mounts = LibraryPlan.Mounts(profile, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.Contains(mounts, m => m.Option == "ro-bind" && m.Destination.EndsWith("/libc.so.6", StringComparison.Ordinal));
        Assert.Contains(mounts, m => m.Option == "ro-bind" && m.Destination == Processes.RealPath("/bin/sh"));
        // /etc/ld.so.cache is the profile's already.
        Assert.DoesNotContain(mounts, m => m.Destination.StartsWith("/etc/", StringComparison.Ordinal));
        Assert.All(mounts, m => Assert.True(m.Option is "ro-bind" or "symlink"));
    }
}
