using Sandboxer.Interop;

namespace Sandboxer.Readiness;

/// <summary>
/// The inside half of "socket": the relay binds a datagram socket on the sandbox's own tmpfs,
/// gives the daemon NOTIFY_SOCKET naming it, and passes what the daemon sends on to the socket
/// the launcher connected outside (<see cref="NotifyMessage"/> decides what). One thread sleeps
/// in poll(2) until a datagram comes, so an idle relay stays idle; nothing it sends ever blocks
/// (a supervisor that has stopped reading loses the messages, not the relay).
/// </summary>
internal sealed class NotifyForwarder
{
    /// <summary>The socket inside the sandbox: where the relay's files are, never a host directory (RelayPlacement).</summary>
    public const string SocketPath = Composition.RelayPlacement.Directory + "/notify";

    private readonly int inside;
    private readonly int host;
    private readonly object gate = new();
    // One byte more than is ever forwarded, with MSG_TRUNC: a longer datagram is seen, and dropped whole.
    private readonly byte[] buffer = new byte[NotifyMessage.MaxReceived + 1];

    private NotifyForwarder(int inside, int host)
    {
        this.inside = inside;
        this.host = host;
    }

    /// <param name="host">The socket the launcher connected to the supervisor's; kept from the daemon.</param>
    public static NotifyForwarder Open(int host)
    {
        ProcessImage.Check(Libc.SetCloseOnExec(host, true), "relay: cannot keep the notification socket from the daemon");
        ProcessImage.Check(Libc.DatagramSocket(out int inside), "relay: cannot create the daemon's notification socket");
        ProcessImage.Check(Libc.BindUnix(inside, System.Text.Encoding.UTF8.GetBytes(SocketPath)), $"relay: cannot create {SocketPath}");
        return new NotifyForwarder(inside, host);
    }

    public void Start() => new Thread(Run) { IsBackground = true, Name = "notify" }.Start();

    /// <summary>Passes on what is still queued, once no process of the sandbox is left to send more.</summary>
    public void Drain()
    {
        lock (gate)
            ForwardQueued();
    }

    private void Run()
    {
        while (true)
        {
            int errno = Libc.WaitReadable(inside);
            if (errno == Errno.Interrupted)
                continue;
            if (errno != 0)
                return;
            lock (gate)
                ForwardQueued();
        }
    }

    private void ForwardQueued()
    {
        while (Libc.Receive(inside, buffer, Libc.MessageDontWait | Libc.MessageTruncated, out int length) == 0)
        {
            if (length > NotifyMessage.MaxReceived)
                continue;
            foreach (var datagram in NotifyMessage.Filter(buffer.AsSpan(0, length)))
                Libc.Send(host, datagram, Libc.MessageDontWait);
        }
    }
}
