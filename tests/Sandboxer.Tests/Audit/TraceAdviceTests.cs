using Sandboxer.Audit;
using Sandboxer.Profiles;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Audit;

public class TraceAdviceTests
{
    /// <summary>A real dynamically linked program, for its ELF interpreter.</summary>
    private static readonly string Shell = new[] { "/usr/bin/sh", "/bin/sh" }.First(File.Exists);

    private static readonly Dictionary<string, TraceAdvice.HostKind> Host = new()
    {
        [Shell] = TraceAdvice.HostKind.Other,
        [Sandboxer.Relay.SelfImage.Interpreter(Shell)!] = TraceAdvice.HostKind.Other,
        ["/etc/tor"] = TraceAdvice.HostKind.Directory,
        ["/etc/tor/torrc"] = TraceAdvice.HostKind.Other,
        ["/usr/share/tor"] = TraceAdvice.HostKind.Directory,
        ["/usr/share/tor/geoip"] = TraceAdvice.HostKind.Other,
        ["/var/lib/tor"] = TraceAdvice.HostKind.Directory,
        ["/var/lib/tor/state"] = TraceAdvice.HostKind.Other,
        ["/usr/lib/libevent.so.7"] = TraceAdvice.HostKind.Other,
        ["/proc/meminfo"] = TraceAdvice.HostKind.Other,
        ["/run/navidrome"] = TraceAdvice.HostKind.Directory,
        ["/run/navidrome/navidrome.sock"] = TraceAdvice.HostKind.Other,
        ["/usr/bin/tor"] = TraceAdvice.HostKind.Other,
        ["/usr/bin/obfs4proxy"] = TraceAdvice.HostKind.Other,
        ["/etc/ld.so.cache"] = TraceAdvice.HostKind.Other,
        ["/usr/lib"] = TraceAdvice.HostKind.Directory,
        ["/usr/lib/x86_64-linux-gnu"] = TraceAdvice.HostKind.Directory,
        ["/usr/lib/x86_64-linux-gnu/libnss_dns.so.2"] = TraceAdvice.HostKind.Other,
        ["/usr/lib/x86_64-linux-gnu/ossl-modules/legacy.so"] = TraceAdvice.HostKind.Other,
        ["/usr/lib/x86_64-linux-gnu/libssl.so.3"] = TraceAdvice.HostKind.Other,
    };

    private const string Hub = "[sandbox]\nunshare-all = true\ntmpfs = [\"/tmp\"]\n";

    private static List<string> Advise(string log, string sandbox = "") =>
        Lines(log, $"command = \"/usr/bin/tor\"\n[sandbox]\nro-bind = [\"/usr/bin/tor\"]\n{sandbox}\n", []);

    private static List<string> Lines(string log, string spoke, IReadOnlyList<MountOp> libraries) =>
        TraceAdvice.From(StraceLog.Parse(log), Toml.Load(Hub, spoke), libraries, p => Host.GetValueOrDefault(p)).Select(s => s.Line).ToList();

    /// <summary>What libraries = "auto" would bind for tor here: tor itself and one library.</summary>
    private static readonly MountOp[] AutoMounts = [Bind("/usr/bin/tor"), Bind("/usr/lib/x86_64-linux-gnu/libssl.so.3")];

    private static MountOp Bind(string path) => new("ro-bind", [path, path], path, null, 0, [], default);

    [Fact]
    public void Each_failure_that_the_host_could_satisfy_gets_the_line_that_grants_it()
    {
        Assert.Equal(
        [
            "libraries = \"auto\"  # openat to read: ENOENT: the library /usr/lib/libevent.so.7 is not in the sandbox",
            "ro-bind = [\"/etc/tor/torrc\"]  # openat to read: ENOENT: /etc/tor/torrc is read",
            "bind = [\"/var/lib/tor\"]  # mkdir for writing: ENOENT: creating /var/lib/tor/keys",
            "proc = \"/proc\"  # openat to read: ENOENT: /proc/meminfo is in /proc",
            "share-net = true  # connect to 192.0.2.1:9001: ENETUNREACH: the sandbox has a network of its own",
            "ro-bind = [\"/run/navidrome\"]  # connect to read: ENOENT: the socket /run/navidrome/navidrome.sock; binding its directory keeps a socket made again after a restart reachable",
        ], Advise("""
            1 openat(AT_FDCWD, "/etc/tor/torrc", O_RDONLY) = -1 ENOENT (No such file or directory)
            1 openat(AT_FDCWD, "/usr/lib/libevent.so.7", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
            1 openat(AT_FDCWD, "/usr/lib/libnothere.so.1", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
            1 mkdir("/var/lib/tor/keys", 0700) = -1 ENOENT (No such file or directory)
            1 openat(AT_FDCWD, "/tmp/x", O_RDONLY) = -1 ENOENT (No such file or directory)
            1 openat(AT_FDCWD, "/proc/meminfo", O_RDONLY) = -1 ENOENT (No such file or directory)
            1 connect(3, {sa_family=AF_INET, sin_port=htons(9001), sin_addr=inet_addr("192.0.2.1")}, 16) = -1 ENETUNREACH (Network is unreachable)
            1 connect(3, {sa_family=AF_INET, sin_port=htons(9002), sin_addr=inet_addr("192.0.2.1")}, 16) = -1 ENETUNREACH (Network is unreachable)
            1 connect(4, {sa_family=AF_UNIX, sun_path="/run/navidrome/navidrome.sock"}, 110) = -1 ENOENT (No such file or directory)
            """));
    }

