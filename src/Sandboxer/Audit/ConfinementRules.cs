using Sandboxer.Profiles;

namespace Sandboxer.Audit;

/// <summary>
/// What [seccomp], [limits] and [network] would hold the daemon to, weighed by their absence:
/// each is a layer past the namespaces that a compromised daemon no longer has to get through.
/// </summary>
public sealed class ConfinementRules : IExposureRule
{
    public const double NoFilter = 1.5;
    public const double NoLimits = 0.5;
    public const double AnyPort = 0.5;

    public IEnumerable<Exposure> Find(Profile profile)
    {
        var seccomp = profile.Seccomp;
        if (!seccomp.Present)
            yield return new(NoFilter, "seccomp", null,
                "no seccomp filter: every system call is open to the daemon (keyctl, bpf, io_uring, perf_event_open...)");
        else if (seccomp.Action is { Value.Value: Seccomp.SeccompAction.Log } log)
            yield return new(NoFilter, "seccomp.action", log.Location, "\"log\": denied system calls are only logged, and then made");
        if (profile.Limits.Values.Count == 0)
            yield return new(NoLimits, "limits", null, "no resource limits: the daemon may take every descriptor, process and byte its user may");
        bool all = profile.IsSet("unshare-all");
        bool sharesNetwork = all ? profile.IsSet("share-net") : !profile.IsSet("unshare-net");
        if (sharesNetwork && !profile.Network.Rules.RestrictsAnything)
            yield return new(AnyPort, "network", null, "network shared on every port: no [network] rule holds the daemon to its own");
    }
}
