using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Sandboxer.Composition;
using Sandboxer.Interop;
using Sandboxer.Profiles;

namespace Sandboxer.Relay;

/// <summary>
/// The outside half of the relay: waits until no earlier sandbox of the service is running,
/// then creates what the relay gets (the held lock, its arguments when they go by file) just
/// before bwrap is exec'd. `show` gets the same plan with the same descriptor numbers, none of
/// them created.
/// </summary>
public static class RelayLauncher
{
    /// <summary>The first number the relay's descriptors get; show and run count alike from here.</summary>
    public const int FirstDescriptor = ProcessImage.FirstPassed;

    /// <param name="confinement">Limits and filter the relay applies to the daemon through `sandboxer confine`.</param>
    public static RelayPlan Prepare(Profile profile, IReadOnlyList<byte[]> daemon, Confinement.Confinement? confinement = null)
    {
        Landlock.NetworkEnforcement.CheckKernel(profile.Network);
        uint user = Libc.GetEffectiveUserId();
        string dirPath = profile.Stop.StateDirectory(profile.Name);
        SafeFileHandle lockFile;
        using (var dir = StateDirectory.OpenForRun(profile.Stop.StateRoot, profile.Name, user))
            lockFile = StateDirectory.OpenLock(dir, dirPath, user, create: true)!;
        WaitForLock(lockFile, profile, dirPath + "/" + StateDirectory.LockName);

        var plan = Describe(profile, daemon, confinement);
        var options = plan.Options;
        var passed = new List<PassedDescriptor> { new(lockFile, options.LockFd) };
        if (options.ArgumentsFd is int argumentsFd)
            passed.Add(new(ArgumentsFile(daemon), argumentsFd));
        if (options.NotifyFd is int notifyFd)
            passed.Add(new(Readiness.ReadyLauncher.ConnectNotifySocket(profile), notifyFd));
        if (options.ConfineFd is int confineFd)
            passed.Add(new(confinement!.RelayFile(plan.Start), confineFd));
        return plan with { Descriptors = passed };
    }

    /// <summary>The plan `show` prints, and run follows: the descriptors run would create, numbered but not created.</summary>
    /// <param name="confinement">Limits and filter the relay applies to the daemon through `sandboxer confine`.</param>
    public static RelayPlan Describe(Profile profile, IReadOnlyList<byte[]> daemon, Confinement.Confinement? confinement = null)
    {
        var (start, binds) = SelfImage.Layout();
        var numbers = Numbers(profile).GetEnumerator();
        int Next() => numbers.MoveNext() ? numbers.Current
            : throw new SandboxerException(ExitCodes.Software, "the relay needs more descriptors than can be passed on");
        int lockFd = Next();
        int? argumentsFd = RelayPlan.ArgumentsByFile(daemon) ? Next() : null;
        int? notifyFd = profile.Ready.Notify == ReadyNotify.Socket ? Next() : null;
        string? argv0 = profile.Values.TryGetValue("argv0", out var value) ? value.Value : null;
        var network = profile.Network.Rules;
        int? confineFd = confinement is { IsEmpty: false } ? Next() : null;
        var options = new RelayOptions(profile.Stop.Signal, profile.Stop.Timeout, lockFd, argumentsFd, argv0,
            Network: network.RestrictsAnything ? network : null, ReadyFd: profile.Ready.PassedDescriptor, NotifyFd: notifyFd, ConfineFd: confineFd);
        return new RelayPlan(start, binds, options, []);
    }

    /// <summary>Without the relay, the descriptor bwrap reads the daemon's seccomp filter from (--seccomp); null otherwise.</summary>
    public static int? FilterDescriptor(Profile profile, RelayPlan? relay, Confinement.Confinement confinement) =>
        relay is null && confinement.Filter is not null ? Numbers(profile).First() : null;

    /// <summary>
    /// The numbers the launcher's own descriptors take, in order (the relay's, or bwrap's seccomp
    /// filter without the relay): never one the profile passes on as it is.
    /// </summary>
    public static IEnumerable<int> Numbers(Profile profile)
    {
        for (int fd = FirstDescriptor; fd <= ProcessImage.LastPassed; fd++)
        {
            if (fd != profile.Ready.PassedDescriptor)
                yield return fd;
        }
    }

    private static void WaitForLock(SafeFileHandle lockFile, Profile profile, string lockPath)
    {
        int fd = (int)lockFile.DangerousGetHandle();
        var deadline = DateTime.UtcNow.AddSeconds(profile.Stop.StartWait);
        while (true)
        {
            int errno = Libc.Flock(fd, Libc.LockExclusive | Libc.LockNonBlocking);
            if (errno == 0)
                return;
            if (errno != Errno.WouldBlock)
                throw SandboxerException.Config($"{lockPath}: cannot lock: {Marshal.GetPInvokeErrorMessage(errno)}");
            if (DateTime.UtcNow >= deadline)
                throw new SandboxerException(ExitCodes.TempFail,
                    $"{profile.Name}: the previous sandbox is still running after {profile.Stop.StartWait} s (it holds {lockPath}); not starting another");
            Thread.Sleep(100);
        }
    }

    /// <summary>The daemon's arguments, each followed by a NUL, in a sealed anonymous file.</summary>
    private static SafeFileHandle ArgumentsFile(IReadOnlyList<byte[]> daemon) =>
        SealedFile.Create("sandboxer-daemon-args", SealedFile.NulTerminated(daemon));
}