    [Fact]
    public void A_write_refused_by_a_read_only_bind_asks_for_bind_and_a_write_outranks_a_read_of_the_same_tree()
    {
        // The profile cannot mount one path twice: the line says which one it replaces, for a file written or created.
        Assert.Equal(["bind = [\"/var/lib/tor\"]  # openat for writing: EROFS: the mount at /var/lib/tor is read-only; in place of its ro-bind-try at /etc/sandboxer/svc.toml:4:16"], Advise("""
            1 newfstatat(AT_FDCWD, "/var/lib/tor/state", 0x7ffc, 0) = -1 ENOENT (No such file or directory)
            1 openat(AT_FDCWD, "/var/lib/tor", O_RDWR|O_CREAT, 0600) = -1 EROFS (Read-only file system)
            """, "ro-bind-try = [\"/var/lib/tor\"]").Where(l => !l.StartsWith("ro-bind = [\"/var/lib/tor/state\"]")));
        Assert.Equal(["bind = [\"/var/lib/tor\"]  # unlink for writing: EROFS: creating /var/lib/tor/control in a read-only mount; in place of its ro-bind at /etc/sandboxer/svc.toml:3:28"], Lines("""
            1 unlink("/var/lib/tor/control") = -1 EROFS (Read-only file system)
            """, "command = \"/usr/bin/tor\"\n[sandbox]\nro-bind = [\"/usr/bin/tor\", \"/var/lib/tor\"]\n", []));
        Assert.Equal(["bind = [\"/var/lib/tor\"]  # mkdir for writing: ENOENT: creating /var/lib/tor/keys"], Advise("""
            1 openat(AT_FDCWD, "/var/lib/tor/state", O_RDONLY) = -1 ENOENT (No such file or directory)
            1 mkdir("/var/lib/tor/keys", 0700) = -1 ENOENT (No such file or directory)
            """));
    }

    [Fact]
    public void Nothing_is_proposed_for_what_the_profile_already_grants()
    {
        Assert.Empty(Advise("""
            1 connect(3, {sa_family=AF_INET, sin_port=htons(9001), sin_addr=inet_addr("192.0.2.1")}, 16) = -1 ENETUNREACH (Network is unreachable)
            1 openat(AT_FDCWD, "/etc/tor/torrc", O_RDONLY) = -1 EACCES (Permission denied)
            """, "share-net = true\nro-bind-try = [\"/etc/tor\"]"));
    }

    [Fact]
    public void A_command_that_is_not_in_the_sandbox_asks_for_libraries_auto_and_nothing_the_loader_would_search()
    {
        Assert.Equal(["libraries = \"auto\"  # the command /usr/bin/tor is not in the sandbox; \"auto\" binds it, its loader and its libraries"], Lines("""
            7 openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
            7 newfstatat(AT_FDCWD, "/usr/lib/x86_64-linux-gnu", 0x7ffd, 0) = -1 ENOENT (No such file or directory)
            7 newfstatat(AT_FDCWD, "/usr/lib", 0x7ffd, 0) = -1 ENOENT (No such file or directory)
            """, "command = \"/usr/bin/tor\"\n", []));
        // strace finds no command to start, so the log is empty: the profile alone says it.
        Assert.Equal(["libraries = \"auto\"  # the command /usr/bin/tor is not in the sandbox; \"auto\" binds it, its loader and its libraries"], Lines("", "command = \"/usr/bin/tor\"\n", []));
    }

    [Fact]
    public void A_command_bound_without_its_ELF_interpreter_asks_for_libraries_auto_not_for_the_interpreter()
    {
        string sh = Shell;
        Assert.Equal([$"libraries = \"auto\"  # execve {sh}: ENOENT: its ELF interpreter {Sandboxer.Relay.SelfImage.Interpreter(sh)} is not in the sandbox; \"auto\" binds the command, its loader and its libraries"], Lines($"""
            7 execve("{sh}", ["sh"], 0x7ffd /* 0 vars */) = -1 ENOENT (No such file or directory)
            """, $"command = \"{sh}\"\n[sandbox]\nro-bind = [\"{sh}\"]\n", []));
    }

