namespace Sandboxer.Tests.Confinement;

/// <summary>The file the relay hands `sandboxer confine`: read whole, or refused as cut short.</summary>
public sealed class ConfinementFileTests
{
    private static readonly Sandboxer.Confinement.Confinement Sample = new([("nofile", 7, 64), ("nproc", 6, 32)], [1, 2, 3, 4, 5, 6, 7, 8]);
    private static readonly string[] Start = ["/run/sandboxer/relay", "confine"];

    [Fact]
    public void The_whole_file_decodes_to_what_was_encoded()
    {
        var (start, confinement) = Sandboxer.Confinement.Confinement.Decode(Sample.Encode(Start));
        Assert.Equal(Start, start);
        Assert.Equal(Sample.Limits, confinement.Limits);
        Assert.Equal(Sample.Filter, confinement.Filter);
    }

    [Fact]
    public void A_file_cut_short_anywhere_is_refused_as_truncated()
    {
        byte[] whole = Sample.Encode(Start);
        for (int length = 0; length < whole.Length; length++)
        {
            var e = Assert.Throws<SandboxerException>(() => Sandboxer.Confinement.Confinement.Decode(whole.AsSpan(0, length)));
            Assert.Equal(ExitCodes.Software, e.ExitCode);
            Assert.True(e.Message is "confine: the confinement file is truncated" or "confine: not a confinement file", $"cut to {length} bytes: {e.Message}");
        }
    }
}
