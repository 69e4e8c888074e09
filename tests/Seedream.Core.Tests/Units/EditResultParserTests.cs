
namespace Seedream.Core.Tests.Units;

public class EditResultParserTests
{
    private const string Rid = "0b6f8a44-6b8a-4d64-b9c3-9d1a1f1b2c3d";

    [Fact]
    public void Parses_a_full_result()
    {
        const string json = """
        {"images":[
            {"url":"https://v3b.fal.media/files/b/a.png","content_type":"image/png","file_name":"a.png","file_size":123456,"width":2560,"height":1440},
            {"url":"https://v3b.fal.media/files/b/b.png"}
         ],
         "seed":196619188014358660,
         "has_nsfw_concepts":[false,true],
         "timings":{"inference":1.25}}
        """;
        var r = EditResultParser.Parse(json, Rid, EndpointId.SeedreamV5LiteEdit, "make it blue");
        Assert.Equal(Rid, r.RequestId);
        Assert.Equal(EndpointId.SeedreamV5LiteEdit, r.Endpoint);
        Assert.Equal("make it blue", r.Prompt);
        Assert.Equal(196619188014358660L, r.Seed);
        Assert.Equal(json, r.RawJson);
        Assert.Equal(2, r.Images.Length);
        var a = r.Images[0];
        Assert.Equal(("https://v3b.fal.media/files/b/a.png", "image/png", "a.png", (long?)123456, (int?)2560, (int?)1440, 0, Rid),
            (a.Url, a.ContentType, a.FileName, a.FileSize, a.Width, a.Height, a.Index, a.RequestId));
        var b = r.Images[1];
        Assert.Equal(1, b.Index);
        Assert.Null(b.ContentType);
        Assert.Null(b.FileSize);
        Assert.Null(b.Width);
        Assert.False(b.IsDataUri);

        // Unknown output fields survive as plain values (schema drift).
        Assert.Equal(new[] { "has_nsfw_concepts", "timings" }, new List<string>(r.AdditionalProperties.Keys));
        Assert.Equal(new object?[] { false, true }, (object?[])r.AdditionalProperties["has_nsfw_concepts"]!);
        Assert.Equal(1.25, ((IDictionary<string, object?>)r.AdditionalProperties["timings"]!)["inference"]);
    }

    [Fact]
    public void Optional_fields_may_be_missing()
    {
        var r = EditResultParser.Parse("{\"images\":[]}", Rid, "a/b", null);
        Assert.Empty(r.Images);
        Assert.Null(r.Seed);
        Assert.Empty(r.AdditionalProperties);

        var empty = EditResultParser.Parse("{}", Rid, "a/b", null);
        Assert.Empty(empty.Images);
        Assert.Null(empty.Seed);
    }

    [Fact]
    public void Images_without_url_are_skipped_and_indexes_stay_dense()
    {
        var r = EditResultParser.Parse("{\"images\":[{\"width\":1},{\"url\":\"\"},{\"url\":\"data:image/png;base64,AAAA\",\"width\":-4,\"height\":99999999999}, 5]}", Rid, "a/b", null);
        var img = Assert.Single(r.Images);
        Assert.Equal(0, img.Index);
        Assert.True(img.IsDataUri);
        Assert.Null(img.Width);   // negative: not a size
        Assert.Null(img.Height);  // beyond int: not a size
    }

    [Theory]
    [InlineData("{\"seed\":null}", null)]
    [InlineData("{\"seed\":42}", 42L)]
    [InlineData("{\"seed\":\"7\"}", 7L)]
    [InlineData("{\"seed\":9223372036854775807}", long.MaxValue)]
    [InlineData("{\"seed\":9223372036854775808}", null)]   // does not fit: not silently clamped
    [InlineData("{\"seed\":-9223372036854775809}", null)]
    [InlineData("{\"seed\":1e30}", null)]
    public void Seed_is_read_as_a_64_bit_integer_or_not_at_all(string json, long? expected)
    {
        Assert.Equal(expected, EditResultParser.Parse(json, Rid, "a/b", null).Seed);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"images\":[")]
    [InlineData("")]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("{\"images\":{\"url\":\"x\"}}")]
    public void Unusable_bodies_are_protocol_errors(string json)
    {
        var ex = Assert.Throws<FalApiException>(() => EditResultParser.Parse(json, Rid, "a/b", null));
        Assert.Equal(FalErrorKind.Protocol, ex.Kind);
        Assert.Equal(Rid, ex.RequestId);
        Assert.Contains(Rid, ex.Message);
    }

    [Fact]
    public void Too_deep_json_is_a_protocol_error_not_a_crash()
    {
        var deep = "{\"x\":" + new string('[', 500) + new string(']', 500) + "}";
        Assert.Equal(FalErrorKind.Protocol, Assert.Throws<FalApiException>(() => EditResultParser.Parse(deep, Rid, "a/b", null)).Kind);
    }
}
