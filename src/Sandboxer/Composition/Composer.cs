using System.Text;
using Sandboxer.Profiles;

namespace Sandboxer.Composition;

/// <summary>
/// Turns a profile into bwrap's argv. Pure: no file is read and no path need exist, so
/// `show` works anywhere and tests need no process.
/// </summary>
public static class Composer
{
    /// <param name="callerArgs">The caller's arguments, byte for byte; they follow the profile's args.</param>
    /// <param name="relay">When given, the relay runs as the sandbox's PID 1 and starts the daemon.</param>
    public static List<byte[]> Compose(Profile profile, IReadOnlyList<byte[]> callerArgs, RelayPlan? relay = null)
    {
        var argv = new List<byte[]>(64 + profile.Mounts.Count * 3 + callerArgs.Count);
        void Add(string text) => argv.Add(Encoding.UTF8.GetBytes(text));

        Add(profile.BwrapPath);
        foreach (var spec in BwrapOptions.All)
        {
            string option = "--" + spec.Name;
            switch (spec.Shape)
            {
                case OptionShape.Flag:
                    if (profile.IsSet(spec.Name) || relay is not null && RelayNeeds(profile, spec.Name))
                        Add(option);
                    break;
                case OptionShape.Text or OptionShape.Path or OptionShape.Id:
                    if (profile.Values.TryGetValue(spec.Name, out var value))
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
        if (relay is not null)
        {
            Add("--info-fd");
            Add(Number(relay.Info));
            // Last in the written order, so no mount of the profile's can hide them.
            mounts = [.. mounts];
            foreach (var (from, to) in relay.Binds)
                mounts.Add(new MountOp("ro-bind", [from, to], to, null, 0, [], default));
        }
        foreach (var op in MountOrder.Sort(mounts))
            AddOperation(op, Add);
        foreach (var op in profile.PathChanges)
            AddOperation(op, Add);

        var daemon = new List<byte[]>(1 + profile.Args.Count + callerArgs.Count) { Encoding.UTF8.GetBytes(profile.Command!.Value.Value) };
        foreach (var arg in profile.Args)
            daemon.Add(Encoding.UTF8.GetBytes(arg));
        daemon.AddRange(callerArgs);
        if (relay is not null)
            AddRelay(relay, daemon, argv);
        else
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
    /// sandboxer relay OPTIONS -- DAEMON ARGS. There is no /proc inside the sandbox to read raw
    /// arguments back from, so when any is not UTF-8 they all travel hex-encoded.
    /// </summary>
    private static void AddRelay(RelayPlan relay, List<byte[]> daemon, List<byte[]> argv)
    {
        void Add(string text) => argv.Add(Encoding.UTF8.GetBytes(text));
        if (relay.Loader is not null)
            Add(relay.Loader);
        Add(relay.Binary);
        Add(RelayPlan.Command);
        Add("--signal");
        Add(Number(relay.Signal));
        Add("--timeout");
        Add(Number(relay.Timeout));
        Add("--lock-fd");
        Add(Number(relay.Lock));
        bool hex = !daemon.TrueForAll(arg => System.Text.Unicode.Utf8.IsValid(arg));
        if (hex)
            Add("--hex");
        Add("--");
        if (!hex)
            argv.AddRange(daemon);
        else
            foreach (var arg in daemon)
                Add(Convert.ToHexString(arg));
    }

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
