using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Xunit;

namespace Seedream.Emulator.Tests;

public class StorageTests
{
    private const string Initiate = "https://rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3";
    private const string InitiateMultipart = "https://rest.fal.ai/storage/upload/initiate-multipart?storage_type=fal-cdn-v3";
    private const string CompleteMultipart = "https://rest.fal.ai/storage/upload/complete-multipart?storage_type=fal-cdn-v3";

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Single upload as the JS client does it; returns file_url.</summary>
    internal static async Task<string> UploadAsync(Harness h, byte[] content, string contentType, string fileName)
    {
        var (uploadUrl, fileUrl) = await InitiateAsync(h, Initiate, contentType, fileName);
        using var put = new HttpRequestMessage(HttpMethod.Put, uploadUrl) { Content = new ByteArrayContent(content) };
        put.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await h.Http.SendAsync(put);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return fileUrl;
    }

    private static async Task<(string UploadUrl, string FileUrl)> InitiateAsync(Harness h, string target, string contentType, string fileName, Action<HttpRequestMessage>? configure = null)
    {
        using var response = await h.ProxyAsync(HttpMethod.Post, target,
            JsonSerializer.Serialize(new { content_type = contentType, file_name = fileName }), configure);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return (body.GetProperty("upload_url").GetString()!, body.GetProperty("file_url").GetString()!);
    }

    private static async Task<List<(int PartNumber, string ETag)>> PutPartsAsync(Harness h, string uploadUrl, byte[] content, int partSize)
    {
        var parsed = new Uri(uploadUrl);
        var parts = new List<(int, string)>();
        for (int offset = 0, n = 1; offset < content.Length; offset += partSize, n++)
        {
            var partUrl = $"{parsed.GetLeftPart(UriPartial.Path)}/{n}{parsed.Query}";
            using var put = new HttpRequestMessage(HttpMethod.Put, partUrl)
            {
                Content = new ByteArrayContent(content, offset, Math.Min(partSize, content.Length - offset)),
            };
            using var response = await h.Http.SendAsync(put);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(n, body.GetProperty("partNumber").GetInt32());
            parts.Add((n, body.GetProperty("etag").GetString()!));
        }

        return parts;
    }

    private static string PartsJson(IEnumerable<(int PartNumber, string ETag)> parts) =>
        JsonSerializer.Serialize(new { parts = parts.Select(p => new { partNumber = p.PartNumber, etag = p.ETag }) });

