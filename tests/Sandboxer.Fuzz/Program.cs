using System.Text.RegularExpressions;
using Sandboxer;
using Sandboxer.Composition;
using Sandboxer.Profiles;
using Sandboxer.Relay;
using SharpFuzz;

namespace Sandboxer.Fuzz;

/// <summary>
/// The profile loader under AFL++: decode, parse, apply, validate and compose, as run and
/// show do once the files are trusted (trust is the filesystem's, not the text's).
///   dotnet Sandboxer.Fuzz.dll            read inputs from AFL (SharpFuzz's fork server)
///   dotnet Sandboxer.Fuzz.dll FILE...    run each file once, say what it gave; exit 1 on a crash
/// An input is a service's profile over the shipped defaults.toml; with a NUL byte in it, the
/// bytes before the first NUL are defaults.toml and the rest the service's profile.
/// A crash is any exception but a configuration error (exit 78) that names file:line:column.
/// </summary>
public static partial class Program
{
    private const string Hub = "/etc/sandboxer/defaults.toml";
    private const string Spoke = "/etc/sandboxer/fuzz.toml";
    private static readonly byte[] ShippedHub = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "defaults.toml"));

    // The relay as show describes it, without reading this process's own image.
    private static readonly string[] RelayStart = ["/run/sandboxer/ld.so", "/run/sandboxer/sandboxer", "relay"];
    private static readonly (string, string)[] RelayBinds = [("/usr/bin/sandboxer", "/run/sandboxer/sandboxer"), ("/lib/ld.so", "/run/sandboxer/ld.so")];

    [GeneratedRegex(@"\A/etc/sandboxer/(defaults|fuzz)\.toml:[1-9][0-9]*:[1-9][0-9]*: (?s:.)")]
    private static partial Regex Located();

    public static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Fuzzer.OutOfProcess.Run(stream =>
            {
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                Load(buffer.ToArray());
            });
            return 0;
        }
        int loaded = 0, rejected = 0, crashed = 0;
        foreach (var file in args)
        {
            try
            {
                if (Load(File.ReadAllBytes(file)) is { } error)
                {
                    rejected++;
                    Console.WriteLine($"{file}: rejected: {error}");
                }
                else
                {
                    loaded++;
                    Console.WriteLine($"{file}: loaded");
                }
            }
            catch (Exception e)
            {
                crashed++;
                Console.WriteLine($"{file}: CRASH: {e}");
            }
        }
        Console.WriteLine($"{args.Length} inputs: {loaded} loaded, {rejected} rejected with a located profile error, {crashed} crashed");
        return crashed == 0 ? 0 : 1;
    }

    /// <summary>Null if the profile loads and composes; its error message if it is rejected as it must be; otherwise throws.</summary>
    public static string? Load(byte[] input)
    {
        int nul = Array.IndexOf(input, (byte)0);
        byte[] hub = nul < 0 ? ShippedHub : input[..nul];
        byte[] spoke = nul < 0 ? input : input[(nul + 1)..];
        try
        {
            var profile = ProfileStore.Load("fuzz", hub, Hub, spoke, Spoke);
            var daemon = Composer.Daemon(profile, []);
            Composer.Compose(profile, daemon);
            var options = new RelayOptions(profile.Stop.Signal, profile.Stop.Timeout, 3, RelayPlan.ArgumentsByFile(daemon) ? 4 : null);
            Composer.Compose(profile, daemon, new RelayPlan(RelayStart, RelayBinds, options, []));
            return null;
        }
        catch (SandboxerException e) when (e.ExitCode == ExitCodes.Config && Located().IsMatch(e.Message))
        {
            return e.Message;
        }
        catch (SandboxerException e)
        {
            throw new InvalidOperationException($"a rejection that is not a located profile error (exit {e.ExitCode}): {e.Message}", e);
        }
    }
}
