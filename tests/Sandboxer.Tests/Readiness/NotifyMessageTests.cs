using System.Text;
using Sandboxer.Readiness;

namespace Sandboxer.Tests.Readiness;

/// <summary>What of a hostile daemon's sd_notify datagrams reaches the supervisor.</summary>
public class NotifyMessageTests
{
    private static List<string> Forwarded(string datagram) => Forwarded(Encoding.UTF8.GetBytes(datagram));

    private static List<string> Forwarded(byte[] datagram) => NotifyMessage.Filter(datagram).Select(Encoding.UTF8.GetString).ToList();

    [Fact]
    public void Ordinary_notifications_pass_unchanged()
    {
        Assert.Equal(["READY=1"], Forwarded("READY=1"));
        Assert.Equal(["READY=1\nSTATUS=Serving 3 peers, 10% synced"], Forwarded("READY=1\nSTATUS=Serving 3 peers, 10% synced\n"));
        Assert.Equal(["STOPPING=1"], Forwarded("STOPPING=1"));
        Assert.Equal(["RELOADING=1\nMONOTONIC_USEC=12345\nSTATUS=réindexation"], Forwarded("RELOADING=1\nMONOTONIC_USEC=12345\nSTATUS=réindexation"));
        Assert.Equal(["WATCHDOG=1\nERRNO=2\nEXTEND_TIMEOUT_USEC=5000000"], Forwarded("WATCHDOG=1\nERRNO=2\nEXTEND_TIMEOUT_USEC=5000000"));
    }

    [Fact]
    public void Pids_and_descriptors_of_the_sandbox_are_withheld()
    {
        Assert.Equal(["READY=1"], Forwarded("MAINPID=1\nREADY=1\nFDSTORE=1\nFDNAME=x\nFDSTOREREMOVE=1\nFDPOLL=0\nBARRIER=1\nNOTIFYACCESS=all"));
        Assert.Empty(Forwarded("MAINPID=4242"));
    }

    [Theory]
    [InlineData("ready=1")]
    [InlineData("READY")]
    [InlineData("=1")]
    [InlineData("1READY=1")]
    [InlineData("RE-ADY=1")]
    [InlineData("STATUS=\u001b[2Jcleared")]
    [InlineData("STATUS=a\rb")]
    [InlineData("STATUS=a\u0085b")]
    [InlineData("STATUS=a\u0000b")]
    public void Malformed_lines_and_control_characters_are_dropped(string line)
    {
        Assert.Equal(["READY=1"], Forwarded(line + "\nREADY=1"));
    }

    [Fact]
    public void A_line_that_is_not_utf8_is_dropped()
    {
        Assert.Equal(["READY=1"], Forwarded([.. "STATUS="u8, 0xff, 0xfe, .. "\nREADY=1"u8]));
    }

    [Fact]
    public void A_datagram_over_the_limit_is_dropped_whole()
    {
        Assert.Empty(Forwarded("READY=1\nSTATUS=" + new string('x', NotifyMessage.MaxReceived)));
    }

    [Fact]
    public void Lines_are_packed_into_datagrams_no_reader_overflows()
    {
        string status = "STATUS=" + new string('s', 1010);
        var sent = Forwarded("READY=1\n" + status + "\nSTOPPING=1\nSTATUS=" + new string('t', 2000) + "\nERRNO=5");
        Assert.Equal(["READY=1", status, "STOPPING=1\nERRNO=5"], sent);
        Assert.All(NotifyMessage.Filter(Encoding.UTF8.GetBytes("A=" + new string('a', 1021) + "\nB=1")), d => Assert.True(d.Length <= NotifyMessage.MaxForwarded));
        Assert.Equal(["A=" + new string('a', 1021), "B=1"], Forwarded("A=" + new string('a', 1021) + "\nB=1"));
        Assert.Empty(Forwarded("A=" + new string('a', 1022)));
    }

    [Fact]
    public void Empty_datagrams_send_nothing()
    {
        Assert.Empty(Forwarded(""));
        Assert.Empty(Forwarded("\n\n"));
    }
}
