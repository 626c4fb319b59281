using System.Diagnostics;

namespace Sandboxer.Audit;

/// <summary>The installed bwrap's release, from `bwrap --version` ("bubblewrap 0.8.0"), asked once per path.</summary>
public static class BwrapProbe
{
    /// <summary>The release, or null with the reason when bwrap cannot be run or says something else.</summary>
    public static (Version? Version, string? Problem) Ask(string bwrap)
    {
        try
        {
            var info = new ProcessStartInfo(bwrap) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add("--version");
            using var process = Process.Start(info)!;
            string output = process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            if (!process.WaitForExit(10_000))
            {
                process.Kill();
                return (null, $"{bwrap} --version did not answer within 10 s");
            }
            return Parse(output) is { } version ? (version, null)
                : (null, $"{bwrap} --version said \"{output.Trim()}\", not \"bubblewrap X.Y.Z\"");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            // The runtime's own messages are resource keys in this trimmed binary: word the errno.
            return (null, $"cannot run {bwrap}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(e.NativeErrorCode)}");
        }
        catch (IOException e)
        {
            return (null, $"cannot run {bwrap}: {SandboxerException.Io(bwrap, e).Message}");
        }
    }

    /// <summary>"bubblewrap 0.8.0" as 0.8.0; null for anything else.</summary>
    public static Version? Parse(string output)
    {
        string first = output.Split('\n')[0].Trim();
        const string Prefix = "bubblewrap ";
        return first.StartsWith(Prefix, StringComparison.Ordinal) && Version.TryParse(first[Prefix.Length..], out var version)
            ? Release(version) : null;
    }

    /// <summary>"0.11" as 0.11.0, so that it compares equal to the release 0.11.0 itself.</summary>
    public static Version Release(string release) => Release(Version.Parse(release));

    private static Version Release(Version version) => new(version.Major, version.Minor, Math.Max(version.Build, 0));
}
