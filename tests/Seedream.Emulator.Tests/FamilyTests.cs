using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Seedream.Emulator.Tests;

/// <summary>
/// The Seedream family: every served endpoint with its own fields, limits and output shape. Each
/// limit is checked at its bound (accepted) and one step past it (refused or scaled, as the
/// endpoint's schema says).
/// </summary>
public class FamilyTests : IAsyncLifetime
{
    private const string LiteEdit = "fal-ai/bytedance/seedream/v5/lite/edit";
    private const string LiteT2I = "fal-ai/bytedance/seedream/v5/lite/text-to-image";
    private const string ProEdit = "bytedance/seedream/v5/pro/edit";
    private const string ProT2I = "bytedance/seedream/v5/pro/text-to-image";
    private const string V45Edit = "fal-ai/bytedance/seedream/v4.5/edit";
    private const string V45T2I = "fal-ai/bytedance/seedream/v4.5/text-to-image";
    private const string V4Edit = "fal-ai/bytedance/seedream/v4/edit";
    private const string V4T2I = "fal-ai/bytedance/seedream/v4/text-to-image";
    private const string V3T2I = "fal-ai/bytedance/seedream/v3/text-to-image";

    /// <summary>Every id fal's sources list (and the other spelling of the 5.0 ones), with its kind.</summary>
    public static TheoryData<string, string> AllIds => new()
    {
        { "fal-ai/bytedance/seedream/v5/lite/edit", "edit" },
        { "bytedance/seedream/v5/lite/edit", "edit" },
        { "bytedance/seedream/v5/pro/edit", "edit" },
        { "fal-ai/bytedance/seedream/v5/pro/edit", "edit" },
        { "fal-ai/bytedance/seedream/v4.5/edit", "edit" },
        { "fal-ai/bytedance/seedream/v4/edit", "edit" },
        { "fal-ai/bytedance/seedream/v5/lite/text-to-image", "text-to-image" },
        { "bytedance/seedream/v5/lite/text-to-image", "text-to-image" },
        { "bytedance/seedream/v5/pro/text-to-image", "text-to-image" },
        { "fal-ai/bytedance/seedream/v5/pro/text-to-image", "text-to-image" },
        { "fal-ai/bytedance/seedream/v4.5/text-to-image", "text-to-image" },
        { "fal-ai/bytedance/seedream/v4/text-to-image", "text-to-image" },
        { "fal-ai/bytedance/seedream/v3/text-to-image", "text-to-image" },
    };

    private static readonly string Small = TestImages.DataUri(TestImages.Png(16, 16));
    private Harness _h = null!;

    public async Task InitializeAsync() => _h = await Harness.StartAsync(processingMs: 0, runners: 2);

    public async Task DisposeAsync() => await _h.DisposeAsync();

