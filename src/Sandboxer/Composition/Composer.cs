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
    public static List<byte[]> Compose(Profile profile, IReadOnlyList<byte[]> callerArgs)
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
                    if (profile.IsSet(spec.Name))
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

        foreach (var op in MountOrder.Sort(profile.Mounts))
            AddOperation(op, Add);
        foreach (var op in profile.PathChanges)
            AddOperation(op, Add);

        Add(profile.Command!.Value.Value);
        foreach (var arg in profile.Args)
            Add(arg);
        argv.AddRange(callerArgs);
        return argv;
    }

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
            add(op.Size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        add("--" + op.Option);
        foreach (var operand in op.Operands)
            add(operand);
    }
}
