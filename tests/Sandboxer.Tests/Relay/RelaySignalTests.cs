using Sandboxer.Relay;

namespace Sandboxer.Tests.Relay;

public class RelaySignalTests
{
    private const string Locks = """
        1: POSIX  ADVISORY  WRITE 700 00:19:55 0 EOF
        2: FLOCK  ADVISORY  READ 800 fd:01:1234 0 EOF
        3: FLOCK  ADVISORY  WRITE 1117 fd:01:1234 0 EOF
        3: -> FLOCK  ADVISORY  WRITE 1200 fd:01:1234 0 EOF
        4: FLOCK  ADVISORY  WRITE 900 fd:01:99 0 EOF
        """;

    [Fact]
    public void The_lock_holder_is_the_process_with_an_exclusive_flock_on_that_very_file()
    {
        Assert.Equal(1117, RelaySignal.FindHolder(Locks, 0xfd, 1, 1234));
        Assert.Equal(900, RelaySignal.FindHolder(Locks, 0xfd, 1, 99));
    }

    [Theory]
    [InlineData(0xfdu, 2u, 1234ul)]
    [InlineData(0u, 0x19u, 55ul)]
    [InlineData(0xfdu, 1u, 5ul)]
    public void Shared_posix_and_other_files_locks_name_no_holder(uint major, uint minor, ulong inode)
    {
        Assert.Null(RelaySignal.FindHolder(Locks, major, minor, inode));
    }

    [Fact]
    public void A_relay_is_a_namespace_init_whose_every_uid_is_the_services()
    {
        var relay = ProcessStatus.Parse("Name:\tsandboxer\nPPid:\t400\nUid:\t1000\t1000\t1000\t1000\nNSpid:\t401\t1\n")!;
        Assert.Equal(400, relay.ParentPid);
        Assert.True(relay.IsNamespaceInit);
        Assert.True(relay.AllUidsAre(1000));
        Assert.False(relay.AllUidsAre(0));

        var plain = ProcessStatus.Parse("PPid:\t400\nUid:\t1000\t0\t1000\t1000\nNSpid:\t401\n")!;
        Assert.False(plain.IsNamespaceInit);
        Assert.False(plain.AllUidsAre(1000));
        Assert.Null(ProcessStatus.Parse("Name:\tx\n"));
    }
}
