using System.Text;

namespace Sandboxer.Cli;

/// <summary>
/// The caller's arguments as the kernel passed them. .NET decodes argv as UTF-8 and turns
/// invalid bytes into U+FFFD; a valid string re-encodes to exactly its bytes, so only when
/// a U+FFFD appears are the bytes read back from /proc/self/cmdline.
/// </summary>
public static class RawArguments
{
    /// <param name="args">argv without argv[0], as .NET decoded it.</param>
    /// <param name="first">The first argument wanted.</param>
    public static List<byte[]> From(IReadOnlyList<string> args, int first)
    {
        var raw = new List<byte[]>(Math.Max(0, args.Count - first));
        for (int i = first; i < args.Count; i++)
        {
            if (args[i].Contains('\uFFFD'))
                return FromKernel(args, first);
            raw.Add(Encoding.UTF8.GetBytes(args[i]));
        }
        return raw;
    }

    private static List<byte[]> FromKernel(IReadOnlyList<string> args, int first)
    {
        byte[] cmdline;
        try
        {
            cmdline = File.ReadAllBytes("/proc/self/cmdline");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SandboxerException.Io("/proc/self/cmdline (read for arguments that are not UTF-8)", e, ExitCodes.Software);
        }
        var all = Split(cmdline);
        // argv[0] is in the kernel's list and not in args.
        if (all.Count != args.Count + 1)
            throw new SandboxerException(ExitCodes.Software, "/proc/self/cmdline does not match the arguments given: they cannot be passed on exactly");
        return all.GetRange(first + 1, all.Count - first - 1);
    }

    public static List<byte[]> Split(ReadOnlySpan<byte> cmdline)
    {
        var parts = new List<byte[]>();
        while (!cmdline.IsEmpty)
        {
            int end = cmdline.IndexOf((byte)0);
            if (end < 0)
                end = cmdline.Length;
            parts.Add(cmdline[..end].ToArray());
            cmdline = end < cmdline.Length ? cmdline[(end + 1)..] : [];
        }
        return parts;
    }
}
