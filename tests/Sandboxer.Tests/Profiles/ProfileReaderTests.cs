using Sandboxer.Tests.Support;

namespace Sandboxer.Tests.Profiles;

public class ProfileReaderTests
{
    private const string Command = "command = \"/bin/d\"\n";

    [Fact]
    public void Unknown_key_is_rejected_with_its_line_column_and_a_suggestion()
    {
        var e = Toml.Error("", Command + "[sandbox]\nshare-net = true\nbnid = [\"/x\"]\n");
        Assert.Equal("/etc/sandboxer/svc.toml:4:1: sandbox.bnid: unknown key (did you mean \"bind\"?)", e.Message);
    }

    [Fact]
    public void Unknown_top_level_key_is_rejected()
    {
        var e = Toml.Error("", Command + "comand = \"/bin/x\"\n");
        Assert.Equal("/etc/sandboxer/svc.toml:2:1: comand: unknown key (did you mean \"command\"?)", e.Message);
    }

    [Fact]
    public void Unknown_key_inside_a_bind_table_is_rejected()
    {
        var e = Toml.Error("", Command + "[sandbox]\nbind = [{ from = \"/a\", too = \"/b\" }]\n");
        Assert.Equal("/etc/sandboxer/svc.toml:3:24: sandbox.bind[0].too: unknown key (did you mean \"to\"?)", e.Message);
    }

    [Fact]
    public void Unknown_key_in_the_hub_names_the_hub()
    {
        var e = Toml.Error("[sandbox]\nunshare-everything = true\n", Command);
        Assert.StartsWith("/etc/sandboxer/defaults.toml:2:1: sandbox.unshare-everything: unknown key", e.Message);
    }

    [Fact]
    public void Toml_syntax_error_names_file_line_and_column()
    {
        var e = Toml.Error("", Command + "[sandbox\n");
        Assert.Matches(@"^/etc/sandboxer/svc\.toml:2:\d+: invalid TOML: ", e.Message);
    }

    [Fact]
    public void A_key_given_twice_is_rejected()
    {
        var e = Toml.Error("", Command + "[sandbox]\nshare-net = true\nshare-net = false\n");
        Assert.StartsWith("/etc/sandboxer/svc.toml:4:", e.Message);
    }

    [Theory]
    [InlineData("share-net = \"yes\"", "3:13: sandbox.share-net: must be true or false, not a string")]
    [InlineData("hostname = 5", "3:12: sandbox.hostname: must be a string, not an integer")]
    [InlineData("bind = [5]", "3:9: sandbox.bind[0]: must be a string, not an integer")]
    [InlineData("uid = \"root\"", "3:7: sandbox.uid: must be an integer, not a string")]
    [InlineData("setenv = [\"A=1\"]", "3:10: sandbox.setenv: must be a table of NAME = \"value\", not an array")]
    [InlineData("tmpfs = [{ path = \"/run\", perms = \"755x\" }]", "3:35: sandbox.tmpfs[0].perms: \"755x\" must be an octal mode in a string, such as \"0755\"")]
    [InlineData("tmpfs = [{ path = \"/run\", size = 0 }]", "3:34: sandbox.tmpfs[0].size: must be a positive number of bytes")]
    [InlineData("cap-add = [\"CAP_NET_BIND\"]", "3:12: sandbox.cap-add[0]: unknown capability \"CAP_NET_BIND\" (did you mean \"CAP_NET_BIND_SERVICE\"?)")]
    public void Wrong_type_is_rejected_at_the_value(string line, string expected)
    {
        var e = Toml.Error("", Command + "[sandbox]\n" + line + "\n");
        Assert.Equal("/etc/sandboxer/svc.toml:" + expected, e.Message);
    }

    [Theory]
    [InlineData("ro-bind = [\"usr/lib\"]", "3:12: sandbox.ro-bind[0]: \"usr/lib\" must be an absolute path")]
    [InlineData("bind = [{ from = \"/a\", to = \"data\" }]", "3:29: sandbox.bind[0].to: \"data\" must be an absolute path")]
    [InlineData("chdir = \"data\"", "3:9: sandbox.chdir: \"data\" must be an absolute path")]
    [InlineData("tmpfs = [\"/a/../etc\"]", "3:10: sandbox.tmpfs[0]: \"/a/../etc\": \"..\" is not allowed in a path inside the sandbox")]
    public void Relative_path_where_an_absolute_one_is_needed_is_rejected(string line, string expected)
    {
        var e = Toml.Error("", Command + "[sandbox]\n" + line + "\n");
        Assert.Equal("/etc/sandboxer/svc.toml:" + expected, e.Message);
    }

