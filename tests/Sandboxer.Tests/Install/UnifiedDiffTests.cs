using Sandboxer.Install;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Install;

/// <summary>The diff install shows, against GNU diff -u on the same texts.</summary>
public sealed class UnifiedDiffTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("sandboxer-diff-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    public static TheoryData<string, string> Pairs => new()
    {
        { File.ReadAllText(Path.Combine(SeedScripts.Directory, "monerod.orig.initd")), File.ReadAllText(Path.Combine(SeedScripts.Directory, "monerod.initd")) },
        { "a\nb\nc\n", "x\na\nb\nc\ny\n" },
        { "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n", "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\nfifteen\n16\n" },
        { "a\nb\n", "" },
        { "", "a\n" },
        { "same\n", "same\n" },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void The_diff_is_what_diff_u_prints(string before, string after)
    {
        string a = Path.Combine(directory, "a"), b = Path.Combine(directory, "b");
        File.WriteAllText(a, before);
        File.WriteAllText(b, after);
        var gnu = Runner.Run("/usr/bin/diff", ["-u", "--label", "x", "--label", "x", a, b]);
        Assert.Equal(gnu.Output, UnifiedDiff.Of(before, after, "x", "x"));
    }
}
