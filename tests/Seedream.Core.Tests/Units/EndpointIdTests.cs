
namespace Seedream.Core.Tests.Units;

public class EndpointIdTests
{
    [Fact]
    public void Seedream_id_splits_into_owner_alias_and_path()
    {
        var id = EndpointId.Parse(EndpointId.SeedreamV5LiteEdit);
        Assert.Null(id.Namespace);
        Assert.Equal("fal-ai", id.Owner);
        Assert.Equal("bytedance", id.Alias);
        Assert.Equal("seedream/v5/lite/edit", id.Path);
        // Submit uses everything; status/result/cancel only owner/alias.
        Assert.Equal("fal-ai/bytedance/seedream/v5/lite/edit", id.Full);
        Assert.Equal("fal-ai/bytedance", id.AppId);
        Assert.Equal(id.Full, id.ToString());
    }

    [Fact]
    public void Two_segments_have_no_path()
    {
        var id = EndpointId.Parse("fal-ai/flux");
        Assert.Null(id.Path);
        Assert.Equal("fal-ai/flux", id.Full);
        Assert.Equal("fal-ai/flux", id.AppId);
    }

    [Theory]
    [InlineData("workflows/alice/my-flow", "workflows", "alice", "my-flow", null)]
    [InlineData("comfy/bob/graph/run/v2", "comfy", "bob", "graph", "run/v2")]
    public void Namespaces_take_the_next_two_segments_as_owner_and_alias(string text, string ns, string owner, string alias, string? path)
    {
        var id = EndpointId.Parse(text);
        Assert.Equal(ns, id.Namespace);
        Assert.Equal(owner, id.Owner);
        Assert.Equal(alias, id.Alias);
        Assert.Equal(path, id.Path);
        Assert.Equal($"{ns}/{owner}/{alias}", id.AppId);
        Assert.Equal(text, id.Full);
    }

    [Fact]
    public void Legacy_numeric_owner_is_rewritten()
    {
        var id = EndpointId.Parse("123-my_app");
        Assert.Equal("123", id.Owner);
        Assert.Equal("my_app", id.Alias);
        Assert.Equal("123/my_app", id.Full);
        Assert.Equal("123/my_app", id.AppId);
    }

    [Fact]
    public void Surrounding_slashes_and_spaces_are_tolerated()
    {
        Assert.Equal("fal-ai/bytedance/seedream/v5/lite/edit", EndpointId.Parse("  /fal-ai/bytedance/seedream/v5/lite/edit/ ").Full);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("single")]
    [InlineData("abc-def")]            // not numeric: not a legacy id
    [InlineData("https://queue.fal.run/fal-ai/flux")]
    [InlineData("fal-ai/flux?x=1")]
    [InlineData("fal-ai/flux#frag")]
    [InlineData("fal-ai/fl ux")]
    [InlineData("fal-ai\\flux")]
    [InlineData("fal-ai//flux")]       // empty segment
    [InlineData("fal-ai/../flux")]     // dot segment would move the URL path
    [InlineData("fal-ai/-flux")]
    [InlineData("workflows/alice")]    // namespace without alias
    [InlineData("comfy")]
    public void Malformed_ids_are_rejected(string text)
    {
        Assert.False(EndpointId.TryParse(text, out var id, out var error));
        Assert.Null(id);
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.Throws<FormatException>(() => EndpointId.Parse(text));
    }

    [Fact]
    public void Null_is_rejected_without_throwing()
    {
        Assert.False(EndpointId.TryParse(null, out _, out var error));
        Assert.Contains("empty", error);
    }

    [Fact]
    public void Equality_is_by_full_id()
    {
        Assert.Equal(EndpointId.Parse("/fal-ai/bytedance/seedream/v5/lite/edit"), EndpointId.Parse(EndpointId.SeedreamV5LiteEdit));
        Assert.Equal(EndpointId.Parse("a/b/c").GetHashCode(), EndpointId.Parse("a/b/c/").GetHashCode());
        Assert.NotEqual(EndpointId.Parse("a/b/c"), EndpointId.Parse("a/b/d"));
        // Same app, different path: different endpoints.
        Assert.NotEqual(EndpointId.Parse("a/b"), EndpointId.Parse("a/b/c"));
    }
}
