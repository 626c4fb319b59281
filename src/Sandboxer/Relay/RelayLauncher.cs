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

    public static RelayPlan Prepare(Profile profile, IReadOnlyList<byte[]> daemon)
    {
        Landlock.NetworkEnforcement.CheckKernel(profile.Network);
        uint user = Libc.GetEffectiveUserId();
        string dirPath = profile.Stop.StateDirectory(profile.Name);
        SafeFileHandle lockFile;
        using (var dir = StateDirectory.OpenForRun(profile.Stop.StateRoot, profile.Name, user))
            lockFile = StateDirectory.OpenLock(dir, dirPath, user, create: true)!;
        WaitForLock(lockFile, profile, dirPath + "/" + StateDirectory.LockName);

        var passed = new List<PassedDescriptor> { new(lockFile, FirstDescriptor) };
        if (RelayPlan.ArgumentsByFile(daemon))
            passed.Add(new(ArgumentsFile(daemon), FirstDescriptor + 1));
        return Plan(profile, daemon, passed);
    }

    /// <summary>The plan `show` prints: the same, with the descriptors run would create only numbered.</summary>
    public static RelayPlan Describe(Profile profile, IReadOnlyList<byte[]> daemon) => Plan(profile, daemon, []);

    private static RelayPlan Plan(Profile profile, IReadOnlyList<byte[]> daemon, IReadOnlyList<PassedDescriptor> passed)
    {
        var (start, binds) = SelfImage.Layout();
        int? argumentsFd = RelayPlan.ArgumentsByFile(daemon) ? FirstDescriptor + 1 : null;
        string? argv0 = profile.Values.TryGetValue("argv0", out var value) ? value.Value : null;
        var network = profile.Network.Rules;
        var options = new RelayOptions(profile.Stop.Signal, profile.Stop.Timeout, FirstDescriptor, argumentsFd, argv0,
            Network: network.RestrictsAnything ? network : null);
        return new RelayPlan(start, binds, options, passed);
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
    private static SafeFileHandle ArgumentsFile(IReadOnlyList<byte[]> daemon)
    {
        ProcessImage.Check(Libc.MemfdCreate("sandboxer-daemon-args", out int fd), "cannot create the daemon's argument file");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        long offset = 0;
        byte[] nul = [0];
        foreach (var arg in daemon)
        {
            RandomAccess.Write(handle, arg, offset);
            offset += arg.Length;
            RandomAccess.Write(handle, nul, offset);
            offset++;
        }
        ProcessImage.Check(Libc.SealAll(fd), "cannot seal the daemon's argument file");
        return handle;
    }
}