    [Fact]
    public void Relative_command_is_rejected()
    {
        var e = Toml.Error("", "command = \"monerod\"\n");
        Assert.Equal("/etc/sandboxer/svc.toml:1:11: command: \"monerod\" must be an absolute path", e.Message);
    }

    [Fact]
    public void Relative_bwrap_is_rejected_so_path_is_never_searched()
    {
        var e = Toml.Error("bwrap = \"bwrap\"\n", Command);
        Assert.Equal("/etc/sandboxer/defaults.toml:1:9: bwrap: \"bwrap\" must be an absolute path", e.Message);
    }

    [Fact]
    public void Missing_command_is_rejected_naming_the_services_file()
    {
        var e = Toml.Error("", "[sandbox]\nshare-net = true\n");
        Assert.StartsWith("/etc/sandboxer/svc.toml:1:1: command: missing", e.Message);
    }

    [Fact]
    public void Command_in_the_hub_is_rejected()
    {
        var e = Toml.Error("command = \"/bin/sh\"\n", Command);
        Assert.StartsWith("/etc/sandboxer/defaults.toml:1:1: command: belongs in a service's profile", e.Message);
    }

    [Fact]
    public void Descriptor_options_are_refused_with_the_reason()
    {
        var e = Toml.Error("", Command + "[sandbox]\nseccomp = 3\n");
        Assert.Equal("/etc/sandboxer/svc.toml:3:1: sandbox.seccomp: takes a file descriptor, which a profile cannot give", e.Message);
    }

    [Fact]
    public void Two_mounts_on_one_destination_in_one_file_are_rejected()
    {
        var e = Toml.Error("", Command + "[sandbox]\nro-bind = [\"/usr/lib\"]\nbind = [\"/usr/lib/\"]\n");
        Assert.Equal("/etc/sandboxer/svc.toml:4:9: sandbox.bind[0]: /usr/lib is already a mount destination at line 3; one file may mount a path once", e.Message);
    }

    [Fact]
    public void Symlink_as_a_plain_string_is_rejected()
    {
        var e = Toml.Error("", Command + "[sandbox]\nsymlink = \"/lib\"\n");
        Assert.StartsWith("/etc/sandboxer/svc.toml:3:11: sandbox.symlink: must be { from = \"target\", to = \"/link\" }", e.Message);
    }

    [Fact]
    public void Hostname_without_a_uts_namespace_is_rejected()
    {
        var e = Toml.Error("[sandbox]\nhostname = \"host\"\n", Command);
        Assert.Equal("/etc/sandboxer/defaults.toml:2:12: sandbox.hostname: needs its own UTS namespace: set unshare-uts or unshare-all", e.Message);
    }

    [Fact]
    public void A_capability_both_added_and_dropped_is_rejected()
    {
        var e = Toml.Error("[sandbox]\ncap-drop = [\"CAP_NET_RAW\"]\n", Command + "[sandbox]\ncap-add = [\"CAP_NET_RAW\"]\n");
        Assert.Equal("/etc/sandboxer/svc.toml:3:12: sandbox.cap-add: CAP_NET_RAW is also dropped: a capability is either added or dropped", e.Message);
    }

    [Fact]
    public void Nul_in_a_string_is_rejected()
    {
        var e = Toml.Error("", Command + "args = [\"a\\u0000b\"]\n");
        Assert.Equal("/etc/sandboxer/svc.toml:2:9: args: must not contain a NUL character", e.Message);
    }

    [Fact]
    public void Dotted_keys_and_headers_fold_into_one_table()
    {
        var argv = Toml.Compose("sandbox.unshare-all = true\n", Command + "[sandbox]\nshare-net = true\n");
        Assert.Equal(["/usr/bin/bwrap", "--unshare-all", "--share-net", "/bin/d"], argv);
    }

    [Fact]
    public void Arrays_of_tables_are_rejected()
    {
        var e = Toml.Error("", Command + "[[sandbox]]\n");
        Assert.StartsWith("/etc/sandboxer/svc.toml:2:1: [[sandbox]]: arrays of tables", e.Message);
    }
}
