using System.Text;

namespace Sandboxer.Tests.Support;

/// <summary>
/// The user's own wrapper scripts (copied into Composition/Seed/ unchanged), and a bwrap
/// stand-in that records the argv it gets: the one place a stand-in is right, since what is
/// compared is the command line, not a sandbox.
/// </summary>
public sealed class SeedScripts
{
    public static readonly string Directory = Path.Combine(Published.RepositoryRoot, "tests", "Sandboxer.Tests", "Composition", "Seed");

    /// <summary>The services the seed has a wrapper for.</summary>
    public static readonly string[] Services = ["monerod", "navidrome"];

    private readonly string root;

    /// <summary>The recording bwrap, in a directory of its own for PATH.</summary>
    public string Recorder { get; }
    private string Record => Path.Combine(root, "argv");

    /// <param name="root">A scratch directory the copies and the recorder go in.</param>
    public SeedScripts(string root)
    {
        this.root = root;
        Recorder = Path.Combine(root, "fakebin", "bwrap");
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(Recorder)!);
        File.WriteAllText(Recorder, $"#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done > '{Record}'\n");
        File.SetUnixFileMode(Recorder, (UnixFileMode)Convert.ToInt32("755", 8));
    }

    /// <summary>
    /// A copy of bwrap-SERVICE in the scratch directory that sources the copy of bwrap-defaults
    /// instead of /usr/local/bin/bwrap-defaults, with "." as dash has no "source".
    /// </summary>
    public string Copy(string service)
    {
        string defaults = Path.Combine(root, "bwrap-defaults");
        File.Copy(Path.Combine(Directory, "bwrap-defaults"), defaults, overwrite: true);
        string script = File.ReadAllText(Path.Combine(Directory, "bwrap-" + service))
            .Replace("source /usr/local/bin/bwrap-defaults", ". " + defaults)
            .Replace(". /usr/local/bin/bwrap-defaults", ". " + defaults);
        string copy = Path.Combine(root, "bwrap-" + service);
        File.WriteAllText(copy, script);
        return copy;
    }

    /// <summary>The argv the script execs, run under sh with the recorder first in PATH.</summary>
    public List<string> RunScript(string script, string[] callerArgs)
    {
        var path = new Dictionary<string, string> { ["PATH"] = Path.GetDirectoryName(Recorder) + ":/usr/bin:/bin" };
        var result = Runner.Run("/bin/sh", [script, .. callerArgs], path);
        Assert.True(result.ExitCode == 0, result.ToString());
        return Recorded();
    }

    /// <summary>The argv a bwrap-NAME link execs, its hub's bwrap replaced by the recorder.</summary>
    public List<string> RunLink(string link, string[] callerArgs, IDictionary<string, string> environment)
    {
        var result = Runner.Run(link, callerArgs, environment);
        Assert.True(result.ExitCode == 0, result.ToString());
        return Recorded();
    }

    private List<string> Recorded()
    {
        var argv = Sandboxer.Cli.RawArguments.Split(File.ReadAllBytes(Record)).Select(Encoding.UTF8.GetString).ToList();
        File.Delete(Record);
        return argv;
    }
}
