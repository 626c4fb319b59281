using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// trace on real daemons: each starts from a profile that binds little more than the daemon,
/// trace is run and its lines applied until it proposes nothing, and then the daemon works.
/// The daemons' files live under /var/tmp: the hub's tmpfs hides anything under /tmp.
/// </summary>
public sealed class TraceTests : IDisposable
{
    private readonly ProfileDirectory profiles = new();
    private readonly string work = Path.Combine("/var/tmp", "sandboxer-trace-test-" + Guid.NewGuid().ToString("N")[..8]);

    public TraceTests()
    {
        Directory.CreateDirectory(work);
        File.SetUnixFileMode(work, (UnixFileMode)Convert.ToInt32("755", 8));
    }

    public void Dispose()
    {
        profiles.Dispose();
        Directory.Delete(work, recursive: true);
    }

    /// <summary>A [sandbox] table kept as data, so that trace's lines can be merged into it.</summary>
    private sealed class SandboxTable
    {
        public Dictionary<string, List<string>> Lists { get; } = [];
        public Dictionary<string, string> Values { get; } = [];

        public string Render(string head) =>
            head + "[sandbox]\n" + string.Concat(Values.Select(v => $"{v.Key} = {v.Value}\n"))
            + string.Concat(Lists.Select(l => $"{l.Key} = [{string.Join(", ", l.Value.Select(Toml.Quote))}]\n"));

        /// <summary>Applies "key = value  # why" lines; returns how many there were.</summary>
        public int Apply(string output)
        {
            int applied = 0;
            foreach (var line in output.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')))
            {
                string code = line[..line.IndexOf("  # ", StringComparison.Ordinal)];
                int equals = code.IndexOf(" = ", StringComparison.Ordinal);
                string key = code[..equals], value = code[(equals + 3)..];
                if (value.StartsWith('['))
                {
                    if (!Lists.TryGetValue(key, out var list))
                        Lists[key] = list = [];
                    list.AddRange(JsonSerializer.Deserialize<string[]>(value)!);
                }
                else
                    Values[key] = value;
                applied++;
            }
            return applied;
        }
    }

    /// <summary>trace, apply, again, until trace proposes nothing; the rounds' outputs.</summary>
    private List<string> Converge(string name, string head, SandboxTable table, int seconds)
    {
        var rounds = new List<string>();
        for (int round = 0; round < 8; round++)
        {
            profiles.Write(name, table.Render(head));
            var result = Runner.Run(Published.Binary, ["trace", name, "--seconds", $"{seconds}"], profiles.Environment(), timeoutSeconds: 60);
            Assert.True(result.ExitCode == 0, result.ToString());
            rounds.Add(result.Output);
            if (table.Apply(result.Output) == 0)
                return rounds;
        }
        throw new Xunit.Sdk.XunitException("trace kept proposing lines:\n" + string.Join("\n", rounds));
    }

    private static string Daemon(string name) =>
        new[] { "/usr/bin/" + name, "/usr/sbin/" + name }.First(File.Exists);

    [Fact]
    public void Socat_fetching_from_the_host_into_a_file_works_once_tracess_lines_are_applied()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serving = Task.Run(async () =>
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                await client.GetStream().WriteAsync("hello from the host\n"u8.ToArray());
            }
        });
        string output = Path.Combine(work, "out", "fetched");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        string socat = Daemon("socat");
        string head = $"command = \"{socat}\"\nargs = [\"-u\", \"TCP:127.0.0.1:{port}\", \"OPEN:{output},creat,trunc\"]\n";
        var table = new SandboxTable();
        table.Lists["ro-bind"] = [socat];

        var rounds = Converge("socat-t", head, table, seconds: 5);

        string all = string.Join("\n", rounds);
        Assert.Contains("share-net = true  # connect to 127.0.0.1:" + port, all);
        Assert.Contains($"bind = [\"{Path.GetDirectoryName(output)}\"]", all);
        Assert.Contains("its ELF interpreter", all);
        Assert.StartsWith("# socat-t: nothing the daemon tried to reach is missing", rounds[^1]);
        File.Delete(output);
        var run = Runner.Run(profiles.Link("socat-t"), Array.Empty<string>(), profiles.Environment(), timeoutSeconds: 30);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("hello from the host\n", File.ReadAllText(output));
    }

    [Fact]
    public async Task Tor_bootstraps_once_traces_lines_are_applied()
    {
        string data = Path.Combine(work, "data");
        Directory.CreateDirectory(data);
        File.SetUnixFileMode(data, (UnixFileMode)Convert.ToInt32("700", 8));
        string torrc = Path.Combine(work, "torrc");
        File.WriteAllText(torrc, $"SocksPort 0\nDisableNetwork 1\nDataDirectory {data}\nLog notice stdout\n");
        string tor = Daemon("tor");
        string head = $"command = \"{tor}\"\nargs = [\"-f\", \"{torrc}\", \"--defaults-torrc\", \"{work}/none\"]\n";
        var table = new SandboxTable();
        table.Lists["ro-bind"] = [tor];

        var rounds = Converge("tor-t", head, table, seconds: 3);

        string all = string.Join("\n", rounds);
        Assert.Contains($"ro-bind = [\"{torrc}\"]", all);
        Assert.Contains($"bind = [\"{data}\"]", all);
        using var process = Runner.Start(profiles.Link("tor-t"), [], profiles.Environment());
        try
        {
            var seen = new StringBuilder();
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!seen.ToString().Contains("Bootstrapped 0%") && deadline - DateTime.UtcNow is { Ticks: > 0 } remaining)
            {
                try
                {
                    if (await process.StandardOutput.ReadLineAsync().WaitAsync(remaining) is not { } line)
                        break;
                    seen.Append(line).Append('\n');
                }
                catch (TimeoutException)
                {
                    break;
                }
            }
            Assert.True(seen.ToString().Contains("Bootstrapped 0%"), seen.ToString());
            Assert.False(process.HasExited);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }
}
