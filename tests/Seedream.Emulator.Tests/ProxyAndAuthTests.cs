using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading.Tasks;
using Xunit;

namespace Seedream.Emulator.Tests;

public class ProxyAndAuthTests
{
    private const string Input = """{"prompt":"x","image_urls":["data:image/png;base64,iVBORw0KGgo="]}""";

    [Fact]
    public async Task Missing_key_is_401_unauthorized()
    {
        await using var h = await Harness.StartAsync(requireKey: "k1");
        h.Key = null;
        using var response = await h.ProxyAsync(HttpMethod.Post, Harness.QueueBase + Harness.Endpoint, Input);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Invalid or missing API key", body.GetProperty("detail").GetString());
        // fal documents no error_type for a 401: detail only, no X-Fal-Error-Type.
        Assert.False(body.TryGetProperty("error_type", out _));
        Assert.False(response.Headers.Contains("X-Fal-Error-Type"));
        var stats = h.Emulator.GetStats();
        Assert.Equal(1, stats.Unauthorized);
        Assert.Equal(0, stats.Submitted);
    }

    [Fact]
    public async Task Wrong_key_is_401_on_every_fal_host()
    {
        await using var h = await Harness.StartAsync(requireKey: "k1");
        h.Key = "k2";
        foreach (var target in new[] { Harness.QueueBase + Harness.Endpoint, "https://fal.run/" + Harness.Endpoint, "https://rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3" })
        {
            using var response = await h.ProxyAsync(HttpMethod.Post, target, Input);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        Assert.Equal(3, h.Emulator.GetStats().Unauthorized);
    }

    [Fact]
    public async Task Right_key_is_accepted_whatever_the_header_and_scheme_case()
    {
        await using var h = await Harness.StartAsync(requireKey: "id:secret");
        h.Key = null;
        using var response = await h.ProxyAsync(HttpMethod.Post, Harness.QueueBase + Harness.Endpoint, Input,
            r => r.Headers.TryAddWithoutValidation("authorization", "key id:secret"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, h.Emulator.GetStats().Submitted);
        Assert.Equal(0, h.Emulator.GetStats().Unauthorized);
    }

    [Theory]
    [InlineData("https://api.openai.com/v1/chat")]
    [InlineData("https://fal.run.evil.com/fal-ai/x")]
    [InlineData("https://v3.fal.media/files/upload")]
    public async Task Disallowed_target_host_is_403(string target)
    {
        await using var h = await Harness.StartAsync();
        using var response = await h.ProxyAsync(HttpMethod.Post, target, Input);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Target URL is not allowed", body.GetProperty("detail").GetString());
        Assert.Equal("bad_request", body.GetProperty("error_type").GetString());
    }

    [Fact]
    public async Task Missing_target_header_is_400()
    {
        await using var h = await Harness.StartAsync();
        using var response = await h.Http.PostAsync(h.Emulator.ProxyUrl, new StringContent(Input));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bad_request", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error_type").GetString());
    }

    [Fact]
    public async Task Target_header_name_is_case_insensitive_and_urls_are_exposed()
    {
        await using var h = await Harness.StartAsync();
        Assert.Equal(new System.Uri(h.Emulator.BaseUrl, "api/fal/proxy"), h.Emulator.ProxyUrl);
        Assert.Equal("127.0.0.1", h.Emulator.BaseUrl.Host);
        using var request = new HttpRequestMessage(HttpMethod.Post, h.Emulator.ProxyUrl) { Content = new StringContent(Input) };
        request.Headers.TryAddWithoutValidation("X-Fal-Target-Url", Harness.QueueBase + Harness.Endpoint);
        using var response = await h.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Stats_route_serves_the_same_counters_as_GetStats()
    {
        await using var h = await Harness.StartAsync();
        using (await h.ProxyAsync(HttpMethod.Post, Harness.QueueBase + Harness.Endpoint, Input)) { }
        var json = JsonDocument.Parse(await h.Http.GetStringAsync(new System.Uri(h.Emulator.BaseUrl, "_emulator/stats"))).RootElement;
        foreach (var name in new[] { "submitted", "completed", "failed", "cancelled", "syncRuns", "inQueue", "inProgress", "maxConcurrentRunning",
                     "uploads", "multipartUploads", "uploadParts", "directRequestsWithAuthorization", "unauthorized" })
            Assert.Equal(JsonValueKind.Number, json.GetProperty(name).ValueKind);
        Assert.Equal(1, json.GetProperty("submitted").GetInt32());
        Assert.Equal(1, json.GetProperty("requestsByRoute").GetProperty("submit").GetInt32());
    }
}