    [Fact]
    public async Task Single_upload_round_trip_serves_the_same_bytes_with_its_content_type()
    {
        await using var h = await Harness.StartAsync();
        var content = RandomBytes(3 * 1024 * 1024 + 17, 1);
        var (uploadUrl, fileUrl) = await InitiateAsync(h, Initiate, "application/x-test", "data file.bin",
            r => r.Headers.TryAddWithoutValidation("X-Fal-Object-Lifecycle", "{\"expiration_duration_seconds\":3600}"));
        Assert.StartsWith(h.Emulator.BaseUrl.ToString(), uploadUrl);
        Assert.StartsWith(h.Emulator.BaseUrl + "files/", fileUrl);
        Assert.EndsWith("/data%20file.bin", fileUrl);

        // Before the PUT the file does not exist yet.
        using (var early = await h.Http.GetAsync(fileUrl)) Assert.Equal(HttpStatusCode.NotFound, early.StatusCode);

        using (var put = new HttpRequestMessage(HttpMethod.Put, uploadUrl) { Content = new ByteArrayContent(content) })
        {
            put.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-test");
            using var response = await h.Http.SendAsync(put);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var get = await h.Http.GetAsync(fileUrl);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("application/x-test", get.Content.Headers.ContentType!.MediaType);
        Assert.Equal(content.Length, get.Content.Headers.ContentLength);
        Assert.Equal(content, await get.Content.ReadAsByteArrayAsync());

        var fileId = new Uri(fileUrl).Segments[2].TrimEnd('/');
        var meta = JsonDocument.Parse(await h.Http.GetStringAsync(new Uri(h.Emulator.BaseUrl, "_emulator/files/" + fileId))).RootElement;
        Assert.Equal("{\"expiration_duration_seconds\":3600}", meta.GetProperty("objectLifecycle").GetString());
        Assert.Equal(content.Length, meta.GetProperty("size").GetInt64());

        var stats = h.Emulator.GetStats();
        Assert.Equal(1, stats.Uploads);
        Assert.Equal(1, stats.UploadsWithLifecycle);
        Assert.Equal(1, stats.RequestsByRoute["storage.initiate"]);
        Assert.Equal(1, stats.RequestsByRoute["storage.put"]);
        Assert.Equal(0, stats.DirectRequestsWithAuthorization);
    }

    [Fact]
    public async Task Multipart_upload_round_trip_assembles_parts_of_any_size()
    {
        await using var h = await Harness.StartAsync();
        var content = RandomBytes(5 * 1024 * 1024 + 3, 2);
        var (uploadUrl, fileUrl) = await InitiateAsync(h, InitiateMultipart, "video/mp4", "clip.mp4",
            r => r.Headers.TryAddWithoutValidation("x-fal-object-lifecycle-preference", "{\"expiration_duration_seconds\":60}"));
        var parts = await PutPartsAsync(h, uploadUrl, content, 2 * 1024 * 1024); // 2 MB, 2 MB, 1 MB + 3

        var parsed = new Uri(uploadUrl);
        using var complete = await h.Http.PostAsync($"{parsed.GetLeftPart(UriPartial.Path)}/complete{parsed.Query}",
            new StringContent(PartsJson(parts), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, complete.StatusCode);
        Assert.Equal(fileUrl, JsonDocument.Parse(await complete.Content.ReadAsStringAsync()).RootElement.GetProperty("file_url").GetString());

        using var get = await h.Http.GetAsync(fileUrl);
        Assert.Equal("video/mp4", get.Content.Headers.ContentType!.MediaType);
        Assert.Equal(content, await get.Content.ReadAsByteArrayAsync());

        var stats = h.Emulator.GetStats();
        Assert.Equal(1, stats.MultipartUploads);
        Assert.Equal(3, stats.UploadParts);
        Assert.Equal(1, stats.UploadsWithLifecycle);
        Assert.Equal(3, stats.RequestsByRoute["storage.part"]);
        Assert.Equal(1, stats.RequestsByRoute["storage.complete"]);
    }

    [Fact]
    public async Task Complete_multipart_on_the_rest_host_takes_upload_url_and_parts()
    {
        await using var h = await Harness.StartAsync();
        var content = RandomBytes(1024 * 1024 + 5, 3);
        var (uploadUrl, fileUrl) = await InitiateAsync(h, InitiateMultipart, "application/octet-stream", "blob.bin");
        var parts = await PutPartsAsync(h, uploadUrl, content, 512 * 1024);
        var body = JsonSerializer.Serialize(new { upload_url = uploadUrl, parts = parts.Select(p => new { partNumber = p.PartNumber, etag = p.ETag }) });
        using var response = await h.ProxyAsync(HttpMethod.Post, CompleteMultipart, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(content, await h.Http.GetByteArrayAsync(fileUrl));
    }

    [Fact]
    public async Task Complete_rejects_wrong_etags_wrong_order_and_missing_parts()
    {
        await using var h = await Harness.StartAsync();
        var content = RandomBytes(300_000, 4);
        var (uploadUrl, fileUrl) = await InitiateAsync(h, InitiateMultipart, "application/octet-stream", "x.bin");
        var parts = await PutPartsAsync(h, uploadUrl, content, 100_000);
        var parsed = new Uri(uploadUrl);
        var completeUrl = $"{parsed.GetLeftPart(UriPartial.Path)}/complete{parsed.Query}";

        var attempts = new[]
        {
            PartsJson(parts.Select(p => p.PartNumber == 2 ? (p.PartNumber, "0000") : p)),
            PartsJson(new[] { parts[1], parts[0], parts[2] }),
            PartsJson(parts.Append((7, "abc"))),
            "{\"parts\":[]}",
        };
        foreach (var attempt in attempts)
        {
            using var response = await h.Http.PostAsync(completeUrl, new StringContent(attempt, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("bad_request", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error_type").GetString());
        }

        using (var missing = await h.Http.GetAsync(fileUrl)) Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        // The upload is still open: the right list completes it.
        using var ok = await h.Http.PostAsync(completeUrl, new StringContent(PartsJson(parts), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(content, await h.Http.GetByteArrayAsync(fileUrl));
    }

    [Fact]
    public async Task Upload_urls_need_their_signature_query()
    {
        await using var h = await Harness.StartAsync();
        var (uploadUrl, _) = await InitiateAsync(h, Initiate, "text/plain", "a.txt");
        var withoutQuery = new Uri(uploadUrl).GetLeftPart(UriPartial.Path);
        using var response = await h.Http.PutAsync(withoutQuery, new ByteArrayContent(new byte[] { 1, 2, 3 }));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Direct_requests_carrying_an_authorization_header_are_counted()
    {
        await using var h = await Harness.StartAsync(requireKey: "secret-key");
        var fileUrl = await UploadAsync(h, new byte[] { 1, 2, 3 }, "application/octet-stream", "a.bin");
        Assert.Equal(0, h.Emulator.GetStats().DirectRequestsWithAuthorization);

        using var leaky = new HttpRequestMessage(HttpMethod.Get, fileUrl);
        leaky.Headers.TryAddWithoutValidation("Authorization", "Key secret-key");
        using var response = await h.Http.SendAsync(leaky);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // direct routes never need (or check) a key
        Assert.Equal(1, h.Emulator.GetStats().DirectRequestsWithAuthorization);
    }

    [Fact]
    public async Task Tokens_endpoint_answers_a_json_string()
    {
        await using var h = await Harness.StartAsync();
        using var response = await h.ProxyAsync(HttpMethod.Post, "https://rest.alpha.fal.ai/tokens/",
            "{\"allowed_apps\":[\"bytedance\"],\"token_expiration\":120}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var token = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(JsonValueKind.String, token.ValueKind);
        Assert.False(string.IsNullOrEmpty(token.GetString()));
        Assert.Equal(1, h.Emulator.GetStats().RequestsByRoute["tokens"]);
    }
}
