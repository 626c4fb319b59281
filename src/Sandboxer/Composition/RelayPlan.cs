using Sandboxer.Interop;
using Sandboxer.Relay;

namespace Sandboxer.Composition;

/// <summary>
/// What the composer needs to put the stop relay in front of the daemon: how to start it, the
/// files it needs inside the sandbox, its options, and the descriptors made for it. Made by the
/// launcher, which does the I/O, so that composing stays pure.
/// </summary>
/// <param name="Start">What starts the relay inside: its loader, the loader's options and the binary; or the binary alone.</param>
/// <param name="Binds">Files bound read-only so the relay can run: (path outside, path inside), all under <see cref="RelayPlacement.Directory"/>.</param>
/// <param name="Options">The relay's command line.</param>
/// <param name="Descriptors">What run passes on (none for show, which only names their numbers).</param>
public sealed record RelayPlan(
    IReadOnlyList<string> Start,
    IReadOnlyList<(string From, string To)> Binds,
    RelayOptions Options,
    IReadOnlyList<PassedDescriptor> Descriptors)
{
    /// <summary>
    /// Whether the daemon's arguments go to the relay in a file rather than in argv. In argv they
    /// would be decoded as UTF-8 by the relay (so any that is not must not travel there) and would
    /// count twice against the kernel's limits, once for bwrap and once for the relay, and against
    /// bwrap's own limit on arguments: past a size that no ordinary command line reaches, a file.
    /// </summary>
    public static bool ArgumentsByFile(IReadOnlyList<byte[]> daemon)
    {
        const int MaxInline = 1000;
        const long MaxInlineBytes = 64 * 1024;
        if (daemon.Count > MaxInline)
            return true;
        long bytes = 0;
        foreach (var arg in daemon)
        {
            if (!System.Text.Unicode.Utf8.IsValid(arg))
                return true;
            bytes += arg.Length + 1;
        }
        return bytes > MaxInlineBytes;
    }
}
