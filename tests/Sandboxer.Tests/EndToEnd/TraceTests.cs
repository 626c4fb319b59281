using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// trace on real daemons: each starts from a near-empty profile (its command and arguments, over
/// the shipped hub), trace is run and its lines applied where it says (top level or [sandbox])
/// until it proposes nothing, and then the daemon works and check finds no error: the issue's
/// "from a near-empty spoke to a working profile with trace and check alone".
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

    /// <summary>A profile's top-level keys and [sandbox] table kept as data, so that trace's lines can be merged into them.</summary>
    private sealed class ProfileTables
    {
        private readonly Dictionary<string, Table> tables = new() { ["top"] = new(), ["sandbox"] = new() };

        private sealed class Table
        {
            public Dictionary<string, List<string>> Lists { get; } = [];
            public Dictionary<string, string> Values { get; } = [];

            public string Render() =>
                string.Concat(Values.Select(v => $"{v.Key} = {v.Value}\n")) + string.Concat(Lists.Where(l => l.Value.Count > 0).Select(l => $"{l.Key} = [{string.Join(", ", l.Value.Select(Toml.Quote))}]\n"));
        }

        public string Render(string head) => head + tables["top"].Render() + "[sandbox]\n" + tables["sandbox"].Render();

        /// <summary>
        /// Applies "key = value  # why" lines to the table their block's header names; returns
        /// them. A line before any header, or under a header naming neither place, fails.
        /// </summary>
        public List<string> Apply(string output)
        {
            var applied = new List<string>();
            Table? table = null;
            foreach (var line in output.Split('\n').Where(l => l.Length > 0))
            {
                if (line.StartsWith('#'))
                {
                    table = line.Contains(": add at the top level of ", StringComparison.Ordinal) ? tables["top"]
                        : line.Contains(": add under [sandbox] in ", StringComparison.Ordinal) ? tables["sandbox"] : null;
                    continue;
                }
                Assert.True(table is not null, $"a line outside a block saying where it goes: {line}\n{output}");
                string code = line[..line.IndexOf("  # ", StringComparison.Ordinal)];
                int equals = code.IndexOf(" = ", StringComparison.Ordinal);
                string key = code[..equals], value = code[(equals + 3)..];
                // A bind in place of a read-only mount of the same path: the file may mount it once.
                int replaces = line.IndexOf("; in place of its ", StringComparison.Ordinal);
                if (replaces >= 0)
                {
                    string option = line[(replaces + "; in place of its ".Length)..].Split(' ')[0];
                    Assert.True(table!.Lists.TryGetValue(option, out var replaced) && replaced.Remove(JsonSerializer.Deserialize<string[]>(value)![0]), line);
                }
                if (value.StartsWith('['))
                {
                    if (!table!.Lists.TryGetValue(key, out var list))
                        table.Lists[key] = list = [];
                    list.AddRange(JsonSerializer.Deserialize<string[]>(value)!);
                }
                else
                    table!.Values[key] = value;
                applied.Add(line);
            }
            return applied;
        }
    }

    /// <summary>trace, apply, again, until trace proposes nothing (at most 8 rounds); every line applied.</summary>
    private List<string> Converge(string name, string head, int seconds)
    {
        var tables = new ProfileTables();
        var rounds = new List<string>();
        var applied = new List<string>();
        for (int round = 0; round < 8; round++)
        {
            profiles.Write(name, tables.Render(head));
            var result = Runner.Run(Published.Binary, ["trace", name, "--seconds", $"{seconds}"], profiles.Environment(), timeoutSeconds: 60);
            Assert.True(result.ExitCode == 0, result + "\nrounds before:\n" + string.Join("\n", rounds));
            rounds.Add(result.Output);
            var lines = tables.Apply(result.Output);
            if (lines.Count == 0)
            {
                Assert.StartsWith($"# {name}: nothing the daemon tried to reach is missing", result.Output);
                // Nothing for the loader is ever a bind: "auto" binds exactly what it opens.
                Assert.DoesNotContain(applied, l => l.StartsWith("ro-bind = [", StringComparison.Ordinal)
                    && JsonSerializer.Deserialize<string[]>(l[10..l.IndexOf("  # ", StringComparison.Ordinal)])![0] is var bound
                    && (Path.GetFileName(bound).Contains(".so", StringComparison.Ordinal) || bound is "/lib" or "/lib64" or "/usr/lib" or "/usr/lib64"
                        || bound.EndsWith("-linux-gnu", StringComparison.Ordinal) || bound.EndsWith("-linux-musl", StringComparison.Ordinal)));
                // What trace ends with, check passes: the admin needs nothing else.
                var check = Runner.Run(Published.Binary, ["check", name], profiles.Environment());
                Assert.True(check.ExitCode == 0 && !check.Output.Contains("error:", StringComparison.Ordinal), check + "\nrounds:\n" + string.Join("\n", rounds));
                return applied;
            }
            applied.AddRange(lines);
        }
        throw new Xunit.Sdk.XunitException("trace kept proposing lines:\n" + string.Join("\n", rounds));
    }

    private static string Daemon(string name) =>
        new[] { "/usr/bin/" + name, "/usr/sbin/" + name }.First(File.Exists);

    [Fact]
    public void Socat_relaying_from_the_host_through_a_program_it_runs_works_from_its_command_alone()
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
        string socat = Daemon("socat"), tee = new[] { "/usr/bin/tee", "/bin/tee" }.First(File.Exists);
        // socat runs tee, which writes what came from the host: a program the daemon executes.
        string head = $"command = \"{socat}\"\nargs = [\"-u\", \"TCP:127.0.0.1:{port}\", \"EXEC:{tee} {output}\"]\n";

        var applied = Converge("socat-t", head, seconds: 5);

        Assert.Contains(applied, l => l.StartsWith($"libraries = \"auto\"  # the command {socat} is not in the sandbox", StringComparison.Ordinal));
        Assert.Contains(applied, l => l.StartsWith("share-net = true  # connect to 127.0.0.1:" + port, StringComparison.Ordinal));
        Assert.Contains(applied, l => l.StartsWith($"executables = [\"{tee}\"]", StringComparison.Ordinal));
        Assert.Contains(applied, l => l.StartsWith($"bind = [\"{Path.GetDirectoryName(output)}\"]", StringComparison.Ordinal));
        File.Delete(output);
        var run = Runner.Run(profiles.Link("socat-t"), Array.Empty<string>(), profiles.Environment(), timeoutSeconds: 30);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("hello from the host\n", File.ReadAllText(output));
    }

    [Fact]
    public async Task Tor_answers_on_its_control_socket_from_its_command_alone()
    {
        string data = Path.Combine(work, "data");
        Directory.CreateDirectory(data);
        File.SetUnixFileMode(data, (UnixFileMode)Convert.ToInt32("700", 8));
        string control = Path.Combine(data, "control");
        string torrc = Path.Combine(work, "torrc");
        File.WriteAllText(torrc, $"SocksPort 0\nDisableNetwork 1\nDataDirectory {data}\nControlSocket {control}\nLog notice stdout\n");
        string tor = Daemon("tor");
        string head = $"command = \"{tor}\"\nargs = [\"-f\", \"{torrc}\", \"--defaults-torrc\", \"{work}/none\"]\n";

        var applied = Converge("tor-t", head, seconds: 3);

        Assert.Contains(applied, l => l.StartsWith($"libraries = \"auto\"  # the command {tor} is not in the sandbox", StringComparison.Ordinal));
        Assert.Contains(applied, l => l.StartsWith($"ro-bind = [\"{torrc}\"]", StringComparison.Ordinal));
        Assert.Contains(applied, l => l.StartsWith($"bind = [\"{data}\"]", StringComparison.Ordinal));
        File.Delete(control);
        using var process = Runner.Start(profiles.Link("tor-t"), [], profiles.Environment());
        try
        {
            // The socket tor makes inside the sandbox is the host's file: the bound data directory.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!File.Exists(control) && !process.HasExited && DateTime.UtcNow < deadline)
                await Task.Delay(50);
            Assert.True(File.Exists(control), $"no control socket; tor: {(process.HasExited ? await process.StandardOutput.ReadToEndAsync() : "running")}");
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(control));
            await socket.SendAsync("PROTOCOLINFO 1\r\n"u8.ToArray());
            var answer = new StringBuilder();
            var buffer = new byte[4096];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (!answer.ToString().Contains("250 OK") && await socket.ReceiveAsync(buffer, timeout.Token) is int read and > 0)
                answer.Append(Encoding.UTF8.GetString(buffer, 0, read));
            Assert.Contains("250-PROTOCOLINFO 1", answer.ToString());
            Assert.Contains("250 OK", answer.ToString());
            Assert.False(process.HasExited);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }
}
