using Sandboxer.Relay;

namespace Sandboxer.Tests.Relay;

public class RelaySignalTests
{
    [Theory]
    [InlineData("{\n    \"child-pid\": 1117,\n    \"cgroup-namespace\": 4026532182\n}", 1117)]
    [InlineData("{ \"child-pid\" :42 }", 42)]
    public void The_relays_pid_is_read_from_bwraps_info(string info, int pid)
    {
        Assert.True(RelaySignal.TryReadChildPid(info, out int read));
        Assert.Equal(pid, read);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\n    \"child-pid\": ")]
    [InlineData("{ \"child-pid\": -5 }")]
    [InlineData("{ \"pid\": 5 }")]
    public void A_missing_or_partial_pid_is_not_read(string info)
    {
        Assert.False(RelaySignal.TryReadChildPid(info, out _));
    }
}
