using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Profiles;

public sealed class ShippedProfilesTests : IDisposable
{
    private static readonly string Shipped = Path.Combine(Published.RepositoryRoot, "profiles");
    private readonly ProfileDirectory profiles = new(File.ReadAllText(Path.Combine(Shipped, "defaults.toml")));

    public void Dispose() => profiles.Dispose();

    private static IEnumerable<string> Names() =>
        Directory.GetFiles(Shipped, "*.toml").Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Where(name => name != "defaults").Order();

    public static TheoryData<string> Services() => new(Names());

    [Fact]
    public void Every_service_on_the_seed_server_has_a_profile_and_so_does_the_demo()
    {
        string[] expected = ["demo", "i2pd", "monerod", "navidrome", "p2pool", "socat", "tor"];
        Assert.Equal(expected, Names());
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Shipped_profile_loads_and_shows_through_the_published_binary(string name)
    {
        profiles.Write(name, File.ReadAllText(Path.Combine(Shipped, name + ".toml")));
        var result = Runner.Run(Published.Binary, ["show", name], profiles.Environment());
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("/usr/bin/bwrap --unshare-all ", result.Output);
        // The hub's strict policy reaches every service.
        foreach (var option in new[] { " --clearenv ", " --cap-drop ALL ", " --new-session ", " --die-with-parent ", " --hostname host " })
            Assert.Contains(option, result.Output);
        Assert.DoesNotContain("--proc", result.Output);
    }
}
