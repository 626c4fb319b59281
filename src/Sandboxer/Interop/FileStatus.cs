using System.Runtime.InteropServices;

namespace Sandboxer.Interop;

/// <summary>The leading fields of the kernel's struct statx (256 bytes in all).</summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal struct FileStatus
{
    [FieldOffset(16)] public uint Links;
    [FieldOffset(20)] public uint Uid;
    [FieldOffset(24)] public uint Gid;
    [FieldOffset(28)] public ushort Mode;
    [FieldOffset(32)] public ulong Inode;
    [FieldOffset(40)] public ulong Size;
    [FieldOffset(136)] public uint DeviceMajor;
    [FieldOffset(140)] public uint DeviceMinor;

    public const ushort TypeMask = 0xF000;
    public const ushort TypeDirectory = 0x4000;
    public const ushort TypeRegular = 0x8000;
    public const ushort TypeSymbolicLink = 0xA000;

    public readonly bool IsDirectory => (Mode & TypeMask) == TypeDirectory;
    public readonly bool IsRegularFile => (Mode & TypeMask) == TypeRegular;
    public readonly bool IsSymbolicLink => (Mode & TypeMask) == TypeSymbolicLink;

    /// <summary>The same file: device and inode.</summary>
    public readonly bool SameFile(in FileStatus other) =>
        Inode == other.Inode && DeviceMajor == other.DeviceMajor && DeviceMinor == other.DeviceMinor;
}
