using System.Text;

namespace Sandboxer.Readiness;

/// <summary>
/// What of a daemon's sd_notify datagram goes on to the supervisor. The daemon is not trusted:
/// only well-formed "KEY=value" lines of printable UTF-8 pass, none that names a process or a
/// descriptor of the sandbox, and each datagram sent on is short enough for any reader.
/// </summary>
public static class NotifyMessage
{
    /// <summary>The longest datagram read (systemd's own limit); a longer one is dropped whole.</summary>
    public const int MaxReceived = 4096;

    /// <summary>
    /// The longest datagram sent on. OpenRC's supervise-daemon reads into a BUFSIZ buffer and
    /// then writes a NUL after what it read, and BUFSIZ is 1024 under musl: a datagram of 1024
    /// bytes would write past it.
    /// </summary>
    public const int MaxForwarded = 1023;

    /// <summary>
    /// Keys never passed on: a PID of the sandbox's namespace is another process outside
    /// (MAINPID); descriptors never leave the sandbox (FDSTORE and its kin, BARRIER); and
    /// NOTIFYACCESS would widen who may notify the supervisor.
    /// </summary>
    public static readonly string[] Withheld = ["MAINPID", "FDSTORE", "FDSTOREREMOVE", "FDNAME", "FDPOLL", "BARRIER", "NOTIFYACCESS"];

    /// <summary>The datagrams to send on for one received: its valid lines, packed in order, none over <see cref="MaxForwarded"/>.</summary>
    public static List<byte[]> Filter(ReadOnlySpan<byte> datagram)
    {
        var datagrams = new List<byte[]>();
        if (datagram.Length > MaxReceived)
            return datagrams;
        var packed = new List<byte>(datagram.Length);
        foreach (var range in datagram.Split((byte)'\n'))
        {
            var line = datagram[range];
            if (!IsForwarded(line))
                continue;
            if (packed.Count > 0 && packed.Count + 1 + line.Length > MaxForwarded)
            {
                datagrams.Add([.. packed]);
                packed.Clear();
            }
            if (packed.Count > 0)
                packed.Add((byte)'\n');
            packed.AddRange(line);
        }
        if (packed.Count > 0)
            datagrams.Add([.. packed]);
        return datagrams;
    }

    /// <summary>"KEY=value": KEY of A-Z, 0-9 and _, not withheld; value UTF-8 without control characters; the whole within <see cref="MaxForwarded"/>.</summary>
    public static bool IsForwarded(ReadOnlySpan<byte> line)
    {
        int equals = line.IndexOf((byte)'=');
        if (equals <= 0 || line.Length > MaxForwarded || !System.Text.Unicode.Utf8.IsValid(line))
            return false;
        var key = line[..equals];
        if (key[0] is < (byte)'A' or > (byte)'Z')
            return false;
        foreach (byte b in key)
        {
            if (b is not (>= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' or (byte)'_'))
                return false;
        }
        // No control character, C1 ones (U+0080 to U+009F) included: a value may end up on a terminal.
        foreach (char c in Encoding.UTF8.GetString(line[(equals + 1)..]))
        {
            if (char.IsControl(c))
                return false;
        }
        return Array.IndexOf(Withheld, Encoding.ASCII.GetString(key)) < 0;
    }
}
