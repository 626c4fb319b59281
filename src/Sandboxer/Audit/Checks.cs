using Sandboxer.Profiles;

namespace Sandboxer.Audit;

/// <summary>What every check gets: the profile's mounts as bwrap makes them, the installed bwrap's release, the service's account.</summary>
/// <param name="Bwrap">The release `bwrap --version` gave; null when it could not be asked (itself a finding).</param>
/// <param name="User">--user: the account the service runs as; null when not given.</param>
public sealed record CheckContext(Profile Profile, SandboxView View, Version? Bwrap, UserAccount? User);

/// <summary>One kind of problem a start would hit, found without starting anything.</summary>
public interface ICheck
{
    void Check(CheckContext context, List<Finding> findings);
}

/// <summary>
/// Every check, in the order their findings are listed. A profile section with something to
/// check before a start (libraries, seccomp, limits, network, readiness) adds its check here.
/// </summary>
public static class Checks
{
    public static readonly ICheck[] All =
    [
        new BwrapReleaseCheck(),
        new BindSourceCheck(),
        new CommandCheck(),
        new HiddenMountCheck(),
        new OutsideLinkCheck(),
        new UserAccessCheck(),
        new StateDirectoryCheck(),
    ];
}

/// <summary>Keys newer than the installed bwrap, which would make it stop with "Unknown option".</summary>
public sealed class BwrapReleaseCheck : ICheck
{
    public void Check(CheckContext context, List<Finding> findings)
    {
        if (context.Bwrap is not { } installed)
            return;
        foreach (var (key, since, at) in Uses(context.Profile))
        {
            if (BwrapProbe.Release(since) > installed)
                findings.Add(Finding.Error(at, key, $"needs bubblewrap {since} or later; {context.Profile.BwrapPath} is {installed}"));
        }
    }

    /// <summary>Each option the profile makes bwrap use, with the release that added it and where it is written.</summary>
    public static IEnumerable<(string Key, string Since, Location At)> Uses(Profile profile)
    {
        foreach (var spec in BwrapOptions.All)
        {
            string key = "sandbox." + spec.Name;
            if (profile.Flags.TryGetValue(spec.Name, out var flag) && flag.Value)
                yield return (key, spec.Since, flag.Location);
            if (profile.Values.TryGetValue(spec.Name, out var value))
                yield return (key, spec.Since, value.Location);
            if (profile.Lists.TryGetValue(spec.Name, out var list))
            {
                foreach (var item in list)
                    yield return (key, spec.Since, item.Location);
            }
        }
        if (profile.Environment.Count > 0)
            yield return ("sandbox.setenv", BwrapOptions.Find("setenv")!.Since, profile.Environment[0].Value.Location);
        foreach (var op in profile.Mounts.Concat(profile.PathChanges))
        {
            string key = "sandbox." + op.Option;
            yield return (key, BwrapOptions.Find(op.Option)!.Since, op.Location);
            if (op.Perms is not null)
                yield return (key + ".perms", "0.5", op.Location);
            if (op.Size > 0)
                yield return (key + ".size", "0.7", op.Location);
        }
    }
}

/// <summary>A bind or overlay whose source does not exist: bwrap stops with "Can't find source path".</summary>
public sealed class BindSourceCheck : ICheck
{
    public void Check(CheckContext context, List<Finding> findings)
    {
        foreach (var op in context.Profile.Mounts)
        {
            string key = "sandbox." + op.Option;
            if (SandboxView.IsBind(op) && !SandboxView.IsOptional(op))
                Exists(op.Operands[0], op, key, $"; use {op.Option}-try if it is optional", findings);
            foreach (var source in op.Sources)
                Exists(source, op, key + ".sources", "", findings);
            if (op.Option == "overlay")
            {
                Exists(op.Operands[0], op, key + ".rw", "", findings);
                Exists(op.Operands[1], op, key + ".work", "", findings);
            }
        }
    }

    private static void Exists(string path, MountOp op, string key, string hint, List<Finding> findings)
    {
        int errno = Interop.Libc.StatPath(path, followLink: true, out _);
        if (errno == Interop.Errno.NoEntry)
            findings.Add(Finding.Error(op.Location, key, $"{path} does not exist: bwrap would stop with \"Can't find source path\"{hint}"));
        else if (errno != 0)
            findings.Add(Finding.Error(op.Location, key, $"{path}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)}"));
    }
}

/// <summary>The command as the sandbox shows it: a bind must bring it in, and it must be an executable file.</summary>
public sealed class CommandCheck : ICheck
{
    public void Check(CheckContext context, List<Finding> findings)
    {
        if (context.Profile.Command is not { } command)
            return;
        string? problem = Problem(context.View, command.Value, context.User);
        if (problem is not null)
            findings.Add(Finding.Error(command.Location, "command", problem));
    }

    /// <summary>Why <paramref name="path"/> cannot be executed in the sandbox, or null.</summary>
    public static string? Problem(SandboxView view, string path, UserAccount? user)
    {
        path = view.Resolve(path);
        var op = view.Covering(path);
        if (op is null)
            return $"{path} is not in the sandbox: no mount brings it in (ro-bind = [\"{path}\"] would)";
        string? host = view.HostPath(path);
        if (host is null)
            return $"{path} is under the {op.Option} at {op.Destination} ({op.Location}), which is not a bind of a host path";
        int errno = Interop.Libc.StatPath(host, followLink: true, out var status);
        if (errno == Interop.Errno.NoEntry)
            return host == path ? $"{path} does not exist" : $"{path} is {host} on the host, which does not exist";
        if (errno != 0)
            return $"{host}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)}";
        if (!status.IsRegularFile)
            return $"{host} is not a file";
        if ((status.Mode & 0x49) == 0)
            return $"{host} is not executable (mode {Trust.TrustedPath.Mode(status.Mode)})";
        if (user is not null && user.Denies(host, UserAccount.Execute) is { } denied)
            return denied;
        return null;
    }
}

/// <summary>A mount another one made later at the same place replaces: whatever it brought in is not seen.</summary>
public sealed class HiddenMountCheck : ICheck
{
    public void Check(CheckContext context, List<Finding> findings)
    {
        var order = context.View.Order;
        for (int i = 0; i < order.Count; i++)
        {
            for (int j = i + 1; j < order.Count; j++)
            {
                if (SandboxView.Contains(order[j].Destination, order[i].Destination))
                {
                    findings.Add(Finding.Warning(order[i].Location, "sandbox." + order[i].Option,
                        $"{order[i].Destination} is hidden by the {order[j].Option} of {order[j].Destination} at {order[j].Location}, made after it"));
                    break;
                }
            }
        }
    }
}
