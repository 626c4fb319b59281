using Microsoft.Win32.SafeHandles;

namespace Sandboxer.Interop;

/// <summary>An anonymous file, written once and sealed: whoever it is passed to reads exactly what was written.</summary>
internal static class SealedFile
{
    /// <summary>The parts one after the other, in a memfd closed on exec until passed on on purpose.</summary>
    public static SafeFileHandle Create(string name, IEnumerable<byte[]> parts)
    {
        ProcessImage.Check(Libc.MemfdCreate(name, out int fd), $"cannot create {name}");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        long offset = 0;
        foreach (var part in parts)
        {
            RandomAccess.Write(handle, part, offset);
            offset += part.Length;
        }
        ProcessImage.Check(Libc.SealAll(fd), $"cannot seal {name}");
        return handle;
    }

    /// <summary>Each string followed by a NUL, as in /proc/PID/cmdline.</summary>
    public static IEnumerable<byte[]> NulTerminated(IEnumerable<byte[]> strings)
    {
        byte[] nul = [0];
        foreach (var s in strings)
        {
            yield return s;
            yield return nul;
        }
    }
}
