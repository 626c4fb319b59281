using System.Text;
using Sandboxer.Composition;
using Sandboxer.Profiles;

namespace Sandboxer.Tests.Support;

/// <summary>Profiles from text, for tests that need no file and no process.</summary>
public static class Toml
{
    /// <summary>The seed's bwrap-defaults as a hub (the shipped one has been hardened since).</summary>
    public const string SeedDefaults = """
        bwrap = "/usr/bin/bwrap"
        [sandbox]
        unshare-all = true
        clearenv = true
        cap-drop = ["ALL"]
        new-session = true
        die-with-parent = true
        hostname = "host"
        dev = "/dev"
        tmpfs = ["/tmp"]
        """;

    public const string Hub = "/etc/sandboxer/defaults.toml";
    public const string Spoke = "/etc/sandboxer/svc.toml";

    public static Profile Load(string defaults, string service) =>
        ProfileStore.Load("svc", Encoding.UTF8.GetBytes(defaults), Hub, Encoding.UTF8.GetBytes(service), Spoke);

    public static List<string> Compose(string defaults, string service, params string[] callerArgs)
    {
        var profile = Load(defaults, service);
        return Composer.Compose(profile, Composer.Daemon(profile, callerArgs.Select(Encoding.UTF8.GetBytes).ToList()))
            .Select(Encoding.UTF8.GetString).ToList();
    }

    /// <summary>The configuration error a profile gives, or a failed assertion if it loads.</summary>
    public static SandboxerException Error(string defaults, string service)
    {
        var e = Assert.Throws<SandboxerException>(() => Load(defaults, service));
        Assert.Equal(ExitCodes.Config, e.ExitCode);
        return e;
    }

    /// <summary>A host path as a TOML string.</summary>
    public static string Quote(string path) => "\"" + path.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    /// <summary>A bind-like element from a host path to a sandbox path.</summary>
    public static string Bind(string from, string to) => $"{{ from = {Quote(from)}, to = {Quote(to)} }}";
}
