namespace Sandboxer.Tests.Support;

/// <summary>
/// A root-owned profile directory under /tmp (the sticky /tmp is allowed above it), with
/// bwrap-NAME links to the published binary in a bin/ beside it.
/// </summary>
public sealed class ProfileDirectory : IDisposable
{
    /// <summary>The shipped defaults, as a service on this machine gets them.</summary>
    public static string ShippedDefaults => File.ReadAllText(System.IO.Path.Combine(Published.RepositoryRoot, "profiles", "defaults.toml"))
        .Replace("/usr/bin/bwrap", Published.Bwrap);

    /// <summary>The shipped defaults less one [section]: for what it alone does, or where it cannot apply.</summary>
    public static string ShippedDefaultsWithout(string section)
    {
        var kept = new List<string>();
        bool skipping = false;
        foreach (var line in ShippedDefaults.Split('\n'))
        {
            if (line.StartsWith('['))
                skipping = line.StartsWith($"[{section}]", StringComparison.Ordinal);
            if (!skipping)
                kept.Add(line);
        }
        return string.Join('\n', kept);
    }

    /// <summary>
    /// The shipped defaults, less [seccomp] for the arm64 binary under qemu: qemu-user refuses
    /// every seccomp filter (PR_SET_SECCOMP), so the launcher refuses the section there
    /// (Arm64Tests checks that refusal), and the filter's aarch64 calls would be qemu's x86_64 ones.
    /// </summary>
    private static string DefaultsFor(string launcher) =>
        System.Runtime.InteropServices.RuntimeInformation.OSArchitecture != System.Runtime.InteropServices.Architecture.Arm64
            && launcher == System.Environment.GetEnvironmentVariable("SANDBOXER_ARM64_BIN") ? ShippedDefaultsWithout("seccomp") : ShippedDefaults;

    /// <summary>What /bin/sh needs on Debian and Alpine, read-only.</summary>
    public const string ShellMounts = """ro-bind-try = ["/usr", "/bin", "/lib", "/lib64", "/sbin"]""";

    public string Root { get; }
    public string Path => System.IO.Path.Combine(Root, "profiles");
    public string Bin => System.IO.Path.Combine(Root, "bin");
    /// <summary>
    /// The relay's state root, root's alone as /run/sandboxer is: Sandboxer makes a service's
    /// directory there for a start as root; for the service account a test makes it first, as
    /// an init script's start_pre does (<see cref="Link"/>).
    /// </summary>
    public string State => System.IO.Path.Combine(Root, "state");

    private readonly string launcher;

    /// <param name="launcher">The binary bin/ installs and links to: by default the published one for this machine.</param>
    public ProfileDirectory(string? defaults = null, string? launcher = null)
    {
        this.launcher = launcher ?? Published.Binary;
        Root = Directory.CreateTempSubdirectory("sandboxer-test-").FullName;
        File.SetUnixFileMode(Root, (UnixFileMode)Convert.ToInt32("755", 8));
        Directory.CreateDirectory(Path, (UnixFileMode)Convert.ToInt32("755", 8));
        Directory.CreateDirectory(Bin, (UnixFileMode)Convert.ToInt32("755", 8));
        Directory.CreateDirectory(State, (UnixFileMode)Convert.ToInt32("755", 8));
        Write("defaults", defaults ?? DefaultsFor(this.launcher) + $"\n[stop]\nstate = \"{State}\"\n");
    }

    public string Write(string name, string toml)
    {
        string file = System.IO.Path.Combine(Path, name + ".toml");
        File.WriteAllText(file, toml);
        File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32("644", 8));
        return file;
    }

    /// <summary>
    /// A bwrap-NAME symlink to the launcher, as an admin installs it: to a root-owned copy in
    /// bin/, so that the unprivileged service account can run it wherever the repository is
    /// checked out (a home directory may be closed to it); or to <paramref name="binary"/>.
    /// For the service account, its state directory is made first.
    /// </summary>
    public string Link(string name, Account who = Account.Root, string? binary = null)
    {
        if (who == Account.Service)
            PrepareState(name, who);
        string link = System.IO.Path.Combine(Bin, "bwrap-" + name);
        if (!File.Exists(link))
            File.CreateSymbolicLink(link, binary ?? Sandboxer);
        return link;
    }

    /// <summary>bin/sandboxer: the root-owned copy of the launcher the links point to, for run and signal.</summary>
    public string Sandboxer
    {
        get
        {
            string installed = System.IO.Path.Combine(Bin, "sandboxer");
            if (!File.Exists(installed))
            {
                File.Copy(launcher, installed);
                File.SetUnixFileMode(installed, (UnixFileMode)Convert.ToInt32("755", 8));
            }
            return installed;
        }
    }

    /// <summary>
    /// The package's layout around bin/sandboxer, as the .deb and the APKBUILD install it: the
    /// shipped defaults.toml, byte for byte, in share/sandboxer/profiles beside bin/ (what import
    /// compares an existing hub with) and, when <paramref name="inProfileDirectory"/>, in the
    /// profile directory (the conffile). Returns its text.
    /// </summary>
    public string LayOutPackage(bool inProfileDirectory = true)
    {
        string shipped = File.ReadAllText(System.IO.Path.Combine(Published.RepositoryRoot, "profiles", "defaults.toml"));
        string share = Root;
        foreach (var part in new[] { "share", "sandboxer", "profiles" })
            share = Accounts.OwnedDirectory(Account.Root, System.IO.Path.Combine(share, part));
        _ = Sandboxer;
        File.WriteAllText(System.IO.Path.Combine(share, "defaults.toml"), shipped);
        if (inProfileDirectory)
            Write("defaults", shipped);
        return shipped;
    }

    /// <summary>What OpenRC's start_pre does with checkpath -d -o USER -m 0700: the service's state directory, the account's.</summary>
    public string PrepareState(string name, Account who) => Accounts.OwnedDirectory(who, System.IO.Path.Combine(State, name), "700");

    /// <summary>
    /// No relay holds the service's lock: flock(1) takes it at once. A missing lock is not held
    /// (and flock would create it as root, which the service's next start would refuse).
    /// </summary>
    public void AssertLockReleased(string name)
    {
        string lockFile = System.IO.Path.Combine(State, name, "lock");
        if (!File.Exists(lockFile))
            return;
        var flock = Runner.Run("flock", ["-n", lockFile, "true"]);
        Assert.True(flock.ExitCode == 0, $"{lockFile} is still locked: {flock}");
    }

    public Dictionary<string, string> Environment() => new() { ["SANDBOXER_PROFILE_DIR"] = Path };

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A test that failed may leave a busy file; /tmp is cleaned anyway.
        }
    }
}
