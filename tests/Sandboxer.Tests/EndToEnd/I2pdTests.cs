using System.Text.RegularExpressions;
using System.Net;
using System.Net.Http;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// Debian's i2pd run by the service account with the shipped profiles/i2pd.toml over the shipped
/// hub, only its data paths moved (<see cref="ShippedProfile"/>): its configuration directory,
/// router data and log. Offline: no reseed servers, no published transport, no UPnP; its web
/// console and SAM bridge on the host's 127.0.0.1 (the profile shares the network). Host stack
/// only: the sid tree does not install i2pd (build/test.sh excludes this class there).
/// </summary>
public sealed class I2pdTests : IDisposable
{
    private readonly ProfileDirectory profiles = new();
    private readonly string data;
    private readonly string logs;
    private readonly int consolePort = Loopback.FreePort();
    private readonly int samPort = Loopback.FreePort();

    public I2pdTests()
    {
        string configuration = Accounts.OwnedDirectory(Account.Root, Path.Combine(profiles.Root, "i2pd-etc"));
        data = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "i2pd-data"), "700");
        logs = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "i2pd-log"), "700");
        // As Debian's package lays out /var/lib/i2pd: the reseed and family certificates are the
        // package's, read through the shipped /usr/share/i2pd bind.
        File.CreateSymbolicLink(Path.Combine(data, "certificates"), "/usr/share/i2pd/certificates");
        // NTCP2 must be on for the router to start (with no transport at all it aborts), but
        // unpublished it listens nowhere; with no reseed URL and an empty netDb it knows no peer.
        File.WriteAllText(Path.Combine(configuration, "i2pd.conf"), $"""
            log = file
            logfile = /var/log/i2pd/i2pd.log
            loglevel = info
            daemon = false
            ipv4 = true
            ipv6 = false
            notransit = true
            [ntcp2]
            enabled = true
            published = false
            [ssu2]
            enabled = false
            [http]
            enabled = true
            address = 127.0.0.1
            port = {consolePort}
            [httpproxy]
            enabled = false
            [socksproxy]
            enabled = false
            [sam]
            enabled = true
            address = 127.0.0.1
            port = {samPort}
            [bob]
            enabled = false
            [i2cp]
            enabled = false
            [upnp]
            enabled = false
            [reseed]
            urls =
            [addressbook]
            enabled = false
            """);
        File.WriteAllText(Path.Combine(configuration, "tunnels.conf"), "");
        foreach (var file in Directory.GetFiles(configuration))
            File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32("644", 8));
        ShippedProfile.Read("i2pd")
            .Data("/etc/i2pd", configuration)
            .Data("/var/lib/i2pd", data)
            .Data("/var/log/i2pd", logs)
            .WriteTo(profiles);
    }

    public void Dispose() => profiles.Dispose();

    private string LogFile => Path.Combine(logs, "i2pd.log");

    private string Log() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no log file)";

    private const string SamHello = "HELLO VERSION MIN=3.0 MAX=3.1";

    private string? AskSam() => EchoDaemon.Ask(new IPEndPoint(IPAddress.Loopback, samPort), SamHello);

    private SandboxedDaemon StartI2pd(params string[] args)
    {
        var i2pd = SandboxedDaemon.Start(profiles, "i2pd", args);
        i2pd.WaitUntil(() => AskSam()?.StartsWith("HELLO REPLY", StringComparison.Ordinal) == true,
            $"its SAM bridge did not answer on 127.0.0.1:{samPort}", Log);
        return i2pd;
    }

    [Fact]
    public async Task I2pd_answers_sam_and_its_web_console_from_the_host()
    {
        using var i2pd = StartI2pd();
        try
        {
            string? sam = AskSam();
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            string console = await http.GetStringAsync($"http://127.0.0.1:{consolePort}/");

            Assert.StartsWith("HELLO REPLY RESULT=OK VERSION=3.1", sam);
            Assert.Contains("Purple I2P Webconsole", console);
            Assert.Contains("Router Ident", console);
            string log = Log();
            // Its certificates came through /usr/share/i2pd; its router identity was written to /var/lib/i2pd.
            Assert.True(Regex.IsMatch(log, @"Reseed: [1-9]\d* certificates loaded"),
                $"i2pd loaded no reseed certificates:\n{log}");
            Assert.Contains("Reseed: No reseed servers specified", log);
            Assert.True(File.Exists(Path.Combine(data, "router.keys")), "no router.keys in the host's data directory");
            Assert.Equal(Accounts.ServiceUid, Accounts.Owner(Path.Combine(data, "router.keys")));
        }
        finally
        {
            i2pd.Stop();
        }
    }

    [Fact]
    public void I2pd_stops_gracefully_on_sigterm_to_bwrap()
    {
        using var i2pd = StartI2pd();

        i2pd.Stop();

        // The relay turned bwrap's SIGTERM into the daemon's own: i2pd ran its shutdown.
        string log = Log();
        Assert.True(log.Contains("Daemon: Shutting down") && log.Contains("Daemon: Stopping NetDB"), $"i2pd did not log its shutdown:\n{log}");
        Assert.Null(AskSam());
    }

    [Fact]
    public void I2pd_cannot_read_a_host_file_outside_its_binds()
    {
        // A file its account may read on the host, in a directory the profile does not bind:
        // named as the file to reseed from, it is not there in the sandbox.
        string elsewhere = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "elsewhere"));
        string file = Path.Combine(elsewhere, "reseed.zip");
        File.WriteAllText(file, "not a reseed bundle");
        File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32("644", 8));
        var host = Accounts.Run(Account.Service, "/usr/bin/head", ["-c", "3", file]);
        Assert.True(host.ExitCode == 0 && host.Output == "not", $"the control failed: the account cannot read {file} on the host: {host}");

        using var i2pd = StartI2pd($"--reseed.file={file}");
        try
        {
            string log = Log();
            Assert.True(log.Contains($"Reseed: Can't open file {file}"), $"i2pd did not say it could not open {file}:\n{log}");
        }
        finally
        {
            i2pd.Stop();
        }
    }
}
