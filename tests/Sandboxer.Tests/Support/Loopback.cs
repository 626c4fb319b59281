using System.Net;
using System.Net.Sockets;

namespace Sandboxer.Tests.Support;

/// <summary>TCP on the host's 127.0.0.1, for services to listen on and sandboxes to try to reach.</summary>
public static class Loopback
{
    /// <summary>A host listener on 127.0.0.1: Pending() tells whether anything reached it.</summary>
    public static TcpListener Listen(out int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        port = ((IPEndPoint)listener.LocalEndpoint).Port;
        return listener;
    }

    /// <summary>A port nothing listens on right now, for a daemon to take.</summary>
    public static int FreePort()
    {
        using var probe = Listen(out int port);
        return port;
    }
}
