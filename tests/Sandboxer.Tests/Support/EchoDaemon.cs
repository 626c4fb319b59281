using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sandboxer.Tests.Support;

/// <summary>
/// A small real daemon: socat serving a Unix socket in /run/echo, answering each connection
/// with the hostname it sees (the sandbox's) and then what it was sent. No network: the
/// socket directory, bound from the host, is its only way out.
/// </summary>
public sealed class EchoDaemon
{
    public const string Profile = "echo";
    public const string SandboxSocket = "/run/echo/echo.sock";
    /// <summary>
    /// unlink-early: a socat killed outright (the crash test's SIGKILL) leaves its socket file
    /// for the next start to replace.
    /// </summary>
    public static readonly string[] Args = [$"UNIX-LISTEN:{SandboxSocket},fork,unlink-early", "SYSTEM:uname -n; exec cat"];

    /// <summary>The host directory bound to /run/echo, owned by the service account.</summary>
    public string SocketDirectory { get; }
    public string HostSocket => Path.Combine(SocketDirectory, "echo.sock");

    public EchoDaemon(ProfileDirectory profiles)
    {
        SocketDirectory = Accounts.OwnedDirectory(Account.Service, Path.Combine(profiles.Root, "echo"));
        profiles.Write(Profile, $"""
            command = "/usr/bin/socat"
            [sandbox]
            {ProfileDirectory.ShellMounts}
            bind = [{Toml.Bind(SocketDirectory, "/run/echo")}]
            """);
    }

    /// <summary>Sends one line and reads the answer to the end; null if nothing listens.</summary>
    public static string? Ask(EndPoint endPoint, string line)
    {
        var family = endPoint is UnixDomainSocketEndPoint ? AddressFamily.Unix : AddressFamily.InterNetwork;
        using var socket = new Socket(family, SocketType.Stream, family == AddressFamily.Unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        socket.ReceiveTimeout = 5000;
        try
        {
            socket.Connect(endPoint);
        }
        catch (SocketException)
        {
            return null;
        }
        socket.Send(Encoding.UTF8.GetBytes(line + "\n"));
        socket.Shutdown(SocketShutdown.Send);
        var answer = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = socket.Receive(buffer)) > 0)
            answer.Write(buffer, 0, n);
        return Encoding.UTF8.GetString(answer.ToArray());
    }

    public string? Ask(string line) => Ask(new UnixDomainSocketEndPoint(HostSocket), line);

    /// <summary>The answer a working daemon gives from inside a sandbox with the shipped hostname.</summary>
    public static string Expected(string line) => $"host\n{line}\n";

    /// <summary>Waits until the daemon answers; the last answer (null: none) otherwise.</summary>
    public string? WaitForAnswer(string line, int timeoutSeconds = 10)
    {
        string? answer = null;
        Processes.WaitUntil(() => (answer = Ask(line)) == Expected(line), timeoutSeconds);
        return answer;
    }
}
