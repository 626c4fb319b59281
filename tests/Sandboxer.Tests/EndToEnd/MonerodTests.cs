using System.Net.Http;
using System.Text;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// Debian's monerod (package monero) run by the service account with the shipped
/// profiles/monerod.toml over the shipped hub, only its data paths moved
/// (<see cref="ShippedProfile"/>): the configuration file, the log directory and the chain on
/// /data. Offline on a private regtest chain, with its RPC on the host's 127.0.0.1 (the profile
/// shares the network), so it answers in seconds and reaches no peer. Host stack only: the sid
/// tree does not install monero (build/test.sh excludes this class there).
/// </summary>
public sealed class MonerodTests : IDisposable
{
    /// <summary>What the init script passes (command_args="--non-interactive ${MONEROD_ARGS}").</summary>
    private static readonly string[] InitArgs = ["--non-interactive", "--config-file=/etc/monero/monerod.conf"];

    private readonly ProfileDirectory profiles = new();
    private readonly string configuration;
    private readonly string data;
    private readonly string logs;
    private readonly int rpcPort = Loopback.FreePort();

    public MonerodTests()
    {
        data = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "monerod-data"), "700");
        logs = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "monerod-log"), "700");
        configuration = Path.Combine(profiles.Root, "monerod.conf");
        // offline: no peers, no DNS checkpoints; regtest: a private chain at height 1; no UPnP
        // (no-igd), no ZMQ and every listener on 127.0.0.1 at a free port.
        File.WriteAllText(configuration, $"""
            data-dir=/data
            log-file=/var/log/monero/monerod.log
            log-level=0
            offline=1
            regtest=1
            no-igd=1
            no-zmq=1
            p2p-bind-ip=127.0.0.1
            p2p-bind-port={Loopback.FreePort()}
            rpc-bind-ip=127.0.0.1
            rpc-bind-port={rpcPort}
            """);
        File.SetUnixFileMode(configuration, (UnixFileMode)Convert.ToInt32("644", 8));
        ShippedProfile.Read("monerod")
            .Data("/etc/monero/monerod.conf", configuration)
            .Data("/var/log/monero/", logs)
            .Data("/data", data)
            .WriteTo(profiles);
    }

    public void Dispose() => profiles.Dispose();

    private string LogFile => Path.Combine(logs, "monerod.log");

    private string Log() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no log file)";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>An RPC call's answer from the host, or null if nothing answers.</summary>
    private string? Rpc(string path, string? json = null)
    {
        try
        {
            var uri = new Uri($"http://127.0.0.1:{rpcPort}{path}");
            using var response = json is null
                ? Http.GetAsync(uri).Result
                : Http.PostAsync(uri, new StringContent(json, Encoding.UTF8, "application/json")).Result;
            return response.IsSuccessStatusCode ? response.Content.ReadAsStringAsync().Result : null;
        }
        catch (AggregateException e) when (e.InnerException is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    private SandboxedDaemon StartMonerod()
    {
        var monerod = SandboxedDaemon.Start(profiles, "monerod", InitArgs);
        monerod.WaitUntil(() => Rpc("/get_height") is not null, $"answered no RPC on 127.0.0.1:{rpcPort}", Log);
        return monerod;
    }

    [Fact]
    public void Monerod_answers_rpc_from_the_host_with_its_offline_regtest_chain()
    {
        using var monerod = StartMonerod();
        try
        {
            string height = Rpc("/get_height")!;
            string? info = Rpc("/json_rpc", """{"jsonrpc":"2.0","id":"0","method":"get_info"}""");

            Assert.Contains("\"height\": 1,", height);
            Assert.Contains("\"status\": \"OK\"", height);
            Assert.True(info is not null, $"get_info got no answer; log:\n{Log()}");
            Assert.Contains("\"nettype\": \"fakechain\"", info);
            Assert.Contains("\"offline\": true", info);
            Assert.Contains("\"outgoing_connections_count\": 0", info);
            // The chain is on /data, which the profile maps from the host's data directory.
            Assert.True(File.Exists(Path.Combine(data, "fake", "lmdb", "data.mdb")), "no regtest chain in the host's data directory");
            Assert.Equal(Accounts.ServiceUid, Accounts.Owner(Path.Combine(data, "fake", "lmdb", "data.mdb")));
        }
        finally
        {
            monerod.Stop();
        }
    }

    [Fact]
    public void Monerod_stops_gracefully_on_sigterm_to_bwrap()
    {
        using var monerod = StartMonerod();

        monerod.Stop();

        // The relay turned bwrap's SIGTERM into the daemon's own: it closed its chain and said so.
        string log = Log();
        Assert.True(log.Contains("Deinitializing core...") && log.Contains("Node stopped."), $"monerod did not log its shutdown:\n{log}");
        Assert.True(Rpc("/get_height") is null, $"127.0.0.1:{rpcPort} still answers after the stop");
    }

    [Fact]
    public void Monerod_cannot_read_etc_shadow()
    {
        // monerod reads any file named as its configuration: in the sandbox /etc/shadow is not there.
        var result = Accounts.Run(Account.Service, profiles.Link("monerod", Account.Service),
            ["--non-interactive", "--config-file=/etc/shadow"], profiles.Environment(), timeoutSeconds: 30);

        Assert.True(result.ExitCode != 0, $"monerod started with /etc/shadow as its configuration: {result}");
        Assert.True((result.Output + result.Stderr).Contains("Can't find config file /etc/shadow"), $"monerod saw /etc/shadow: {result}");
    }

    [Fact]
    public void Monerod_cannot_write_its_chain_outside_its_data_directory()
    {
        // A host directory its account may write to, but that the profile does not bind: monerod
        // makes the directory it is given, so it runs, with its chain in the sandbox's own /tmp
        // (memory, gone at the stop) and nothing in the host's.
        string elsewhere = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "elsewhere"));

        using var monerod = SandboxedDaemon.Start(profiles, "monerod", [.. InitArgs, $"--data-dir={elsewhere}"]);
        try
        {
            monerod.WaitUntil(() => Rpc("/get_height") is not null, $"answered no RPC on 127.0.0.1:{rpcPort}", Log);

            Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
            Assert.Empty(Directory.GetFileSystemEntries(data));
            Assert.Contains($"Loading blockchain from folder {elsewhere}/fake/lmdb", Log());
        }
        finally
        {
            monerod.Stop();
        }
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
    }
}