    [Fact]
    public void With_libraries_auto_a_library_still_missing_is_a_dlopen_and_a_program_run_is_one_of_executables()
    {
        Assert.Equal(
        [
            "dlopen = [\"libnss_dns.so.2\"]  # openat to read: ENOENT: /usr/lib/x86_64-linux-gnu/libnss_dns.so.2 is opened at run time, not named in any ELF header",
            "dlopen = [\"/usr/lib/x86_64-linux-gnu/ossl-modules/legacy.so\"]  # openat to read: ENOENT: /usr/lib/x86_64-linux-gnu/ossl-modules/legacy.so is opened at run time, not named in any ELF header",
            "executables = [\"/usr/bin/obfs4proxy\"]  # execve /usr/bin/obfs4proxy: ENOENT: /usr/bin/obfs4proxy is not in the sandbox; the daemon runs it",
            "ro-bind = [\"/etc/tor/torrc\"]  # openat to read: ENOENT: /etc/tor/torrc is read",
        ], Lines("""
            7 openat(AT_FDCWD, "/usr/lib/x86_64-linux-gnu/libssl.so.3", O_RDONLY|O_CLOEXEC) = -1 EACCES (Permission denied)
            7 newfstatat(AT_FDCWD, "/usr/lib", 0x7ffd, 0) = -1 ENOENT (No such file or directory)
            7 openat(AT_FDCWD, "/usr/lib/x86_64-linux-gnu/libnss_dns.so.2", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
            7 openat(AT_FDCWD, "/usr/lib/x86_64-linux-gnu/ossl-modules/legacy.so", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
            8 execve("/usr/bin/obfs4proxy", ["obfs4proxy"], 0x7ffd /* 0 vars */) = -1 ENOENT (No such file or directory)
            7 openat(AT_FDCWD, "/etc/tor/torrc", O_RDONLY) = -1 ENOENT (No such file or directory)
            """, "command = \"/usr/bin/tor\"\nlibraries = \"auto\"\n", AutoMounts));
    }

    [Fact]
    public void With_libraries_auto_a_library_missing_for_a_program_run_from_a_bound_directory_names_that_program_not_the_library()
    {
        Assert.Equal(
        [
            "executables = [\"/usr/bin/obfs4proxy\"]  # openat to read: ENOENT: the library /usr/lib/x86_64-linux-gnu/libnss_dns.so.2 of /usr/bin/obfs4proxy, which the daemon runs",
            "dlopen = [\"libnss_dns.so.2\"]  # openat to read: ENOENT: /usr/lib/x86_64-linux-gnu/libnss_dns.so.2 is opened at run time, not named in any ELF header",
        ], Lines("""
            7 execve("/usr/bin/tor", ["tor"], 0x7ffd /* 0 vars */) = 0
            7 clone(child_stack=NULL, flags=SIGCHLD) = 8
            8 execve("/usr/bin/obfs4proxy", ["obfs4proxy"], 0x7ffd /* 0 vars */) = 0
            8 openat(AT_FDCWD, "/usr/lib/x86_64-linux-gnu/libnss_dns.so.2", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
            7 openat(AT_FDCWD, "/usr/lib/x86_64-linux-gnu/libnss_dns.so.2", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
            """, "command = \"/usr/bin/tor\"\nlibraries = \"auto\"\n[sandbox]\nro-bind = [\"/usr/bin/obfs4proxy\"]\n", AutoMounts));
    }

    [Fact]
    public void Without_libraries_auto_a_program_run_asks_for_it_once_with_executables_and_the_loaders_directories_are_never_bound()
    {
        Assert.Equal(
        [
            "libraries = \"auto\"  # newfstatat to read: ENOENT: /usr/lib/x86_64-linux-gnu is searched by the dynamic loader",
            "executables = [\"/usr/bin/obfs4proxy\"]  # execve /usr/bin/obfs4proxy: ENOENT: /usr/bin/obfs4proxy is not in the sandbox; the daemon runs it",
        ], Advise("""
            7 newfstatat(AT_FDCWD, "/usr/lib/x86_64-linux-gnu", 0x7ffd, 0) = -1 ENOENT (No such file or directory)
            7 openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
            8 execve("/usr/bin/obfs4proxy", ["obfs4proxy"], 0x7ffd /* 0 vars */) = -1 ENOENT (No such file or directory)
            """));
    }

    [Fact]
    public void Top_level_lines_and_sandbox_lines_are_printed_in_blocks_headed_by_where_they_go()
    {
        var output = new StringWriter { NewLine = "\n" };
        Sandboxer.Cli.Commands.TraceCommand.Write(output, "tor", "/etc/sandboxer/tor.toml",
            [new("libraries", null, "why"), new("dlopen", "libx.so.1", "why"), new("share-net", null, "why")]);
        Assert.Equal("""
            # tor: add at the top level of /etc/sandboxer/tor.toml (before its first [table]):
            libraries = "auto"  # why
            dlopen = ["libx.so.1"]  # why
            # tor: add under [sandbox] in /etc/sandboxer/tor.toml:
            share-net = true  # why

            """, output.ToString());
        output = new StringWriter { NewLine = "\n" };
        Sandboxer.Cli.Commands.TraceCommand.Write(output, "tor", "/etc/sandboxer/tor.toml", []);
        Assert.Equal("# tor: nothing the daemon tried to reach is missing from its sandbox\n", output.ToString());
    }
}
