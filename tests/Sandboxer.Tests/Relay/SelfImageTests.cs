using Sandboxer.Relay;
using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Relay;

public class SelfImageTests
{
    [Fact]
    public void Executable_mappings_are_the_files_mapped_with_x_once_each()
    {
        const string maps = """
            55d0 r--p 00000000 08:01 1 /usr/local/bin/sandboxer
            55d1 r-xp 00001000 08:01 1 /usr/local/bin/sandboxer
            7f00 r--p 00000000 08:01 2 /usr/lib/locale/C.utf8/LC_CTYPE
            7f01 r-xp 00028000 08:01 3 /usr/lib/x86_64-linux-gnu/libc.so.6
            7f02 r-xp 00000000 00:05 4 /dev/zero (deleted)
            7f03 r-xp 00000000 00:00 0 [vdso]
            7f04 r-xp 00001000 08:01 5 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
            """;
        Assert.Equal(["/usr/local/bin/sandboxer", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"],
            SelfImage.ExecutableMappings(maps));
    }

    [Fact]
    public void Interpreter_is_null_for_a_script_and_names_the_loader_of_a_dynamic_program()
    {
        string script = Path.Combine(Path.GetTempPath(), $"sandboxer-script-{Environment.ProcessId}");
        File.WriteAllText(script, "#!/bin/sh\n");
        try
        {
            Assert.Null(SelfImage.Interpreter(script));
        }
        finally
        {
            File.Delete(script);
        }
        Assert.Equal(Sandboxer.Elf.ElfFile.Read(Published.Binary).Interpreter, SelfImage.Interpreter(Published.Binary));
    }
}
