using System.Text.RegularExpressions;
using Sandboxer.Seccomp;

namespace Sandboxer.Tests.Seccomp;

/// <summary>
/// The syscall numbers (from libseccomp's table) against the kernel's own headers, as Debian's
/// linux-libc-dev installs them for both architectures: a wrong number would allow or deny
/// another call than the profile names. Host run only: the sid tree has no headers.
/// </summary>
public sealed partial class SyscallHeaderTests
{
    [GeneratedRegex(@"^#define __NR_(\w+)\s+(\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex Define();

    public static TheoryData<string, string> Headers => new()
    {
        { "x86_64", "/usr/include/x86_64-linux-gnu/asm/unistd_64.h" },
        // aarch64 takes the generic table; its 64-bit names are the plain __NR_ ones read here.
        { "aarch64", "/usr/include/asm-generic/unistd.h" },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void Every_number_the_kernel_headers_give_is_the_tables(string architecture, string header)
    {
        var table = architecture == "x86_64" ? SyscallTable.X86_64 : SyscallTable.Aarch64;
        Assert.True(File.Exists(header), $"{header} is missing: build/deps.sh installs linux-libc-dev");
        var compared = new List<string>();
        var wrong = new List<string>();
        foreach (Match define in Define().Matches(File.ReadAllText(header)))
        {
            string name = define.Groups[1].Value;
            int number = int.Parse(define.Groups[2].Value);
            // Names only 32-bit or optional ABIs use (sync_file_range2...) are not in a 64-bit table.
            if (table.Number(name) is not (int ours and >= 0))
                continue;
            compared.Add(name);
            if (ours != number)
                wrong.Add($"{name}: header {number}, table {ours}");
        }
        Assert.Empty(wrong);
        Assert.True(compared.Count > 250, $"only {compared.Count} of {header}'s calls were compared");
    }
}