    /// <summary>A synchronous <c>fal.run</c> call: (status, body).</summary>
    private async Task<(HttpStatusCode Status, JsonElement Body)> RunAsync(string endpoint, object input)
    {
        using var response = await _h.ProxyAsync(HttpMethod.Post, "https://fal.run/" + endpoint, JsonSerializer.Serialize(input));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static bool IsEdit(string endpoint) => endpoint.EndsWith("/edit", StringComparison.Ordinal);

    /// <summary>The smallest valid input plus <paramref name="extra"/> fields.</summary>
    private static Dictionary<string, object?> Input(string endpoint, object? extra = null)
    {
        var input = new Dictionary<string, object?> { ["prompt"] = "a lighthouse at dusk" };
        if (IsEdit(endpoint)) input["image_urls"] = new[] { Small };
        if (extra is not null)
            foreach (var p in extra.GetType().GetProperties()) input[p.Name] = p.GetValue(extra);
        return input;
    }

    private async Task<ImageDimensions> SizeAsync(string endpoint, object imageSize)
    {
        var (code, body) = await RunAsync(endpoint, Input(endpoint, new { image_size = imageSize }));
        Assert.True(code == HttpStatusCode.OK, $"{endpoint} {JsonSerializer.Serialize(imageSize)}: {(int)code} {body}");
        var image = body.GetProperty("images")[0];
        return new(image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32());
    }

    private async Task<JsonElement> RefusedAsync(string endpoint, object input, params object[] loc)
    {
        var (code, body) = await RunAsync(endpoint, input);
        Assert.True(code == (HttpStatusCode)422, $"{endpoint}: expected 422, got {(int)code} {body}");
        var wanted = JsonSerializer.Serialize(new object[] { "body" }.Concat(loc));
        return Assert.Single(body.GetProperty("detail").EnumerateArray(), d => d.GetProperty("loc").GetRawText().Replace(" ", "") == wanted);
    }

    [Theory]
    [MemberData(nameof(AllIds))]
    public async Task Every_endpoint_runs_with_its_own_output_shape(string endpoint, string kind)
    {
        var (code, body) = await RunAsync(endpoint, Input(endpoint, new { num_images = 2, sync_mode = true }));
        Assert.True(code == HttpStatusCode.OK, $"{endpoint}: {(int)code} {body}");
        Assert.Equal(2, body.GetProperty("images").GetArrayLength());
        Assert.Equal(kind, IsEdit(endpoint) ? "edit" : "text-to-image");
        // Pro and 4.5 edit answer images only; the others add the seed ([JS-2608] output types).
        var withSeed = !endpoint.Contains("/pro/", StringComparison.Ordinal) && endpoint != V45Edit;
        Assert.Equal(withSeed, body.TryGetProperty("seed", out _));
        Assert.Equal(withSeed ? 2 : 1, body.EnumerateObject().Count());
    }

    [Theory]
    [MemberData(nameof(AllIds))]
    public async Task Num_images_is_accepted_at_6_and_refused_at_7(string endpoint, string kind)
    {
        _ = kind;
        var (ok, six) = await RunAsync(endpoint, Input(endpoint, new { num_images = 6, sync_mode = true, image_size = "square" }));
        Assert.True(ok == HttpStatusCode.OK, six.ToString());
        Assert.True(six.GetProperty("images").GetArrayLength() >= 6);
        var past = await RefusedAsync(endpoint, Input(endpoint, new { num_images = 7 }), "num_images");
        Assert.Equal("less_than_equal", past.GetProperty("type").GetString());
        Assert.Equal(6, past.GetProperty("ctx").GetProperty("le").GetInt32());
    }

    [Theory]
    [InlineData(ProEdit)]
    [InlineData(ProT2I)]
    [InlineData(V3T2I)]
    public async Task Endpoints_without_max_images_or_seed_ignore_them(string endpoint)
    {
        // fal's input models ignore unknown fields: no error, and no effect.
        var (code, body) = await RunAsync(endpoint, Input(endpoint, new { max_images = 99, sync_mode = true, image_size = "square_hd", enhance_prompt_mode = "nonsense" }));
        Assert.True(code == HttpStatusCode.OK, body.ToString());
        Assert.Equal(1, body.GetProperty("images").GetArrayLength());
    }

    [Theory]
    [InlineData(LiteEdit)]
    [InlineData(LiteT2I)]
    [InlineData(V45Edit)]
    [InlineData(V45T2I)]
    [InlineData(V4Edit)]
    [InlineData(V4T2I)]
    public async Task Max_images_is_accepted_at_6_and_refused_at_7(string endpoint)
    {
        var (code, body) = await RunAsync(endpoint, Input(endpoint, new { max_images = 6, seed = 1, sync_mode = true, image_size = "square" }));
        Assert.True(code == HttpStatusCode.OK, body.ToString());
        Assert.InRange(body.GetProperty("images").GetArrayLength(), 1, 6);
        var past = await RefusedAsync(endpoint, Input(endpoint, new { max_images = 7 }), "max_images");
        Assert.Equal("less_than_equal", past.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData(V45Edit)]
    [InlineData(V4Edit)]
    public async Task Four_x_edits_refuse_more_than_15_images_in_and_out(string endpoint)
    {
        var ten = Enumerable.Range(0, 10).Select(_ => Small).ToArray();
        var nine = ten[..9];
        // At the bound: 10 inputs + 5 outputs, and 9 + 6.
        var (atBound, body) = await RunAsync(endpoint, new { prompt = "x", image_urls = ten, max_images = 5, seed = 2, sync_mode = true, image_size = "square" });
        Assert.True(atBound == HttpStatusCode.OK, body.ToString());
        (atBound, body) = await RunAsync(endpoint, new { prompt = "x", image_urls = nine, max_images = 6, seed = 2, sync_mode = true, image_size = "square" });
        Assert.True(atBound == HttpStatusCode.OK, body.ToString());

        var past = await RefusedAsync(endpoint, new { prompt = "x", image_urls = ten, max_images = 6 }, "max_images");
        Assert.Equal("value_error", past.GetProperty("type").GetString());
        Assert.StartsWith("Value error, The total number of images (image inputs + image outputs) must not exceed 15", past.GetProperty("msg").GetString());
        Assert.Contains("15", past.GetProperty("ctx").GetProperty("error").GetString());

        // Only the last 10 inputs count: 12 inputs + 5 is within the rule.
        var twelve = Enumerable.Range(0, 12).Select(_ => Small).ToArray();
        var (used, usedBody) = await RunAsync(endpoint, new { prompt = "x", image_urls = twelve, max_images = 5, sync_mode = true, image_size = "square" });
        Assert.True(used == HttpStatusCode.OK, usedBody.ToString());
    }

    [Fact]
    public async Task Lite_has_no_in_and_out_limit()
    {
        var ten = Enumerable.Range(0, 10).Select(_ => Small).ToArray();
        var (code, body) = await RunAsync(LiteEdit, new { prompt = "x", image_urls = ten, max_images = 6, sync_mode = true, image_size = "square" });
        Assert.True(code == HttpStatusCode.OK, body.ToString());
    }

    // ------------------------------------------------------------------ sizes

    [Theory]
    [InlineData(LiteEdit)]
    [InlineData(LiteT2I)]
    public async Task Lite_keeps_4096_squared_and_scales_past_it(string endpoint)
    {
        Assert.Equal(new ImageDimensions(4096, 4096), await SizeAsync(endpoint, new { width = 4096, height = 4096 }));
        Assert.Equal(new ImageDimensions(2560, 1440), await SizeAsync(endpoint, new { width = 2560, height = 1440 }));
        var above = await SizeAsync(endpoint, new { width = 4097, height = 4096 });
        Assert.True(above.Pixels <= 4096L * 4096 && above.Width < 4097, above.ToString());
        var below = await SizeAsync(endpoint, new { width = 2559, height = 1440 });
        Assert.True(below.Pixels >= 2560L * 1440, below.ToString());
        Assert.Equal(new ImageDimensions(4096, 4096), await SizeAsync(endpoint, "auto_4K"));
    }

    [Theory]
    [InlineData(ProEdit)]
    [InlineData(ProT2I)]
    public async Task Pro_accepts_1K_to_2K_pixels_and_aspect_up_to_16_and_refuses_past(string endpoint)
    {
        Assert.Equal(new ImageDimensions(1024, 1024), await SizeAsync(endpoint, new { width = 1024, height = 1024 }));
        Assert.Equal(new ImageDimensions(2048, 2048), await SizeAsync(endpoint, new { width = 2048, height = 2048 }));
        Assert.Equal(new ImageDimensions(4096, 256), await SizeAsync(endpoint, new { width = 4096, height = 256 })); // 16:1, 1024² pixels
        Assert.Equal(new ImageDimensions(256, 4096), await SizeAsync(endpoint, new { width = 256, height = 4096 }));

        foreach (var (w, h) in new[] { (1023, 1024), (2049, 2048), (4128, 256), (256, 4128) })
        {
            var past = await RefusedAsync(endpoint, Input(endpoint, new { image_size = new { width = w, height = h } }), "image_size");
            Assert.Equal("value_error", past.GetProperty("type").GetString());
            Assert.Contains("between 1024x1024 and 2048x2048, with aspect ratio between 1/16 and 16", past.GetProperty("msg").GetString());
            Assert.Equal(w, past.GetProperty("input").GetProperty("width").GetInt32());
        }

        // Its own presets: auto_1K/auto_2K (default auto_2K); the Lite ones are not in its enum.
        Assert.Equal(new ImageDimensions(1024, 1024), await SizeAsync(endpoint, "auto_1K"));
        Assert.Equal(new ImageDimensions(1024, 1024), await SizeAsync(endpoint, "square")); // 512² scaled up to the floor
        var (code, body) = await RunAsync(endpoint, Input(endpoint, new { sync_mode = true }));
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(2048, body.GetProperty("images")[0].GetProperty("width").GetInt32());
        var preset = await RefusedAsync(endpoint, Input(endpoint, new { image_size = "auto_3K" }), "image_size");
        Assert.Equal("literal_error", preset.GetProperty("type").GetString());
        Assert.Equal("'square_hd', 'square', 'portrait_4_3', 'portrait_16_9', 'landscape_4_3', 'landscape_16_9', 'auto_1K' or 'auto_2K'",
            preset.GetProperty("ctx").GetProperty("expected").GetString());
    }

    [Theory]
    [InlineData(V45Edit)]
    [InlineData(V45T2I)]
    public async Task Four_five_accepts_sides_1920_to_4096_or_the_pixel_range_and_refuses_the_rest(string endpoint)
    {
        Assert.Equal(new ImageDimensions(1920, 1920), await SizeAsync(endpoint, new { width = 1920, height = 1920 }));
        Assert.Equal(new ImageDimensions(4096, 4096), await SizeAsync(endpoint, new { width = 4096, height = 4096 }));
        Assert.Equal(new ImageDimensions(4096, 1000), await SizeAsync(endpoint, new { width = 4096, height = 1000 })); // a side out, pixels in
        Assert.Equal(new ImageDimensions(2048, 2048), await SizeAsync(endpoint, "auto_2K"));

        foreach (var (w, h) in new[] { (1919, 1921), (4097, 4096), (1000, 1000) })
        {
            var past = await RefusedAsync(endpoint, Input(endpoint, new { image_size = new { width = w, height = h } }), "image_size");
            Assert.Equal("value_error", past.GetProperty("type").GetString());
            Assert.Contains("Width and height must be between 1920 and 4096", past.GetProperty("msg").GetString());
        }

        // No image_size: 2048x2048 (the model page's default), not an auto preset.
        var (code, body) = await RunAsync(endpoint, Input(endpoint, new { sync_mode = true }));
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(2048, body.GetProperty("images")[0].GetProperty("height").GetInt32());
        Assert.Equal("literal_error", (await RefusedAsync(endpoint, Input(endpoint, new { image_size = "auto_3K" }), "image_size")).GetProperty("type").GetString());
        Assert.Equal("literal_error", (await RefusedAsync(endpoint, Input(endpoint, new { image_size = "auto" }), "image_size")).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Four_edit_keeps_921600_pixels_and_scales_smaller_sizes_up()
    {
        Assert.Equal(new ImageDimensions(960, 960), await SizeAsync(V4Edit, new { width = 960, height = 960 }));
        Assert.Equal(new ImageDimensions(1280, 720), await SizeAsync(V4Edit, new { width = 1280, height = 720 }));
        var up = await SizeAsync(V4Edit, new { width = 959, height = 960 });
        Assert.True(up.Pixels >= 921_600 && up.Width >= 959, up.ToString());
        Assert.Equal(new ImageDimensions(960, 960), await SizeAsync(V4Edit, new { width = 100, height = 100 }));
        // "auto": the first input's own aspect ratio, scaled into range (16x16 → 960x960).
        Assert.Equal(new ImageDimensions(960, 960), await SizeAsync(V4Edit, "auto"));
    }

    [Fact]
    public async Task Four_text_to_image_accepts_960_squared_to_4096_squared_and_refuses_past()
    {
        Assert.Equal(new ImageDimensions(960, 960), await SizeAsync(V4T2I, new { width = 960, height = 960 }));
        Assert.Equal(new ImageDimensions(4096, 4096), await SizeAsync(V4T2I, new { width = 4096, height = 4096 }));
        foreach (var (w, h) in new[] { (959, 960), (4096, 4097) })
        {
            var past = await RefusedAsync(V4T2I, Input(V4T2I, new { image_size = new { width = w, height = h } }), "image_size");
            Assert.Equal("value_error", past.GetProperty("type").GetString());
            Assert.Contains("between 960x960 and 4096x4096", past.GetProperty("msg").GetString());
        }

        Assert.Equal(new ImageDimensions(2048, 2048), await SizeAsync(V4T2I, "auto")); // no input: the default size
        Assert.Equal(new ImageDimensions(960, 960), await SizeAsync(V4T2I, "square"));
    }

    [Fact]
    public async Task Three_bounds_each_side_to_512_to_2048_and_has_no_auto_presets()
    {
        Assert.Equal(new ImageDimensions(512, 2048), await SizeAsync(V3T2I, new { width = 512, height = 2048 }));
        Assert.Equal(new ImageDimensions(512, 512), await SizeAsync(V3T2I, "square")); // toolkit size as is
        var low = await RefusedAsync(V3T2I, Input(V3T2I, new { image_size = new { width = 511, height = 1024 } }), "image_size", "width");
        Assert.Equal("greater_than_equal", low.GetProperty("type").GetString());
        Assert.Equal(512, low.GetProperty("ctx").GetProperty("ge").GetInt32());
        var high = await RefusedAsync(V3T2I, Input(V3T2I, new { image_size = new { width = 1024, height = 2049 } }), "image_size", "height");
        Assert.Equal("less_than_equal", high.GetProperty("type").GetString());
        Assert.Equal(2048, high.GetProperty("ctx").GetProperty("le").GetInt32());
        Assert.Equal("literal_error", (await RefusedAsync(V3T2I, Input(V3T2I, new { image_size = "auto_2K" }), "image_size")).GetProperty("type").GetString());

        var (code, body) = await RunAsync(V3T2I, Input(V3T2I, new { sync_mode = true, guidance_scale = 7.5 }));
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(1024, body.GetProperty("images")[0].GetProperty("width").GetInt32()); // default square_hd
        Assert.Equal("float_type", (await RefusedAsync(V3T2I, Input(V3T2I, new { guidance_scale = "high" }), "guidance_scale")).GetProperty("type").GetString());
    }

    // ------------------------------------------------------------------ Pro output format

    [Theory]
    [InlineData(ProEdit)]
    [InlineData(ProT2I)]
    public async Task Pro_answers_jpeg_by_default_and_png_when_asked(string endpoint)
    {
        var (code, body) = await RunAsync(endpoint, Input(endpoint, new { image_size = "auto_1K" }));
        Assert.Equal(HttpStatusCode.OK, code);
        var image = body.GetProperty("images")[0];
        Assert.Equal("image/jpeg", image.GetProperty("content_type").GetString());
        Assert.EndsWith(".jpeg", image.GetProperty("file_name").GetString());
        using (var response = await _h.Http.GetAsync(image.GetProperty("url").GetString()))
        {
            Assert.Equal("image/jpeg", response.Content.Headers.ContentType!.MediaType);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(new byte[] { 0xFF, 0xD8, 0xFF }, bytes[..3]); // JPEG SOI marker
            Assert.Equal(image.GetProperty("file_size").GetInt64(), bytes.Length);
            using var bitmap = TestImages.DecodeBitmap(bytes);
            Assert.Equal((1024, 1024), (bitmap.Width, bitmap.Height));
        }

        var (syncCode, sync) = await RunAsync(endpoint, Input(endpoint, new { output_format = "jpeg", sync_mode = true, image_size = "auto_1K" }));
        Assert.Equal(HttpStatusCode.OK, syncCode);
        Assert.StartsWith("data:image/jpeg;base64,/9j/", sync.GetProperty("images")[0].GetProperty("url").GetString());

        var (pngCode, png) = await RunAsync(endpoint, Input(endpoint, new { output_format = "png", sync_mode = true, image_size = "auto_1K" }));
        Assert.Equal(HttpStatusCode.OK, pngCode);
        Assert.Equal("image/png", png.GetProperty("images")[0].GetProperty("content_type").GetString());
        Assert.EndsWith(".png", png.GetProperty("images")[0].GetProperty("file_name").GetString());
        Assert.StartsWith("data:image/png;base64,", png.GetProperty("images")[0].GetProperty("url").GetString());

        var bad = await RefusedAsync(endpoint, Input(endpoint, new { output_format = "webp" }), "output_format");
        Assert.Equal("literal_error", bad.GetProperty("type").GetString());
        Assert.Equal("'jpeg' or 'png'", bad.GetProperty("ctx").GetProperty("expected").GetString());
    }

    [Fact]
    public async Task Only_pro_knows_output_format()
    {
        // Elsewhere the field is unknown, hence ignored: PNG as always.
        var (code, body) = await RunAsync(LiteEdit, Input(LiteEdit, new { output_format = "jpeg", sync_mode = true, image_size = "square" }));
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("image/png", body.GetProperty("images")[0].GetProperty("content_type").GetString());
    }

    // ------------------------------------------------------------------ text-to-image

    [Theory]
    [InlineData(LiteT2I)]
    [InlineData(ProT2I)]
    [InlineData(V45T2I)]
    [InlineData(V4T2I)]
    [InlineData(V3T2I)]
    public async Task Text_to_image_needs_no_images_and_ignores_image_urls(string endpoint)
    {
        // A non-loopback URL would be a file_download_error on an edit endpoint; here it is never read.
        var (code, body) = await RunAsync(endpoint, new { prompt = "x", image_urls = new[] { "https://not-loopback.example/a.png" }, sync_mode = true, image_size = "square_hd" });
        Assert.True(code == HttpStatusCode.OK, body.ToString());
        var missing = await RefusedAsync(endpoint, new { image_size = "square_hd" }, "prompt");
        Assert.Equal("missing", missing.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData(ProEdit)]
    [InlineData(V45Edit)]
    [InlineData(V4Edit)]
    public async Task Edits_need_image_urls(string endpoint)
    {
        var missing = await RefusedAsync(endpoint, new { prompt = "x" }, "image_urls");
        Assert.Equal("missing", missing.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Text_to_image_pixels_come_from_prompt_and_seed_alone()
    {
        async Task<byte[]> Render(string prompt, long seed)
        {
            var (code, body) = await RunAsync(V4T2I, new { prompt, seed, image_size = "square", sync_mode = true });
            Assert.Equal(HttpStatusCode.OK, code);
            Assert.Equal(seed, body.GetProperty("seed").GetInt64());
            return TestImages.Pixels(TestImages.DecodeDataUri(body.GetProperty("images")[0].GetProperty("url").GetString()!));
        }

        var a = await Render("a red boat", 42);
        Assert.Equal(a, await Render("a red boat", 42));
        Assert.NotEqual(a, await Render("a red boat", 43));
        Assert.NotEqual(a, await Render("a blue boat", 42));
    }

    [Fact]
    public async Task Enhance_prompt_mode_is_a_literal_where_the_model_has_it()
    {
        var bad = await RefusedAsync(V4T2I, Input(V4T2I, new { enhance_prompt_mode = "turbo" }), "enhance_prompt_mode");
        Assert.Equal("literal_error", bad.GetProperty("type").GetString());
        Assert.Equal("'standard' or 'fast'", bad.GetProperty("ctx").GetProperty("expected").GetString());
        // 4.5 has no such field: ignored.
        var (code, _) = await RunAsync(V45T2I, Input(V45T2I, new { enhance_prompt_mode = "turbo", image_size = "auto_2K", sync_mode = true }));
        Assert.Equal(HttpStatusCode.OK, code);
    }

    // ------------------------------------------------------------------ catalogue and CLI

    [Fact]
    public void The_catalogue_serves_exactly_the_listed_ids_each_once()
    {
        var expected = AllIds.Select(row => ((string)row[0], (string)row[1])).OrderBy(x => x.Item1).ToList();
        var actual = SeedreamEndpoints.All.SelectMany(e => e.Ids.Select(id => (id, e.KindName))).OrderBy(x => x.id).ToList();
        Assert.Equal(expected, actual);
        foreach (var (id, _) in expected) Assert.NotNull(SeedreamEndpoints.Find(id));
        Assert.Null(SeedreamEndpoints.Find("fal-ai/bytedance/seedream/v3/edit"));
        Assert.All(SeedreamEndpoints.All, e => Assert.False(string.IsNullOrWhiteSpace(e.Source)));
    }

    [Fact]
    public async Task Help_lists_every_served_endpoint_with_its_kind()
    {
        var stdout = new StringWriter();
        var code = await EmulatorCli.RunAsync(["--help"], stdout, TextWriter.Null, CancellationToken.None);
        Assert.Equal(0, code);
        var text = stdout.ToString();
        Assert.Contains("--processing-ms", text); // the options are still there
        foreach (var row in AllIds)
        {
            var (id, kind) = ((string)row[0], (string)row[1]);
            Assert.Matches(new Regex($@"(?m)^\s+{Regex.Escape(kind)}\s+{Regex.Escape(id)}\s+Seedream \d\.\d"), text);
        }
    }
}
