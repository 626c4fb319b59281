using System.Diagnostics;

namespace Sandboxer.Tests.Support;

/// <summary>Who starts a sandbox: root, or the unprivileged service account; or another local user, nobody.</summary>
public enum Account
{
    Root,
    Service,
    Other,
}

/// <summary>Runs programs as root or as the service account that build/openrc.sh creates.</summary>
public static class Accounts
{
    public const string ServiceName = "sandboxer-svc";

    private static readonly Lazy<(int Uid, int Gid)> Ids = new(() =>
    {
        foreach (var line in File.ReadLines("/etc/passwd"))
        {
            var fields = line.Split(':');
            if (fields.Length > 3 && fields[0] == ServiceName)
                return (int.Parse(fields[2]), int.Parse(fields[3]));
        }
        throw new InvalidOperationException($"there is no account {ServiceName}: build/openrc.sh creates it");
    });

    public static int ServiceUid => Ids.Value.Uid;
    public static int ServiceGid => Ids.Value.Gid;

    /// <summary>nobody: a local user with nothing to do with the service.</summary>
    public const int OtherUid = 65534;

    public static int Uid(Account who) => who switch { Account.Root => 0, Account.Service => ServiceUid, _ => OtherUid };

    /// <summary>The command line that runs a program as the account, environment kept (setpriv, util-linux).</summary>
    public static (string Program, List<string> Args) As(Account who, string program, IEnumerable<string> args)
    {
        if (who == Account.Root)
            return (program, args.ToList());
        int gid = who == Account.Service ? ServiceGid : OtherUid;
        var wrapped = new List<string> { $"--reuid={Uid(who)}", $"--regid={gid}", "--clear-groups", "--", program };
        wrapped.AddRange(args);
        return (Setpriv, wrapped);
    }

    public static RunResult Run(Account who, string program, IEnumerable<string> args, IDictionary<string, string>? environment = null, string prelude = "", int timeoutSeconds = 60)
    {
        var (p, a) = As(who, program, args);
        return Runner.Run(p, a, environment, prelude, timeoutSeconds);
    }

    public static Process Start(Account who, string program, IEnumerable<string> args, IDictionary<string, string>? environment = null, string prelude = "")
    {
        var (p, a) = As(who, program, args);
        return Runner.Start(p, a.Select(System.Text.Encoding.UTF8.GetBytes), environment, prelude);
    }

    /// <summary>Creates a directory that the account owns, with the given mode.</summary>
    public static string OwnedDirectory(Account who, string path, string mode = "755")
    {
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(mode, 8));
        if (who != Account.Root)
        {
            var chown = Runner.Run("chown", [$"{Uid(who)}", path]);
            if (chown.ExitCode != 0)
                throw new InvalidOperationException($"cannot give {path} to uid {Uid(who)}: {chown}");
        }
        return path;
    }

    /// <summary>The uid that owns a file.</summary>
    public static int Owner(string path)
    {
        var result = Runner.Run("stat", ["-c", "%u", path]);
        return result.ExitCode == 0 ? int.Parse(result.Output.Trim()) : throw new InvalidOperationException($"stat {path}: {result}");
    }

    private static string Setpriv =>
        new[] { "/usr/bin/setpriv", "/bin/setpriv" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("setpriv is not installed: build/deps.sh installs it");
}
