using System.Text.Json;

namespace Seedream.Core.Tests.Units;

public class EditRequestTests
{
    private const string Png = "https://example.com/a.png";

    private static EditRequest Valid() => new() { Prompt = "make it blue", ImageUrls = { Png } };

    private static string[] Codes(EditRequest r, bool checkUrls = true) => r.Validate(checkUrls).Select(p => p.Code).ToArray();

    [Fact]
    public void A_minimal_request_is_valid()
    {
        Assert.Empty(Valid().Validate());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  \t ")]
    public void Empty_prompt(string? prompt)
    {
        var r = Valid();
        r.Prompt = prompt;
        var p = Assert.Single(r.Validate());
        Assert.Equal("PromptEmpty", p.Code);
        Assert.Equal("prompt", p.Field);
    }

    [Fact]
    public void No_images()
    {
        var r = Valid();
        r.ImageUrls.Clear();
        var p = Assert.Single(r.Validate());
        Assert.Equal("ImageRequired", p.Code);
        Assert.Equal("image_urls", p.Field);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var r = new EditRequest { Prompt = " ", NumImages = 0, MaxImages = 7, Seed = -1, EnhancePromptMode = "turbo" };
        Assert.Equal(new[] { "PromptEmpty", "ImageRequired", "NumImagesOutOfRange", "MaxImagesOutOfRange", "SeedOutOfRange", "EnhancePromptModeInvalid" }, Codes(r));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(6, true)]
    [InlineData(7, false)]
    [InlineData(-3, false)]
    public void Num_and_max_images_range(int value, bool ok)
    {
        var r = Valid();
        r.NumImages = value;
        Assert.Equal(ok ? Array.Empty<string>() : new[] { "NumImagesOutOfRange" }, Codes(r));
        r = Valid();
        r.MaxImages = value;
        Assert.Equal(ok ? Array.Empty<string>() : new[] { "MaxImagesOutOfRange" }, Codes(r));
    }

    [Fact]
    public void Seed_range()
    {
        var r = Valid();
        r.Seed = 0;
        Assert.Empty(r.Validate());
        r.Seed = long.MaxValue;
        Assert.Empty(r.Validate());
        r.Seed = -1;
        var p = Assert.Single(r.Validate());
        Assert.Equal(("SeedOutOfRange", "seed", (object?)-1L), (p.Code, p.Field, p.Value));
    }

    [Theory]
    [InlineData("standard", true)]
    [InlineData("fast", true)]
    [InlineData("Fast", false)] // the API is case-sensitive
    [InlineData("", false)]
    public void Enhance_prompt_mode(string mode, bool ok)
    {
        var r = Valid();
        r.EnhancePromptMode = mode;
        Assert.Equal(ok ? Array.Empty<string>() : new[] { "EnhancePromptModeInvalid" }, Codes(r));
    }

    [Theory]
    [InlineData("ftp://example.com/a.png", "ImageUrlSchemeUnsupported")]
    [InlineData("file:///tmp/a.png", "ImageUrlSchemeUnsupported")]
    [InlineData("a.png", "ImageUrlInvalid")]
    [InlineData("", "ImageUrlInvalid")]
    [InlineData("data:image/png;base64,@@@@", "DataUriInvalid")]
    public void Image_references_are_checked_with_their_position(string url, string code)
    {
        var r = Valid();
        r.ImageUrls.Add(url);
        var p = Assert.Single(r.Validate());
        Assert.Equal(code, p.Code);
        Assert.Equal("image_urls", p.Field);
        Assert.StartsWith("Image 2:", p.Message);
        // The module checks references itself and can turn this off.
        Assert.Empty(r.Validate(checkImageUrls: false));
    }

    [Fact]
    public void A_long_bad_reference_is_shortened_in_the_problem_value()
    {
        var r = Valid();
        r.ImageUrls.Add("ftp://example.com/" + new string('a', 500));
        var p = Assert.Single(r.Validate());
        Assert.Equal(201, ((string)p.Value!).Length);
    }

    [Fact]
    public void Additional_input_may_add_unknown_fields()
    {
        var r = Valid();
        r.AdditionalInput = new Dictionary<string, object?> { ["output_format"] = "png", ["extra"] = new Dictionary<string, object?> { ["a"] = 1 } };
        Assert.Empty(r.Validate());
    }

    [Theory]
    [InlineData("prompt")]
    [InlineData("image_urls")]
    public void Additional_input_may_override_a_parameter_and_names_it(string key)
    {
        // The checks save a round trip; they never block what fal accepts (a schema newer than
        // the module): the value is sent as given, and the caller is told what was overridden.
        var r = Valid();
        r.AdditionalInput = new Dictionary<string, object?> { [key] = "x" };
        Assert.Empty(r.Validate());
        Assert.Equal(new[] { (key, true) }, r.AdditionalKnownFields());
        using var doc = System.Text.Json.JsonDocument.Parse(r.ToJson());
        Assert.Equal("x", doc.RootElement.GetProperty(key).GetString());
    }

    [Theory]
    [InlineData("num_images", 9)]
    [InlineData("max_images", 6)]
    [InlineData("seed", -5)]
    [InlineData("enhance_prompt_mode", "turbo")]
    [InlineData("image_size", "huge")]
    [InlineData("sync_mode", true)]
    [InlineData("enable_safety_checker", false)]
    public void Additional_input_sets_a_known_field_as_given_and_names_it(string key, object value)
    {
        var r = Valid();
        r.AdditionalInput = new Dictionary<string, object?> { [key] = value };
        Assert.Empty(r.Validate());
        Assert.Equal(new[] { (key, false) }, r.AdditionalKnownFields());
        Assert.Contains("\"" + key + "\"", r.ToJson());
    }

    [Fact]
    public void The_cost_estimate_counts_image_counts_set_through_additional_input()
    {
        var r = Valid();
        r.NumImages = 1;
        r.AdditionalInput = new Dictionary<string, object?> { ["num_images"] = 3, ["max_images"] = 2 };
        Assert.Equal(6, r.MaxImageCount);
    }

    [Fact]
    public void An_endpoint_without_a_profile_gets_only_the_checks_every_endpoint_shares()
    {
        var r = Valid();
        r.NumImages = 40;
        r.EnhancePromptMode = "turbo";
        Assert.Equal(2, r.Validate().Count);
        Assert.Empty(r.Validate(modelChecks: false));
        r.Prompt = " ";
        Assert.Equal("PromptEmpty", Assert.Single(r.Validate(modelChecks: false)).Code);
    }

    [Fact]
    public void Additional_input_with_empty_key_or_unserialisable_value_is_invalid()
    {
        var r = Valid();
        r.AdditionalInput = new Dictionary<string, object?> { [" "] = 1 };
        Assert.Equal(new[] { "AdditionalInputInvalid" }, Codes(r));

        r = Valid();
        r.AdditionalInput = new Dictionary<string, object?> { ["when"] = TimeSpan.FromSeconds(3) };
        var p = Assert.Single(r.Validate());
        Assert.Equal("AdditionalInputInvalid", p.Code);
        Assert.Contains("TimeSpan", p.Message);
    }

    [Fact]
    public void Json_of_a_minimal_request_has_only_the_required_fields()
    {
        using var doc = JsonDocument.Parse(Valid().ToJson());
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(new[] { "prompt", "image_urls" }, names);
        Assert.Equal(Png, doc.RootElement.GetProperty("image_urls")[0].GetString());
    }

    [Fact]
    public void Json_uses_snake_case_and_exact_values()
    {
        var r = new EditRequest
        {
            Prompt = "p \"quoted\"",
            ImageUrls = { "https://a/1.png", "data:image/png;base64,AAAA" },
            ImageSize = ImageSize.Parse("2560x1440"),
            NumImages = 2,
            MaxImages = 3,
            Seed = 196619188014358660,
            SyncMode = false,
            EnableSafetyChecker = true,
            EnhancePromptMode = "fast",
            AdditionalInput = new Dictionary<string, object?> { ["output_format"] = "jpeg", ["nested"] = new object[] { 1, "x" } },
        };
        Assert.Empty(r.Validate());
        Assert.Equal(6, r.MaxImageCount);
        using var doc = JsonDocument.Parse(r.ToJson());
        var root = doc.RootElement;
        Assert.Equal("p \"quoted\"", root.GetProperty("prompt").GetString());
        Assert.Equal(2, root.GetProperty("image_urls").GetArrayLength());
        Assert.Equal(2560, root.GetProperty("image_size").GetProperty("width").GetInt32());
        Assert.Equal(1440, root.GetProperty("image_size").GetProperty("height").GetInt32());
        Assert.Equal(2, root.GetProperty("num_images").GetInt32());
        Assert.Equal(3, root.GetProperty("max_images").GetInt32());
        Assert.Equal(196619188014358660, root.GetProperty("seed").GetInt64());
        Assert.Equal(JsonValueKind.False, root.GetProperty("sync_mode").ValueKind);
        Assert.Equal(JsonValueKind.True, root.GetProperty("enable_safety_checker").ValueKind);
        Assert.Equal("fast", root.GetProperty("enhance_prompt_mode").GetString());
        Assert.Equal("jpeg", root.GetProperty("output_format").GetString());
        Assert.Equal("x", root.GetProperty("nested")[1].GetString());
        Assert.Contains("\"seed\":196619188014358660", r.ToJson()); // no float rounding on the wire
    }

    [Fact]
    public void Json_sends_a_preset_as_a_string()
    {
        var r = Valid();
        r.ImageSize = ImageSize.Parse("AUTO_3k");
        using var doc = JsonDocument.Parse(r.ToJson());
        Assert.Equal("auto_3K", doc.RootElement.GetProperty("image_size").GetString());
    }

    [Fact]
    public void Max_image_count_defaults_to_one_each()
    {
        var r = Valid();
        Assert.Equal(1, r.MaxImageCount);
        r.MaxImages = 4;
        Assert.Equal(4, r.MaxImageCount);
    }

    [Fact]
    public void Keep_last_ten_images_drops_the_first_ones()
    {
        var r = new EditRequest { ImageUrls = Enumerable.Range(1, 13).Select(i => $"https://x/{i}.png").ToList() };
        Assert.Equal(3, r.KeepLastTenImages());
        Assert.Equal(Enumerable.Range(4, 10).Select(i => $"https://x/{i}.png"), r.ImageUrls);
        Assert.Equal(0, r.KeepLastTenImages());
        Assert.Equal(10, r.ImageUrls.Count);

        var few = new EditRequest { ImageUrls = { "https://x/1.png" } };
        Assert.Equal(0, few.KeepLastTenImages());
        Assert.Single(few.ImageUrls);
    }

    [Fact]
    public void Pricing_estimates_use_the_maximum_image_count()
    {
        Assert.Equal(0.035m, Pricing.PerImage(EndpointIdText));
        Assert.Equal(0.035m, Pricing.PerImage("/bytedance/seedream/v5/lite/edit/"));
        Assert.Null(Pricing.PerImage("fal-ai/flux"));
        Assert.Contains("$0.210", Pricing.Describe(EndpointIdText, 6));
        Assert.Contains("unknown", Pricing.Describe("fal-ai/flux", 2));
    }

    private const string EndpointIdText = Seedream.Protocol.EndpointId.SeedreamV5LiteEdit;
}
