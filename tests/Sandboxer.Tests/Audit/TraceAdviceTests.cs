using Sandboxer.Audit;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Audit;

public class TraceAdviceTests
{
    private static readonly Dictionary<string, TraceAdvice.HostKind> Host = new()
    {
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
    };

    private static List<string> Advise(string log, string sandbox = "")
    {
        var profile = Toml.Load("[sandbox]\nunshare-all = true\ntmpfs = [\"/tmp\"]\n", $"command = \"/usr/bin/tor\"\n[sandbox]\nro-bind = [\"/usr/bin/tor\"]\n{sandbox}\n");
        return TraceAdvice.From(StraceLog.Parse(log), profile, p => Host.GetValueOrDefault(p)).Select(s => s.Line).ToList();
    }

    [Fact]
    public void Each_failure_that_the_host_could_satisfy_gets_the_line_that_grants_it()
    {
        Assert.Equal(
        [
            "ro-bind = [\"/etc/tor/torrc\"]  # openat to read: ENOENT: /etc/tor/torrc is read",
            "ro-bind = [\"/usr/lib/libevent.so.7\"]  # openat to read: ENOENT: /usr/lib/libevent.so.7 is read (a shared library)",
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
        Assert.Equal(["bind = [\"/var/lib/tor\"]  # openat for writing: EROFS: the mount at /var/lib/tor is read-only"], Advise("""
            1 newfstatat(AT_FDCWD, "/var/lib/tor/state", 0x7ffc, 0) = -1 ENOENT (No such file or directory)
            1 openat(AT_FDCWD, "/var/lib/tor", O_RDWR|O_CREAT, 0600) = -1 EROFS (Read-only file system)
            """, "ro-bind-try = [\"/var/lib/tor\"]").Where(l => !l.StartsWith("ro-bind = [\"/var/lib/tor/state\"]")));
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
}
