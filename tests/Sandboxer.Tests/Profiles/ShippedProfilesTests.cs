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
        string text = File.ReadAllText(Path.Combine(Shipped, name + ".toml"));
        profiles.Write(name, text);
        var result = Runner.Run(Published.Binary, ["show", name], profiles.Environment());
        string command = System.Text.RegularExpressions.Regex.Match(text, "(?m)^command = \"([^\"]+)\"").Groups[1].Value;
        if (text.Contains("libraries = \"auto\"") && !File.Exists(command))
        {
            // Resolving reads the daemon's headers: where it is not installed, that is the error.
            Assert.Equal(ExitCodes.Config, result.ExitCode);
            Assert.Contains($"{name}.toml:", result.Stderr);
            Assert.EndsWith($": libraries: {command}: no such file\n", result.Stderr);
            return;
        }
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("/usr/bin/bwrap --unshare-all ", result.Output);
        // The hub's strict policy reaches every service.
        foreach (var option in new[] { " --clearenv ", " --cap-drop ALL ", " --new-session ", " --die-with-parent ", " --hostname host " })
            Assert.Contains(option, result.Output);
        Assert.DoesNotContain("--proc", result.Output);
    }

    /// <summary>No shipped service binds a library directory or a loader of its own: libraries = "auto" finds them.</summary>
    [Theory]
    [MemberData(nameof(Services))]
    public void Shipped_services_bind_no_library_directory_or_loader(string name)
    {
        if (name == "demo")
            return;
        string text = File.ReadAllText(Path.Combine(Shipped, name + ".toml"));
        Assert.Contains("\nlibraries = \"auto\"\n", text);
        foreach (var bind in new[] { "\"/usr/lib\"", "\"/lib\"", "\"/usr\"", "ld-musl-", "ld-linux-" })
            Assert.DoesNotContain(bind, text);
    }

    [Theory]
    [InlineData("tor", "/usr/bin/tor")]
    [InlineData("socat", "/usr/bin/socat")]
    public void A_shipped_service_installed_here_gets_its_daemon_loader_and_libraries(string name, string daemon)
    {
        Assert.True(File.Exists(daemon), $"{daemon} is not installed: build/deps.sh installs it");
        profiles.Write(name, File.ReadAllText(Path.Combine(Shipped, name + ".toml")));
        var result = Runner.Run(Published.Binary, ["show", name], profiles.Environment());
        Assert.True(result.ExitCode == 0, result.ToString());
        string real = Processes.RealPath(daemon);
        Assert.Contains($" --ro-bind {real} {real} ", result.Output);
        string loader = Processes.RealPath(Sandboxer.Elf.ElfFile.Read(daemon).Interpreter!);
        Assert.Contains($" --ro-bind {loader} {loader} ", result.Output);
        Assert.Matches(@" --ro-bind (\S+/libc\.so\.6|\S+/libc\.musl-\S+|\S+/ld-musl-\S+) ", result.Output);
    }

    /// <summary>The real-daemon tests' substitution moves a data bind's host side and nothing else, or fails.</summary>
    [Fact]
    public void A_data_path_substitution_moves_the_host_side_only_and_fails_when_the_path_is_not_shipped()
    {
        var tor = ShippedProfile.Read("tor").Data("/var/lib/tor", "/tmp/test-data");

        Assert.Contains("{ from = \"/tmp/test-data\", to = \"/var/lib/tor\" }", tor.Text);
        Assert.Equal(File.ReadAllText(Path.Combine(Shipped, "tor.toml")).Replace("\"/var/lib/tor\"", "{ from = \"/tmp/test-data\", to = \"/var/lib/tor\" }"), tor.Text);
        var missing = Assert.ThrowsAny<Exception>(() => ShippedProfile.Read("tor").Data("/var/lib/not-tor", "/tmp/x"));
        Assert.Contains("no longer binds \"/var/lib/not-tor\"", missing.Message);
        // "/etc/tor" begins "/etc/tor/torrc" in args too: only the exact quoted string is a bind's.
        Assert.Contains("args = [\"-f\", \"/etc/tor/torrc\"]", ShippedProfile.Read("tor").Data("/etc/tor", "/tmp/etc").Text);
    }
}
