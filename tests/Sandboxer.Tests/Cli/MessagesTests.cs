namespace Sandboxer.Tests.Cli;

public class MessagesTests
{
    [Theory]
    [InlineData("plain /etc/x.toml: é€", "plain /etc/x.toml: é€")]
    [InlineData("key\u001b[31mred", "key\\x1b[31mred")]
    [InlineData("a\rb\nc\td\u007f", "a\\rb\\nc\\td\\x7f")]
    [InlineData("c1\u009b2J", "c1\\x9b2J")]
    [InlineData("bidi\u202eevil", "bidi\\u202eevil")]
    public void Control_characters_are_shown_as_escapes(string text, string shown)
    {
        Assert.Equal(shown, Messages.Visible(text));
    }
}
