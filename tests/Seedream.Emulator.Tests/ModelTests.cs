using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Xunit;

namespace Seedream.Emulator.Tests;

/// <summary>Input validation and generated output of the emulated Seedream model.</summary>
public class ModelTests
{
    private static readonly string SmallImage = TestImages.DataUri(TestImages.Png(16, 16));

    private static JsonElement Detail(JsonElement body, params object[] loc)
    {
        var wanted = JsonSerializer.Serialize(new object[] { "body" }.Concat(loc));
        return body.GetProperty("detail").EnumerateArray().Single(d => d.GetProperty("loc").GetRawText().Replace(" ", "") == wanted);
    }

    [Fact]
    public async Task Validation_lists_every_problem_with_loc_msg_type_and_ctx()
    {
        await using var h = await Harness.StartAsync();
        var submit = await h.SubmitAsync(new Dictionary<string, object?>
        {
            ["prompt"] = "   ",
            ["image_size"] = "huge",
            ["num_images"] = 0,
            ["max_images"] = 7,
            ["seed"] = -1,
            ["sync_mode"] = "yes",
            ["enhance_prompt_mode"] = "slow",
            ["some_future_field"] = 1, // schema drift: ignored
        });
        var id = submit.GetProperty("request_id").GetString()!;
        var status = await h.WaitCompletedAsync(id);
        var (code, body, _) = await h.ResultAsync(id);
        Assert.Equal((HttpStatusCode)422, code);
        Assert.Equal(8, body.GetProperty("detail").GetArrayLength());

        var prompt = Detail(body, "prompt");
        Assert.Equal("string_too_short", prompt.GetProperty("type").GetString());
        Assert.Equal(1, prompt.GetProperty("ctx").GetProperty("min_length").GetInt32());
        Assert.Equal("missing", Detail(body, "image_urls").GetProperty("type").GetString());
        Assert.Equal("Field required", Detail(body, "image_urls").GetProperty("msg").GetString());
        var size = Detail(body, "image_size");
        Assert.Equal("literal_error", size.GetProperty("type").GetString());
        Assert.Contains("'auto_3K'", size.GetProperty("ctx").GetProperty("expected").GetString());
        Assert.Equal("huge", size.GetProperty("input").GetString());
        var num = Detail(body, "num_images");
        Assert.Equal("greater_than_equal", num.GetProperty("type").GetString());
        Assert.Equal(1, num.GetProperty("ctx").GetProperty("ge").GetInt32());
        var max = Detail(body, "max_images");
        Assert.Equal("less_than_equal", max.GetProperty("type").GetString());
        Assert.Equal(6, max.GetProperty("ctx").GetProperty("le").GetInt32());
        Assert.Equal("greater_than_equal", Detail(body, "seed").GetProperty("type").GetString());
        Assert.Equal(0, Detail(body, "seed").GetProperty("ctx").GetProperty("ge").GetInt32());
        Assert.Equal("bool_type", Detail(body, "sync_mode").GetProperty("type").GetString());
        Assert.Equal("literal_error", Detail(body, "enhance_prompt_mode").GetProperty("type").GetString());

        // The status carries the first problem.
        var first = body.GetProperty("detail")[0];
        Assert.Equal(first.GetProperty("msg").GetString(), status.GetProperty("error").GetString());
        Assert.Equal(first.GetProperty("type").GetString(), status.GetProperty("error_type").GetString());
        Assert.Equal(1, h.Emulator.GetStats().Failed);
    }

