using System.Runtime.InteropServices;

namespace Sandboxer.Tests.Support;

/// <summary>
/// A real arm64 daemon: Debian's socat for arm64. On x64, build/arm64.sh unpacks the binary
/// alone into artifacts/arm64-socat and installs its libraries the multiarch way, beside the
/// host's (/usr/lib/aarch64-linux-gnu), as an arm64 Debian has them; on arm64, the host's own.
/// </summary>
public static class Arm64Socat
{
    public static string Unpacked
    {
        get
        {
            if (RuntimeInformation.OSArchitecture == Architecture.Arm64)
                return "/usr/bin/socat";
            string path = Path.Combine(Published.RepositoryRoot, "artifacts", "arm64-socat", "usr", "bin", "socat");
            Assert.True(File.Exists(path), $"{path} is missing: build/arm64.sh unpacks it");
            return Processes.RealPath(path);
        }
    }

    /// <summary>
    /// profiles/socat.toml as shipped (libraries = "auto", the bridge to Navidrome's socket),
    /// with only the program's path and the socket directory's host side replaced: each must be
    /// found exactly once, so that a change to the shipped profile is seen here.
    /// </summary>
    public static string ShippedProfile(string command, string sockets)
    {
        string shipped = File.ReadAllText(Path.Combine(Published.RepositoryRoot, "profiles", "socat.toml"));
        return Replace(Replace(shipped, "command = \"/usr/bin/socat\"", $"command = {Toml.Quote(command)}"),
            "\"/run/navidrome\",", Toml.Bind(sockets, "/run/navidrome") + ",");
    }

    private static string Replace(string text, string what, string with)
    {
        int at = text.IndexOf(what, StringComparison.Ordinal);
        Assert.True(at >= 0 && text.IndexOf(what, at + 1, StringComparison.Ordinal) < 0, $"profiles/socat.toml no longer has {what} exactly once:\n{text}");
        return text[..at] + with + text[(at + what.Length)..];
    }
}
