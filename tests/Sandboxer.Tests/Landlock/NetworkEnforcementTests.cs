using Sandboxer.Landlock;

namespace Sandboxer.Tests.Landlock;

public class NetworkEnforcementTests
{
    private static readonly NetworkRules Connect443 = new(null, [443], BestEffort: false);

    [Theory]
    [InlineData(0, Enforcement.Refuse)]
    [InlineData(1, Enforcement.Refuse)]
    [InlineData(3, Enforcement.Refuse)]
    [InlineData(4, Enforcement.Enforce)]
    [InlineData(7, Enforcement.Enforce)]
    public void Rules_are_enforced_from_abi_4_and_refused_below(int abi, Enforcement expected)
    {
        Assert.Equal(expected, NetworkEnforcement.Decide(Connect443, abi));
    }

    [Theory]
    [InlineData(0, Enforcement.StartWithout)]
    [InlineData(3, Enforcement.StartWithout)]
    [InlineData(4, Enforcement.Enforce)]
    public void Best_effort_starts_without_them_only_where_the_kernel_cannot(int abi, Enforcement expected)
    {
        Assert.Equal(expected, NetworkEnforcement.Decide(Connect443 with { BestEffort = true }, abi));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void Nothing_restricted_needs_nothing_of_the_kernel(int abi)
    {
        Assert.Equal(Enforcement.Nothing, NetworkEnforcement.Decide(null, abi));
        Assert.Equal(Enforcement.Nothing, NetworkEnforcement.Decide(new NetworkRules(null, null, false), abi));
    }

    [Fact]
    public void The_message_tells_a_kernel_without_landlock_from_one_without_port_rules()
    {
        Assert.StartsWith("this kernel has no Landlock", NetworkEnforcement.Lacking(0));
        Assert.StartsWith("this kernel has no Landlock", NetworkEnforcement.Lacking(0, errno: 38));
        Assert.StartsWith("this kernel has no Landlock", NetworkEnforcement.Lacking(0, errno: 95));
        Assert.Equal("this kernel's Landlock (ABI 3) has no TCP port rules; they need ABI 4, Linux 6.7", NetworkEnforcement.Lacking(3));
    }

    [Fact]
    public void Another_failure_of_the_probe_is_not_taken_for_an_old_kernel()
    {
        // A seccomp filter that denies Landlock with EPERM: the message says what failed.
        Assert.StartsWith("Landlock cannot be used here: landlock_create_ruleset fails with \"Operation not permitted\" (a seccomp filter may deny it)",
            NetworkEnforcement.Lacking(0, errno: 1));
    }

    [Fact]
    public void The_probe_reads_this_kernels_abi()
    {
        // The end-to-end tests need port rules of the kernel they run on; this says so first.
        int abi = NetworkEnforcement.KernelAbi(out int errno);
        Assert.Equal(0, errno);
        Assert.True(abi >= NetworkEnforcement.NetworkAbi, $"this kernel's Landlock ABI is {abi}: the [network] tests need 4 (Linux 6.7)");
    }

    [Theory]
    [InlineData("none", new int[0])]
    [InlineData("443", new[] { 443 })]
    [InlineData("53,443,18080", new[] { 53, 443, 18080 })]
    public void Port_lists_read_back_as_written(string text, int[] ports)
    {
        Assert.Equal(text, NetworkRules.Format(ports));
        Assert.Equal(ports, NetworkRules.Parse(text)!);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("80,")]
    [InlineData("+80")]
    [InlineData("any")]
    public void Anything_but_ports_or_none_is_not_a_port_list(string text)
    {
        Assert.Null(NetworkRules.Parse(text));
    }
}
