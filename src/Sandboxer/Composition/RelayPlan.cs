namespace Sandboxer.Composition;

/// <summary>
/// What the composer needs to put the stop relay in front of the daemon: the relay binary, the
/// files it needs inside the sandbox and the descriptors created for it. Made by the launcher,
/// which does the I/O, so that composing stays pure.
/// </summary>
/// <param name="Loader">The dynamic loader that starts the relay, by its real path; null for a static binary.</param>
/// <param name="Binary">Sandboxer's path inside the sandbox.</param>
/// <param name="Binds">Files bound read-only so the relay can run: (path outside, path inside).</param>
/// <param name="Lock">A descriptor holding the service's lock until the relay ends.</param>
/// <param name="Info">Where bwrap writes the host PID of the relay (--info-fd).</param>
public sealed record RelayPlan(
    string? Loader,
    string Binary,
    IReadOnlyList<(string From, string To)> Binds,
    int Lock,
    int Info,
    int Signal,
    int Timeout)
{
    public const string Command = "relay";

    public int[] Descriptors => [Lock, Info];
}