    [Fact]
    public async Task Validation_checks_types_custom_sizes_and_list_items()
    {
        await using var h = await Harness.StartAsync();
        var (code, body) = await h.RunQueuedAsync(new Dictionary<string, object?>
        {
            ["prompt"] = 5,
            ["image_urls"] = new object[] { SmallImage, 3 },
            ["image_size"] = new { width = 0, height = 20000 },
            ["num_images"] = 1.5,
            ["enable_safety_checker"] = "no",
        });
        Assert.Equal((HttpStatusCode)422, code);
        Assert.Equal("string_type", Detail(body, "prompt").GetProperty("type").GetString());
        Assert.Equal("string_type", Detail(body, "image_urls", 1).GetProperty("type").GetString());
        Assert.Equal("greater_than", Detail(body, "image_size", "width").GetProperty("type").GetString());
        var height = Detail(body, "image_size", "height");
        Assert.Equal("less_than_equal", height.GetProperty("type").GetString());
        Assert.Equal(14142, height.GetProperty("ctx").GetProperty("le").GetInt32());
        Assert.Equal("int_from_float", Detail(body, "num_images").GetProperty("type").GetString());
        Assert.Equal("bool_type", Detail(body, "enable_safety_checker").GetProperty("type").GetString());

        var (emptyCode, empty) = await h.RunQueuedAsync(new { prompt = "x", image_urls = Array.Empty<string>() });
        Assert.Equal((HttpStatusCode)422, emptyCode);
        Assert.Equal("sequence_too_short", Detail(empty, "image_urls").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Input_images_that_cannot_be_fetched_are_file_download_errors()
    {
        await using var h = await Harness.StartAsync();
        // A loopback port with nothing listening.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var deadPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (code, body) = await h.RunQueuedAsync(new
        {
            prompt = "x",
            image_urls = new[]
            {
                "https://v3b.fal.media/files/b/abc/image.png",
                $"http://127.0.0.1:{deadPort}/a.png",
                new Uri(h.Emulator.BaseUrl, "files/doesnotexist/a.png").ToString(),
                "ftp://127.0.0.1/a.png",
                "data:image/png;base64,@@@",
            },
        });
        Assert.Equal((HttpStatusCode)422, code);
        var details = body.GetProperty("detail").EnumerateArray().ToList();
        Assert.Equal(5, details.Count);
        for (var i = 0; i < details.Count; i++)
        {
            Assert.Equal("file_download_error", details[i].GetProperty("type").GetString());
            Assert.Equal($"[\"body\",\"image_urls\",{i}]", details[i].GetProperty("loc").GetRawText().Replace(" ", ""));
        }

        Assert.Equal("https://v3b.fal.media/files/b/abc/image.png", details[0].GetProperty("input").GetString());
    }

    [Fact]
    public async Task Bytes_that_are_not_an_image_are_image_load_errors()
    {
        await using var h = await Harness.StartAsync();
        var (code, body) = await h.RunQueuedAsync(new
        {
            prompt = "x",
            image_urls = new[] { SmallImage, "data:image/png;base64," + Convert.ToBase64String(Encoding.UTF8.GetBytes("definitely not a png")) },
        });
        Assert.Equal((HttpStatusCode)422, code);
        var detail = Assert.Single(body.GetProperty("detail").EnumerateArray());
        Assert.Equal("image_load_error", detail.GetProperty("type").GetString());
        Assert.Equal("[\"body\",\"image_urls\",1]", detail.GetProperty("loc").GetRawText().Replace(" ", ""));
    }

    [Fact]
    public async Task Output_png_decodes_with_the_reported_size_and_file_size()
    {
        await using var h = await Harness.StartAsync();
        var (code, body) = await h.RunQueuedAsync(new
        {
            prompt = "landscape please",
            image_urls = new[] { SmallImage },
            image_size = "landscape_16_9",
            seed = 11,
        });
        Assert.Equal(HttpStatusCode.OK, code);
        var image = Assert.Single(body.GetProperty("images").EnumerateArray());
        Assert.Equal("image/png", image.GetProperty("content_type").GetString());
        var url = image.GetProperty("url").GetString()!;
        Assert.StartsWith($"http://127.0.0.1:{h.Emulator.BaseUrl.Port}/files/", url);
        Assert.EndsWith("/" + image.GetProperty("file_name").GetString(), url);

        using var response = await h.Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType!.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(image.GetProperty("file_size").GetInt64(), bytes.Length);
        Assert.Equal(bytes.Length, response.Content.Headers.ContentLength);
        using var bitmap = TestImages.DecodeBitmap(bytes);
        Assert.Equal(image.GetProperty("width").GetInt32(), bitmap.Width);
        Assert.Equal(image.GetProperty("height").GetInt32(), bitmap.Height);
        Assert.Equal(ImageSizeRules.Resolve("landscape_16_9"), new ImageDimensions(bitmap.Width, bitmap.Height));

        using var head = await h.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(bytes.Length, head.Content.Headers.ContentLength);
        Assert.Equal("image/png", head.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Same_seed_gives_the_same_pixels_and_another_seed_different_ones()
    {
        await using var h = await Harness.StartAsync();
        var input = TestImages.DataUri(TestImages.Png(40, 30));
        async Task<byte[]> Render(long seed, string prompt = "same prompt")
        {
            var (code, body) = await h.RunQueuedAsync(new { prompt, image_urls = new[] { input }, seed, image_size = "square" });
            Assert.Equal(HttpStatusCode.OK, code);
            Assert.Equal(seed, body.GetProperty("seed").GetInt64());
            return TestImages.Pixels(await h.Http.GetByteArrayAsync(body.GetProperty("images")[0].GetProperty("url").GetString()));
        }

        var a = await Render(1234);
        var b = await Render(1234);
        var c = await Render(1235);
        var d = await Render(1234, "another prompt");
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(a, d);
    }

    [Fact]
    public async Task Num_images_and_max_images_bound_the_number_of_outputs()
    {
        await using var h = await Harness.StartAsync();
        var (code, single) = await h.RunQueuedAsync(new { prompt = "x", image_urls = new[] { SmallImage }, num_images = 3, seed = 5, sync_mode = true });
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(3, single.GetProperty("images").GetArrayLength()); // max_images 1: exactly one per generation

        var counts = new HashSet<int>();
        foreach (var seed in new long[] { 1, 2, 3 })
        {
            var (_, body) = await h.RunQueuedAsync(new { prompt = "x", image_urls = new[] { SmallImage }, num_images = 2, max_images = 3, seed, sync_mode = true });
            var n = body.GetProperty("images").GetArrayLength();
            Assert.InRange(n, 2, 6);
            counts.Add(n);
            var (_, again) = await h.RunQueuedAsync(new { prompt = "y", image_urls = new[] { SmallImage }, num_images = 2, max_images = 3, seed, sync_mode = true });
            Assert.Equal(n, again.GetProperty("images").GetArrayLength()); // fixed by (seed, generation)
        }
    }

    [Fact]
    public async Task Sync_mode_returns_data_uris_and_stores_nothing()
    {
        await using var h = await Harness.StartAsync();
        var (code, body) = await h.RunQueuedAsync(new { prompt = "x", image_urls = new[] { SmallImage }, sync_mode = true, seed = 3, image_size = "portrait_4_3" });
        Assert.Equal(HttpStatusCode.OK, code);
        var image = body.GetProperty("images")[0];
        var bytes = TestImages.DecodeDataUri(image.GetProperty("url").GetString()!);
        Assert.Equal(image.GetProperty("file_size").GetInt64(), bytes.Length);
        using var bitmap = TestImages.DecodeBitmap(bytes);
        Assert.Equal(image.GetProperty("width").GetInt32(), bitmap.Width);
        Assert.Equal(image.GetProperty("height").GetInt32(), bitmap.Height);
        Assert.Empty(System.IO.Directory.EnumerateFiles(System.IO.Path.Combine(h.Emulator.StorageDirectory, "files")));
    }

    [Fact]
    public async Task Inputs_from_loopback_urls_and_own_files_are_used_and_auto_2K_follows_the_first_input()
    {
        await using var h = await Harness.StartAsync();
        await using var other = await Harness.StartAsync(); // a second origin on loopback serving a wide image
        var wideUrl = await StorageTests.UploadAsync(other, TestImages.Png(300, 100), "image/png", "wide.png");
        var tallUrl = await StorageTests.UploadAsync(h, TestImages.Png(100, 200), "image/png", "tall.png");

        var (code, body) = await h.RunQueuedAsync(new { prompt = "x", image_urls = new[] { wideUrl, tallUrl }, seed = 1 });
        Assert.Equal(HttpStatusCode.OK, code);
        var image = body.GetProperty("images")[0];
        Assert.Equal(ImageSizeRules.Resolve("auto_2K", new ImageDimensions(300, 100)),
            new ImageDimensions(image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32()));
        Assert.Equal(3, image.GetProperty("width").GetInt32() / image.GetProperty("height").GetInt32());
        Assert.Equal(1, other.Emulator.GetStats().RequestsByRoute["file"]); // fetched over HTTP
        Assert.False(h.Emulator.GetStats().RequestsByRoute.ContainsKey("file")); // own file read from disk
    }

    [Fact]
    public async Task Only_the_last_ten_input_images_are_used()
    {
        await using var h = await Harness.StartAsync();
        var urls = new List<string> { "https://not-loopback.example/ignored.png" }; // index 0: dropped, so never fetched
        urls.AddRange(Enumerable.Range(0, 10).Select(i => TestImages.DataUri(TestImages.Png(20 + i, 10))));
        var id = (await h.SubmitAsync(new { prompt = "x", image_urls = urls, image_size = "auto_3K", seed = 9 })).GetProperty("request_id").GetString()!;
        var status = await h.WaitCompletedAsync(id, logs: true);
        Assert.Equal("Loading 10 input image(s)", status.GetProperty("logs")[0].GetProperty("message").GetString());
        var (code, body, _) = await h.ResultAsync(id);
        Assert.Equal(HttpStatusCode.OK, code);
        var image = body.GetProperty("images")[0];
        Assert.Equal(ImageSizeRules.Resolve("auto_3K", new ImageDimensions(20, 10)),
            new ImageDimensions(image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32()));
    }

    [Fact]
    public async Task Custom_size_in_range_is_kept_exactly_and_large_seeds_survive_as_int64()
    {
        await using var h = await Harness.StartAsync();
        const long bigSeed = 196619188014358660;
        var (code, body) = await h.RunQueuedAsync(new { prompt = "x", image_urls = new[] { SmallImage }, image_size = new { width = 2560, height = 1440 }, seed = bigSeed, sync_mode = true });
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Contains("\"seed\":196619188014358660", body.GetRawText().Replace(" ", ""));
        Assert.Equal(bigSeed, body.GetProperty("seed").GetInt64());
        Assert.Equal(2560, body.GetProperty("images")[0].GetProperty("width").GetInt32());
        Assert.Equal(1440, body.GetProperty("images")[0].GetProperty("height").GetInt32());
    }

    [Fact]
    public async Task Missing_seed_is_replaced_by_a_random_non_negative_one()
    {
        await using var h = await Harness.StartAsync();
        var (code, body) = await h.RunQueuedAsync(new { prompt = "x", image_urls = new[] { SmallImage }, sync_mode = true });
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.True(body.GetProperty("seed").GetInt64() >= 0);
    }
}
