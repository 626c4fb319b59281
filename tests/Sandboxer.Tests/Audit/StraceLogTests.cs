using Sandboxer.Audit;

namespace Sandboxer.Tests.Audit;

public class StraceLogTests
{
    [Fact]
    public void Failed_calls_on_paths_are_kept_with_what_they_wanted()
    {
        var calls = StraceLog.Parse("""
            12    execve("/usr/bin/tor", ["/usr/bin/tor"], 0x7ffd /* 0 vars */) = 0
            12    openat(AT_FDCWD, "/etc/tor/torrc", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
            12    openat(AT_FDCWD, "/var/lib/tor/state", O_WRONLY|O_CREAT|O_TRUNC, 0600) = -1 EROFS (Read-only file system)
            12    newfstatat(AT_FDCWD, "/usr/share/tor/geoip", 0x7ffc, 0) = -1 ENOENT (No such file or directory)
            12    mkdir("/var/lib/tor/keys", 0700) = -1 ENOENT (No such file or directory)
            12    openat(AT_FDCWD, "/etc/ok", O_RDONLY) = 3
            12    openat(3, "relative", O_RDONLY) = -1 ENOENT (No such file or directory)
            12    execve("/usr/bin/helper", ["helper"], 0x7ffd /* 0 vars */) = -1 ENOENT (No such file or directory)
            12    +++ exited with 1 +++
            """);
        Assert.Equal(
        [
            ("openat", "/etc/tor/torrc", Reach.Read, "ENOENT"),
            ("openat", "/var/lib/tor/state", Reach.Write, "EROFS"),
            ("newfstatat", "/usr/share/tor/geoip", Reach.Read, "ENOENT"),
            ("mkdir", "/var/lib/tor/keys", Reach.Write, "ENOENT"),
            ("execve", "/usr/bin/helper", Reach.Execute, "ENOENT"),
        ], calls.Select(c => (c.Call, c.Target, c.Reach, c.Errno)));
        Assert.All(calls, c => Assert.Equal(12, c.Pid));
    }

    [Fact]
    public void A_call_split_by_another_thread_is_joined_again()
    {
        var call = Assert.Single(StraceLog.Parse("""
            7     openat(AT_FDCWD, "/etc/ssl/openssl.cnf", O_RDONLY <unfinished ...>
            8     futex(0x7f, FUTEX_WAKE_PRIVATE, 1) = 0
            7     <... openat resumed>) = -1 ENOENT (No such file or directory)
            """));
        Assert.Equal((7, "openat", "/etc/ssl/openssl.cnf", Reach.Read), (call.Pid, call.Call, call.Target, call.Reach));
    }

    [Fact]
    public void A_short_call_padded_to_straces_column_is_read_whole_or_resumed()
    {
        var calls = StraceLog.Parse("""
            26268 mkdir("/a", 0700)                 = -1 ENOENT (No such file or directory)
            26268 execve("/usr/bin/tee", ["/usr/bin/tee", "/var/tmp/out"], 0x5623 /* 4 vars */ <unfinished ...>
            26268 <... execve resumed>)             = -1 ENOENT (No such file or directory)
            26268 close(9)                          = 0
            """);
        Assert.Equal([("mkdir", "/a", Reach.Write), ("execve", "/usr/bin/tee", Reach.Execute)], calls.Select(c => (c.Call, c.Target, c.Reach)));
        Assert.All(calls, c => Assert.Equal("ENOENT", c.Errno));
    }

    [Fact]
    public void Each_failure_names_the_program_its_process_runs_from_execve_and_what_its_parent_ran()
    {
        var calls = StraceLog.Parse("""
            5 openat(AT_FDCWD, "/before", O_RDONLY) = -1 ENOENT (No such file or directory)
            5 execve("/usr/bin/socat", ["socat"], 0x7ffd /* 0 vars */) = 0
            5 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD, child_tidptr=0x7f) = 6
            6 openat(AT_FDCWD, "/forked", O_RDONLY) = -1 ENOENT (No such file or directory)
            6 execve("/usr/bin/tee", ["tee"], 0x5623 /* 4 vars */ <unfinished ...>
            6 <... execve resumed>)             = 0
            6 openat(AT_FDCWD, "/usr/lib/libx.so.1", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
            5 execve("/usr/bin/missing", ["missing"], 0x7ffd /* 0 vars */) = -1 ENOENT (No such file or directory)
            """);
        Assert.Equal(
        [
            ("/before", null),
            ("/forked", "/usr/bin/socat"),
            ("/usr/lib/libx.so.1", "/usr/bin/tee"),
            ("/usr/bin/missing", "/usr/bin/socat"),
        ], calls.Select(c => (c.Target, c.Program)));
    }

    [Fact]
    public void Network_calls_keep_their_address_and_unix_sockets_their_path()
    {
        var calls = StraceLog.Parse("""
            5     connect(3, {sa_family=AF_INET, sin_port=htons(9001), sin_addr=inet_addr("192.0.2.1")}, 16) = -1 ENETUNREACH (Network is unreachable)
            5     connect(4, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28) = -1 ENETUNREACH (Network is unreachable)
            5     connect(5, {sa_family=AF_UNIX, sun_path="/run/navidrome/navidrome.sock"}, 110) = -1 ENOENT (No such file or directory)
            5     connect(6, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("192.0.2.2")}, 16) = -1 EINPROGRESS (Operation now in progress)
            """);
        Assert.Equal(
        [
            ("192.0.2.1:9001", Reach.Network, "ENETUNREACH"),
            ("[2001:db8::1]:443", Reach.Network, "ENETUNREACH"),
            ("/run/navidrome/navidrome.sock", Reach.Read, "ENOENT"),
            ("192.0.2.2:80", Reach.Network, "EINPROGRESS"),
        ], calls.Select(c => (c.Target, c.Reach, c.Errno)));
    }

    [Theory]
    [InlineData("\"/a b\\\"c\"", "/a b\"c")]
    [InlineData("\"/x\\ny\\t\\\\\"", "/x\ny\t\\")]
    [InlineData("\"/\\303\\251t\\xc3\\xa9\"", "/été")]
    public void Strings_are_read_back_from_straces_escapes(string quoted, string path)
    {
        Assert.Equal(path, StraceLog.ReadString(quoted, 0, out int end));
        Assert.Equal(quoted.Length, end);
    }

    [Fact]
    public void A_string_cut_short_by_strace_is_not_taken_for_a_path()
    {
        Assert.Null(StraceLog.ReadString("\"/very/long\"...", 0, out _));
        Assert.Empty(StraceLog.Parse("3 openat(AT_FDCWD, \"/very/long\"..., O_RDONLY) = -1 ENOENT (No such file or directory)\n"));
    }
}
