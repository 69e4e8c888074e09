
namespace Seedream.Core.Tests.Units;

public class InputImageTests
{
    [Theory]
    [InlineData("https://example.com/a.png")]
    [InlineData("http://127.0.0.1:8080/files/x/y.png?sig=1")]
    [InlineData("  https://example.com/a.png  ")]
    [InlineData("HTTPS://EXAMPLE.COM/A.PNG")]
    [InlineData("data:image/png;base64,iVBORw0KGgo=")]
    [InlineData("DATA:image/jpeg;base64,/9j/4AAQ")]
    [InlineData("data:;base64,AAAA")]          // media type may be omitted
    [InlineData("data:image/png;base64,AA==")]
    public void Accepts_sendable_references(string url)
    {
        Assert.Null(InputImage.CheckUrl(url));
    }

    [Theory]
    [InlineData(null, "ImageUrlInvalid")]
    [InlineData("   ", "ImageUrlInvalid")]
    [InlineData("not a url", "ImageUrlInvalid")]
    [InlineData("images/a.png", "ImageUrlInvalid")]
    [InlineData("http://", "ImageUrlInvalid")]
    [InlineData("ftp://example.com/a.png", "ImageUrlSchemeUnsupported")]
    [InlineData("file:///etc/passwd", "ImageUrlSchemeUnsupported")]
    [InlineData("s3://bucket/a.png", "ImageUrlSchemeUnsupported")]
    [InlineData("data:image/png;base64", "DataUriInvalid")]          // no comma
    [InlineData("data:image/png,rawbytes", "DataUriInvalid")]        // not base64
    [InlineData("data:png;base64,AAAA", "DataUriInvalid")]           // not type/subtype
    [InlineData("data:image/png;base64,", "DataUriInvalid")]         // no data
    [InlineData("data:image/png;base64,AAA", "DataUriInvalid")]      // length not a multiple of 4
    [InlineData("data:image/png;base64,AA A", "DataUriInvalid")]     // space
    [InlineData("data:image/png;base64,AA-_", "DataUriInvalid")]     // base64url alphabet
    [InlineData("data:image/png;base64,A===", "DataUriInvalid")]     // three padding characters
    [InlineData("data:image/png;base64,=AAA", "DataUriInvalid")]
    [InlineData("data:image/png;base64,AA=A", "DataUriInvalid")]     // data after padding
    public void Rejects_with_a_stable_code(string? url, string code)
    {
        var problem = InputImage.CheckUrl(url);
        Assert.NotNull(problem);
        Assert.Equal(code, problem!.Value.Code);
        Assert.False(string.IsNullOrWhiteSpace(problem.Value.Message));
    }

    [Theory]
    [InlineData("x,AAAA")]
    [InlineData("data,AAAA")]
    [InlineData("dat")]
    public void CheckDataUri_reports_non_data_uris_instead_of_throwing(string text)
    {
        var problem = InputImage.CheckDataUri(text);
        Assert.Equal("DataUriInvalid", problem?.Code);
    }

    [Fact]
    public void A_long_url_is_shortened_in_the_message()
    {
        var problem = InputImage.CheckUrl("nope " + new string('a', 5000));
        Assert.True(problem!.Value.Message.Length < 300);
    }

    [Theory]
    [InlineData("https://x/y.png", true)]
    [InlineData("data:image/png;base64,AAAA", true)]
    [InlineData("s3://bucket/key", true)]
    [InlineData("C:\\images\\a.png", false)]
    [InlineData("C://images/a.png", false)] // a drive letter, not a scheme
    [InlineData("./a.png", false)]
    [InlineData("/tmp/a.png", false)]
    [InlineData("a.png", false)]
    [InlineData("1ab://x", false)]
    public void Tells_urls_from_paths(string text, bool isUrl)
    {
        Assert.Equal(isUrl, InputImage.LooksLikeUrl(text));
    }
}
