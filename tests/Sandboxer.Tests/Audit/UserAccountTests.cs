using Sandboxer.Audit;

namespace Sandboxer.Tests.Audit;

public class UserAccountTests
{
    private const string Passwd = "root:x:0:0:root:/root:/bin/sh\n# comment\ntor:x:100:101::/var/lib/tor:/sbin/nologin\n";
    private const string Group = "root:x:0:\ntor:x:101:\nssl:x:200:other,tor\nwheel:x:10:root\n";

    [Fact]
    public void A_user_gets_its_primary_group_and_every_group_that_lists_it()
    {
        Assert.Equal(("tor", 100u, 101u, "101,200"), Parts(UserAccount.Find("tor", Passwd, Group)));
    }

    [Fact]
    public void A_group_after_a_colon_replaces_the_primary_one_as_command_user_does()
    {
        Assert.Equal(("tor", 100u, 200u, "200"), Parts(UserAccount.Find("tor:ssl", Passwd, Group)));
        Assert.Equal(("tor", 100u, 7u, "7,200"), Parts(UserAccount.Find("tor:7", Passwd, Group)));
    }

    [Fact]
    public void A_number_not_in_passwd_is_taken_as_a_uid()
    {
        Assert.Equal(("4242", 4242u, 4242u, "4242"), Parts(UserAccount.Find("4242", Passwd, Group)));
    }

    [Theory]
    [InlineData("nobody")]
    [InlineData("tor:nogroup")]
    public void An_unknown_user_or_group_is_a_usage_error(string spec)
    {
        Assert.Equal(ExitCodes.Usage, Assert.Throws<SandboxerException>(() => UserAccount.Find(spec, Passwd, Group)).ExitCode);
    }

    private static (string, uint, uint, string) Parts(UserAccount a) => (a.Name, a.Uid, a.Gid, string.Join(',', a.Groups));
}
