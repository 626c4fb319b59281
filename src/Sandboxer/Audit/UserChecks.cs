using Sandboxer.Profiles;
using Sandboxer.Relay;

namespace Sandboxer.Audit;

/// <summary>
/// --user: bwrap started by the service's account binds only what that account can reach, and the
/// daemon reads only what it may. A source it cannot reach stops bwrap; one it cannot read or
/// (for a writable bind) write fails the daemon later.
/// </summary>
public sealed class UserAccessCheck : ICheck
{
    public void Check(CheckContext context, List<Finding> findings)
    {
        if (context.User is not { } user)
            return;
        foreach (var op in context.Profile.Mounts)
        {
            string key = "sandbox." + op.Option;
            var sources = SandboxView.IsBind(op) ? [op.Operands[0]] : op.Sources;
            foreach (var source in sources)
            {
                if (Interop.Libc.StatPath(source, followLink: true, out _) != 0)
                    continue;
                string? parent = Path.GetDirectoryName(source.TrimEnd('/'));
                // bwrap needs the way to the source; the daemon needs to read it.
                if (parent is not null && user.Denies(parent, UserAccount.Execute) is { } unreachable)
                    findings.Add(Finding.Error(op.Location, key, $"{source}: {unreachable}: bwrap, started as {user.Name}, cannot bind it"));
                else if (user.Denies(source, UserAccount.Read) is { } unreadable)
                    findings.Add(Finding.Warning(op.Location, key, $"{source}: {unreadable}: the daemon will not read it"));
                else if (op.Option is "bind" or "bind-try" && user.Denies(source, UserAccount.Write) is { } unwritable)
                    findings.Add(Finding.Warning(op.Location, key, $"{source}: {unwritable}: a writable bind gives no more than the account has"));
            }
        }
    }
}

/// <summary>--user with the stop relay: the state directory must be ready for that account, as run would demand.</summary>
public sealed class StateDirectoryCheck : ICheck
{
    public void Check(CheckContext context, List<Finding> findings)
    {
        var profile = context.Profile;
        if (context.User is not { } user || !profile.Stop.Relay)
            return;
        string directory = profile.Stop.StateDirectory(profile.Name);
        // Root's start makes what is missing; check must not.
        if (user.Uid == 0 && Interop.Libc.StatPath(directory, followLink: false, out _) == Interop.Errno.NoEntry)
            return;
        try
        {
            StateDirectory.OpenForRun(profile.Stop.StateRoot, profile.Name, user.Uid).Dispose();
        }
        catch (SandboxerException e) when (e.ExitCode == ExitCodes.Config)
        {
            findings.Add(Finding.Error(null, "stop.state", e.Message));
        }
    }
}
