using System.Net;
using System.Net.Sockets;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.EndToEnd;

/// <summary>
/// Real packaged daemons run by the service account from start to a checked result, each also
/// refused something its profile does not grant. tor runs the shipped profiles/tor.toml itself
/// (libraries = "auto" over the shipped hub), only its data paths moved (<see cref="ShippedProfile"/>).
/// No shipped profile has ffmpeg as its command (navidrome.toml runs it as one of its
/// executables, and navidrome is not packaged by Debian), so ffmpeg runs under the shipped hub
/// with libraries = "auto" and its output directory. socat's shipped profile is in <see cref="BridgeTests"/>.
/// </summary>
public sealed class DaemonTests : IDisposable
{
    private readonly ProfileDirectory profiles = new();

    public void Dispose() => profiles.Dispose();

    // ---- tor: the shipped profile, offline (DisableNetwork 1), controlled through a Unix socket ----

    private const string TorControlReady = "Opened Control listener connection (ready) on /var/lib/tor/control";

    private string TorConfiguration => Path.Combine(profiles.Root, "tor-etc");

    /// <summary>
    /// Starts tor as the service account with the shipped profile and waits for its control socket
    /// (in its data directory: the shipped profile binds no /run/tor); the host's end of it.
    /// </summary>
    private (SandboxedDaemon Tor, string ControlSocket) StartTor(int controlPort)
    {
        string data = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "tor-data"), "700");
        string logs = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "tor-log"), "700");
        Directory.CreateDirectory(TorConfiguration);
        string torrc = Path.Combine(TorConfiguration, "torrc");
        File.WriteAllText(torrc, $"""
            DataDirectory /var/lib/tor
            DisableNetwork 1
            ControlSocket /var/lib/tor/control
            ControlPort 127.0.0.1:{controlPort}
            Log notice stdout
            """);
        File.SetUnixFileMode(torrc, (UnixFileMode)Convert.ToInt32("644", 8));
        ShippedProfile.Read("tor")
            .Data("/etc/tor", TorConfiguration)
            .Data("/var/lib/tor", data)
            .Data("/var/log/tor", logs)
            .WriteTo(profiles);

        var tor = SandboxedDaemon.Start(profiles, "tor", []);
        // Ready: the control socket is open and tor has started bootstrapping (offline, it stays at 0%).
        tor.WaitUntil(() => tor.Output.Contains(TorControlReady) && tor.Output.Contains("Bootstrapped 0%"),
            "did not open its control socket and start bootstrapping");
        return (tor, Path.Combine(data, "control"));
    }

    [Fact]
    public void Tor_answers_on_its_control_socket_from_the_sandbox()
    {
        var (tor, control) = StartTor(Loopback.FreePort());
        using var _ = tor;
        try
        {
            string? answer = EchoDaemon.Ask(new UnixDomainSocketEndPoint(control), "PROTOCOLINFO 1\r\nQUIT\r");

            Assert.True(answer is not null && answer.Contains("250-PROTOCOLINFO 1") && answer.Contains("250 OK"),
                $"tor's control socket answered {answer ?? "nothing"}");
        }
        finally
        {
            tor.Stop();
        }
    }

    /// <summary>
    /// The shipped tor.toml shares the host's network (tor's relays and DNS are outside): its
    /// loopback listener is the host's. What no network means is proved where a profile grants
    /// none: ffmpeg below, and the Unix-socket service in <see cref="BridgeTests"/>.
    /// </summary>
    [Fact]
    public void Tor_shares_the_hosts_network_as_its_shipped_profile_grants()
    {
        int port = Loopback.FreePort();
        var (tor, _) = StartTor(port);
        using var _ = tor;
        try
        {
            Assert.Contains($"Opened Control listener connection (ready) on 127.0.0.1:{port}", tor.Output);

            string? answer = EchoDaemon.Ask(new IPEndPoint(IPAddress.Loopback, port), "PROTOCOLINFO 1\r\nQUIT\r");

            Assert.True(answer is not null && answer.Contains("250-PROTOCOLINFO 1"), $"the host did not reach tor's control port 127.0.0.1:{port}: {answer ?? "nothing"}");
        }
        finally
        {
            tor.Stop();
        }
    }

    [Fact]
    public void Tor_is_refused_writing_outside_its_data_directory()
    {
        var (tor, control) = StartTor(Loopback.FreePort());
        using var _ = tor;
        string torrc = Path.Combine(TorConfiguration, "torrc");
        string before = File.ReadAllText(torrc);
        try
        {
            // No authentication is configured, so an empty AUTHENTICATE lets the controller ask
            // tor to log to /srv (not bound) and to rewrite its torrc (bound read-only). Not /var/log:
            // binding /var/log/tor makes bwrap create /var/log in the sandbox's own root, a tmpfs
            // the daemon may write to and that is gone when it ends.
            string? answer = EchoDaemon.Ask(new UnixDomainSocketEndPoint(control),
                "AUTHENTICATE\r\nSETCONF Log=\"notice file /srv/tor.log\"\r\nSAVECONF\r\nQUIT\r");

            Assert.True(answer is not null && answer.StartsWith("250 OK", StringComparison.Ordinal), $"tor refused the empty AUTHENTICATE: {answer}");
            Assert.True(answer.Contains("553 Unable to set option"), $"tor could open a log file in /srv: {answer}");
            Assert.True(answer.Contains("551 Unable to write configuration to disk"), $"tor could rewrite its read-only torrc: {answer}");
            // tor's own account of the refusal reaches its log just after the reply.
            const string Refusal = "Couldn't open file for 'Log notice file /srv/tor.log': No such file or directory";
            Processes.WaitUntil(() => tor.Output.Contains(Refusal), 5);
            Assert.True(tor.Output.Contains(Refusal), $"tor's log does not say why /srv/tor.log was refused:\n{tor.Output}");
            Assert.Equal(before, File.ReadAllText(torrc));
            Assert.False(File.Exists("/srv/tor.log"), "tor wrote the host's /srv/tor.log");
        }
        finally
        {
            tor.Stop();
        }
    }

    // ---- ffmpeg: a transcoder whose only writable bind is its output directory ----

    private string Output => Path.Combine(profiles.Root, "out");

    private RunResult Ffmpeg(params string[] args)
    {
        Accounts.OwnedDirectory(Account.Service, Output);
        // What navidrome.toml's executables = ["/usr/bin/ffmpeg"] gives it: ffmpeg and exactly its
        // libraries (Debian's reach libblas through /etc/alternatives, recreated as links).
        profiles.Write("ffmpeg", $"""
            command = "/usr/bin/ffmpeg"
            args = ["-nostdin", "-hide_banner", "-loglevel", "error"]
            libraries = "auto"
            [sandbox]
            bind = [{Toml.Bind(Output, "/out")}]
            """);
        return Accounts.Run(Account.Service, profiles.Link("ffmpeg", Account.Service), args, profiles.Environment(), timeoutSeconds: 60);
    }

    private static readonly string[] Tone = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "flac"];

    [Fact]
    public void Ffmpeg_transcodes_a_generated_tone_into_the_output_directory()
    {
        var result = Ffmpeg([.. Tone, "/out/tone.flac"]);

        Assert.True(result.ExitCode == 0, $"ffmpeg failed in the sandbox: {result}");
        string file = Path.Combine(Output, "tone.flac");
        var probe = Runner.Run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,sample_rate,duration", "-of", "default=nw=1", file]);
        Assert.Equal("codec_name=flac\nsample_rate=44100\nduration=1.000000\n", probe.Output);
        Assert.Equal(Accounts.ServiceUid, Accounts.Owner(file));
    }

    [Fact]
    public void Ffmpeg_cannot_write_outside_the_output_directory()
    {
        // A host directory the account could write to, but that the profile does not bind.
        string elsewhere = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "elsewhere"));

        var outside = Ffmpeg([.. Tone, Path.Combine(elsewhere, "tone.flac")]);
        // Its own binary, bound read-only at its real path by libraries = "auto". (A new file in
        // /usr would land in the directories bwrap makes on the sandbox's own root, a tmpfs that
        // ends with the sandbox: nothing of the host's.)
        string binary = Processes.RealPath("/usr/bin/ffmpeg");
        var before = File.GetLastWriteTimeUtc(binary);
        var readOnly = Ffmpeg(["-y", .. Tone, "-f", "flac", binary]);

        Assert.True(outside.ExitCode != 0 && outside.Stderr.Contains("No such file or directory"), $"ffmpeg wrote to the unbound {elsewhere}: {outside}");
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
        Assert.True(readOnly.ExitCode != 0, $"ffmpeg overwrote its own binary {binary}: {readOnly}");
        Assert.Contains("Read-only file system", readOnly.Stderr);
        Assert.Equal(before, File.GetLastWriteTimeUtc(binary));
    }

    [Fact]
    public void Ffmpeg_cannot_read_etc_shadow()
    {
        var result = Ffmpeg("-f", "data", "-i", "/etc/shadow", "-map", "0", "-c", "copy", "-f", "data", "/out/shadow");

        Assert.True(result.ExitCode != 0, $"ffmpeg read /etc/shadow: {result}");
        // ffmpeg 5: "/etc/shadow: No such file or directory"; 8 and later name the file and the error apart.
        Assert.Contains("/etc/shadow", result.Stderr);
        Assert.Contains("No such file or directory", result.Stderr);
        Assert.False(File.Exists(Path.Combine(Output, "shadow")) && new FileInfo(Path.Combine(Output, "shadow")).Length > 0, "/etc/shadow was copied out");
    }

    [Fact]
    public void Ffmpeg_cannot_fetch_from_the_network()
    {
        using var listener = Loopback.Listen(out int port);

        var result = Ffmpeg("-i", $"tcp://127.0.0.1:{port}", "/out/fetched.flac");

        Assert.True(result.ExitCode != 0, $"ffmpeg fetched from 127.0.0.1:{port}: {result}");
        Assert.Contains("Connection refused", result.Stderr);
        Assert.False(listener.Pending(), $"the host listener on 127.0.0.1:{port} was reached by ffmpeg in the sandbox");
    }
}
