namespace NodeMesh.Cli.Tests;

public class FontTests
{
    [Fact]
    public void Without_fonts_the_user_is_warned_once_and_with_fonts_not_at_all()
    {
        var err = new StringWriter();
        Assert.False(Fonts.WarnIfMissing(err, families: 3));
        Assert.Equal("", err.ToString());
        Assert.True(Fonts.WarnIfMissing(err, families: 0));
        Assert.False(Fonts.WarnIfMissing(err, families: 0));
        Assert.Single(err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("no font found", err.ToString());
    }
}
