using Sandboxer.Interop;

namespace Sandboxer.Tests.Interop;

public class ProcessImageTests
{
    [Fact]
    public void Close_range_marks_an_inheritable_descriptor_close_on_exec()
    {
        AssertMarked(ProcessImage.CloseOnExecFrom);
    }

    [Fact]
    public void The_fallback_for_kernels_before_5_11_marks_an_inheritable_descriptor_close_on_exec()
    {
        AssertMarked(ProcessImage.CloseOnExecByListing);
    }

    private static void AssertMarked(Action<int> mark)
    {
        using var handle = File.OpenHandle("/dev/null");
        int fd = (int)handle.DangerousGetHandle();
        Assert.Equal(0, Libc.SetCloseOnExec(fd, false));
        Assert.Equal(0, Libc.IsCloseOnExec(fd, out bool before));
        Assert.False(before);

        // Everything from fd up: in this test host that touches only descriptors .NET already opens close-on-exec.
        mark(fd);

        Assert.Equal(0, Libc.IsCloseOnExec(fd, out bool after));
        Assert.True(after, $"descriptor {fd} would leak into bwrap");
    }
}
