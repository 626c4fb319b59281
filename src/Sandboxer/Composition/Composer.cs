using System.Text;
using Sandboxer.Profiles;

namespace Sandboxer.Composition;

/// <summary>
/// Turns a profile into bwrap's argv. Pure: no file is read and no path need exist, so
/// `show` works anywhere and tests need no process.
/// </summary>
public static class Composer
{
    /// <summary>The daemon's command line: the command, the profile's args, then the caller's, byte for byte.</summary>
    public static List<byte[]> Daemon(Profile profile, IReadOnlyList<byte[]> callerArgs)
    {
        var daemon = new List<byte[]>(1 + profile.Args.Count + callerArgs.Count) { Encoding.UTF8.GetBytes(profile.Command!.Value.Value) };
        foreach (var arg in profile.Args)
            daemon.Add(Encoding.UTF8.GetBytes(arg));
        daemon.AddRange(callerArgs);
        return daemon;
    }

    /// <param name="daemon">The daemon's command line (<see cref="Daemon"/>).</param>
    /// <param name="relay">When given, the relay runs as the sandbox's PID 1 and starts the daemon.</param>
    /// <param name="seccompFd">Without the relay, the descriptor bwrap reads the daemon's seccomp filter from (--seccomp).</param>
    /// <param name="libraries">Mounts computed for libraries = "auto" (<see cref="Elf.LibraryPlan"/>), after the profile's own.</param>
    public static List<byte[]> Compose(Profile profile, IReadOnlyList<byte[]> daemon, RelayPlan? relay = null, int? seccompFd = null,
        IReadOnlyList<MountOp>? libraries = null)
    {
        var argv = new List<byte[]>(64 + profile.Mounts.Count * 3 + daemon.Count);
        void Add(string text) => argv.Add(Encoding.UTF8.GetBytes(text));

        Add(profile.BwrapPath);
        foreach (var spec in BwrapOptions.All)
        {
            string option = "--" + spec.Name;
            switch (spec.Shape)
            {
                case OptionShape.Flag:
                    if (profile.IsSet(spec.Name) || relay is not null && RelayNeeds(profile, spec.Name) || UserNamespaceNeeded(profile, spec.Name))
                        Add(option);
                    break;
                case OptionShape.Text or OptionShape.Path or OptionShape.Id:
                    // With the relay, bwrap's argv0 would name the relay: the relay gives it to the daemon.
                    if (profile.Values.TryGetValue(spec.Name, out var value) && !(relay is not null && spec.Name == "argv0"))
                    {
                        Add(option);
                        Add(value.Value);
                    }
                    break;
                case OptionShape.TextList or OptionShape.Capabilities or OptionShape.PathList:
                    if (profile.Lists.TryGetValue(spec.Name, out var list))
                    {
                        foreach (var item in list)
                        {
                            Add(option);
                            Add(item.Value);
                        }
                    }
                    break;
                case OptionShape.Environment:
                    foreach (var variable in profile.Environment)
                    {
                        Add(option);
                        Add(variable.Key);
                        Add(variable.Value.Value);
                    }
                    break;
            }
        }

        var mounts = profile.Mounts;
        if (libraries is { Count: > 0 })
            mounts = [.. mounts, .. libraries];
        if (relay is not null)
        {
            // Last in the written order, so no mount of the profile's can hide them.
            mounts = [.. mounts];
            foreach (var (from, to) in relay.Binds)
                mounts.Add(new MountOp("ro-bind", [from, to], to, null, 0, [], default));
        }
        foreach (var op in MountOrder.Sort(mounts))
            AddOperation(op, Add);
        foreach (var op in profile.PathChanges)
            AddOperation(op, Add);

        if (relay is null)
        {
            if (seccompFd is int seccomp)
            {
                Add("--seccomp");
                Add(Number(seccomp));
            }
            argv.AddRange(daemon);
            return argv;
        }
        foreach (var word in relay.Start)
            Add(word);
        foreach (var word in relay.Options.ToArguments())
            Add(word);
        if (relay.Options.ArgumentsFd is null)
            argv.AddRange(daemon);
        return argv;
    }

    /// <summary>
    /// The relay must be PID 1 of its own PID namespace, and bwrap must have it killed if bwrap
    /// dies before the relay has asked for a parent-death signal of its own.
    /// </summary>
    private static bool RelayNeeds(Profile profile, string flag) =>
        flag is "as-pid-1" or "die-with-parent" || flag == "unshare-pid" && !profile.IsSet("unshare-all");

    /// <summary>
    /// --disable-userns works on a user namespace of the sandbox's own, and bwrap 0.8 refuses it
    /// unless --unshare-user is given itself, even with --unshare-all (which only tries).
    /// </summary>
    private static bool UserNamespaceNeeded(Profile profile, string flag) =>
        flag == "unshare-user" && profile.IsSet("disable-userns");

    private static string Number(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void AddOperation(MountOp op, Action<string> add)
    {
        foreach (var source in op.Sources)
        {
            add("--overlay-src");
            add(source);
        }
        if (op.Perms is not null)
        {
            add("--perms");
            add(op.Perms);
        }
        if (op.Size > 0)
        {
            add("--size");
            add(Number(op.Size));
        }
        add("--" + op.Option);
        foreach (var operand in op.Operands)
            add(operand);
    }
}
