using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using Seedream.Protocol;
using Xunit;

namespace Seedream.Core.Tests.Units;

/// <summary>
/// Each endpoint profile's limits, checked against the schema they were taken from (fal-js
/// endpoints.ts @381105e, @fal-ai/client 1.10.1 for 3.0, fal's model pages): every limit has a test
/// that fails if the profile states it wrongly.
/// </summary>
public class EndpointProfileTests
{
    private const string Png = "https://example.com/a.png";
    private const string LiteEdit = "fal-ai/bytedance/seedream/v5/lite/edit";
    private const string ProEdit = "bytedance/seedream/v5/pro/edit";
    private const string V45Edit = "fal-ai/bytedance/seedream/v4.5/edit";
    private const string V4Edit = "fal-ai/bytedance/seedream/v4/edit";
    private const string LiteT2I = "fal-ai/bytedance/seedream/v5/lite/text-to-image";
    private const string ProT2I = "bytedance/seedream/v5/pro/text-to-image";
    private const string V45T2I = "fal-ai/bytedance/seedream/v4.5/text-to-image";
    private const string V4T2I = "fal-ai/bytedance/seedream/v4/text-to-image";
    private const string V3T2I = "fal-ai/bytedance/seedream/v3/text-to-image";

    private static EndpointProfile P(string id) => EndpointProfiles.Find(id) ?? throw new InvalidOperationException("no profile " + id);

    private static EditRequest Req(string endpoint, Action<EditRequest>? set = null)
    {
        var r = new EditRequest { Prompt = "p" };
        if (P(endpoint).Kind == EndpointKind.Edit) r.ImageUrls.Add(Png);
        set?.Invoke(r);
        return r;
    }

    private static string[] Codes(string endpoint, Action<EditRequest> set) =>
        Req(endpoint, set).Validate(P(endpoint), EndpointKind.Edit).Select(p => p.Code).ToArray();

    [Theory]
    [InlineData(LiteEdit, LiteEdit, EndpointKind.Edit)]
    [InlineData("bytedance/seedream/v5/lite/edit", LiteEdit, EndpointKind.Edit)]
    [InlineData(ProEdit, ProEdit, EndpointKind.Edit)]
    [InlineData("fal-ai/bytedance/seedream/v5/pro/edit", ProEdit, EndpointKind.Edit)]
    [InlineData(V45Edit, V45Edit, EndpointKind.Edit)]
    [InlineData(V4Edit, V4Edit, EndpointKind.Edit)]
    [InlineData(LiteT2I, LiteT2I, EndpointKind.TextToImage)]
    [InlineData("bytedance/seedream/v5/lite/text-to-image", LiteT2I, EndpointKind.TextToImage)]
    [InlineData(ProT2I, ProT2I, EndpointKind.TextToImage)]
    [InlineData("fal-ai/bytedance/seedream/v5/pro/text-to-image", ProT2I, EndpointKind.TextToImage)]
    [InlineData(V45T2I, V45T2I, EndpointKind.TextToImage)]
    [InlineData(V4T2I, V4T2I, EndpointKind.TextToImage)]
    [InlineData("/" + V3T2I + "/", V3T2I, EndpointKind.TextToImage)]
    public void Every_id_finds_its_profile_and_kind(string id, string canonical, EndpointKind kind)
    {
        var p = EndpointProfiles.Find(id);
        Assert.NotNull(p);
        Assert.Equal(canonical, p!.Id);
        Assert.Equal(kind, p.Kind);
        Assert.True(EndpointId.Parse(id).IsProfiled);
    }

    [Theory]
    [InlineData("fal-ai/flux/dev")]
    [InlineData("fal-ai/bytedance/seedream/v6/edit")]
    [InlineData("fal-ai/bytedance/seedream/v5/lite")]
    public void Other_endpoints_have_no_profile(string id)
    {
        Assert.Null(EndpointProfiles.Find(id));
        Assert.False(EndpointId.Parse(id).IsProfiled);
    }

    [Fact]
    public void Ids_are_unique_across_profiles_and_every_profile_names_its_sources()
    {
        var ids = EndpointProfiles.All.SelectMany(p => p.Ids).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(9, EndpointProfiles.All.Count);
        foreach (var p in EndpointProfiles.All)
        {
            Assert.False(string.IsNullOrWhiteSpace(p.SchemaSource), p.Id);
            Assert.Matches(@"^20\d\d-\d\d", p.SchemaDate);
            Assert.False(string.IsNullOrWhiteSpace(p.PriceSource), p.Id);
            if (p.PricePerImage == null) Assert.Contains("unknown", p.PriceNote);
            else Assert.False(string.IsNullOrWhiteSpace(p.PriceDate), p.Id);
            if (p.PriceIsThirdParty) Assert.Contains("third-party", p.PriceNote);
        }
    }

    // ---------------------------------------------------------------- presets

    [Theory]
    [InlineData(LiteEdit, "auto_2K,auto_3K,auto_4K")]
    [InlineData(LiteT2I, "auto_2K,auto_3K,auto_4K")]
    [InlineData(ProEdit, "auto_1K,auto_2K")]
    [InlineData(ProT2I, "auto_1K,auto_2K")]
    [InlineData(V45Edit, "auto_2K,auto_4K")]
    [InlineData(V45T2I, "auto_2K,auto_4K")]
    [InlineData(V4Edit, "auto,auto_2K,auto_4K")]
    [InlineData(V4T2I, "auto,auto_2K,auto_4K")]
    [InlineData(V3T2I, "")]
    public void Size_presets_are_the_schemas(string endpoint, string autos)
    {
        var expected = new[] { "square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9" }
            .Concat(autos.Split(',', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(expected, P(endpoint).SizePresets);
        foreach (var preset in P(endpoint).SizePresets)
            Assert.Empty(Codes(endpoint, r => r.ImageSize = ImageSize.Parse(preset, P(endpoint))));
    }

    [Theory]
    [InlineData(ProEdit, "auto_3K")]
    [InlineData(ProEdit, "auto_4K")]
    [InlineData(V45Edit, "auto_3K")]
    [InlineData(V4T2I, "auto_3K")]
    [InlineData(LiteEdit, "auto_1K")]
    [InlineData(LiteT2I, "auto")]
    [InlineData(V3T2I, "auto_2K")]
    public void A_preset_of_another_endpoint_is_refused(string endpoint, string preset)
    {
        Assert.Throws<FormatException>(() => ImageSize.Parse(preset, P(endpoint)));
        // Built for another endpoint and then checked: the request's own check catches it too.
        Assert.Equal(new[] { "ImageSizeInvalid" }, Codes(endpoint, r => r.ImageSize = ImageSize.Parse(preset, (EndpointProfile?)null)));
    }

    // ---------------------------------------------------------------- image counts

    [Theory]
    [InlineData(LiteEdit)] [InlineData(ProEdit)] [InlineData(V45Edit)] [InlineData(V4Edit)]
    [InlineData(LiteT2I)] [InlineData(ProT2I)] [InlineData(V45T2I)] [InlineData(V4T2I)] [InlineData(V3T2I)]
    public void Num_images_is_1_to_6(string endpoint)
    {
        Assert.Empty(Codes(endpoint, r => r.NumImages = 1));
        Assert.Empty(Codes(endpoint, r => r.NumImages = 6));
        Assert.Equal(new[] { "NumImagesOutOfRange" }, Codes(endpoint, r => r.NumImages = 7));
        Assert.Equal(new[] { "NumImagesOutOfRange" }, Codes(endpoint, r => r.NumImages = 0));
    }

    [Theory]
    [InlineData(LiteEdit)] [InlineData(LiteT2I)] [InlineData(V45Edit)] [InlineData(V45T2I)] [InlineData(V4T2I)]
    public void Max_images_is_1_to_6(string endpoint)
    {
        Assert.Empty(Codes(endpoint, r => r.MaxImages = 6));
        Assert.Equal(new[] { "MaxImagesOutOfRange" }, Codes(endpoint, r => r.MaxImages = 7));
        Assert.Equal(new[] { "MaxImagesOutOfRange" }, Codes(endpoint, r => r.MaxImages = 0));
    }

    [Theory]
    [InlineData(ProEdit)] [InlineData(ProT2I)] [InlineData(V3T2I)]
    public void Endpoints_without_max_images_refuse_it_but_additional_input_sends_it(string endpoint)
    {
        Assert.Equal(new[] { "FieldNotSupported" }, Codes(endpoint, r => r.MaxImages = 2));
        var r = Req(endpoint, x => x.AdditionalInput = new Dictionary<string, object?> { ["max_images"] = 2 });
        Assert.Empty(r.Validate(P(endpoint), EndpointKind.Edit));
        Assert.Equal(2, JsonDocument.Parse(r.ToJson()).RootElement.GetProperty("max_images").GetInt32());
    }

    [Theory]
    [InlineData(V45Edit)]
    [InlineData(V4Edit)]
    public void Four_x_edits_take_at_most_15_images_in_and_out(string endpoint)
    {
        Assert.Equal(15, P(endpoint).MaxInputsPlusOutputs);
        // Per generation: 9 inputs + 6 (max_images) = 15 is fine, 10 + 6 = 16 is not; num_images
        // (separate generations) does not add up: 9 + 6 with 6 generations is still fine.
        Assert.Empty(Codes(endpoint, r => { r.ImageUrls = Enumerable.Repeat(Png, 9).ToList(); r.MaxImages = 6; }));
        Assert.Equal(new[] { "ImageCountLimitExceeded" }, Codes(endpoint, r => { r.ImageUrls = Enumerable.Repeat(Png, 10).ToList(); r.MaxImages = 6; }));
        Assert.Empty(Codes(endpoint, r => { r.ImageUrls = Enumerable.Repeat(Png, 9).ToList(); r.NumImages = 6; r.MaxImages = 6; }));
        // max_images sent through -AdditionalInput goes as given (with a warning), never refused here.
        Assert.Empty(Codes(endpoint, r => { r.ImageUrls = Enumerable.Repeat(Png, 10).ToList(); r.AdditionalInput = new Dictionary<string, object?> { ["max_images"] = 6 }; }));
    }

    [Fact]
    public void Five_x_lite_edit_has_no_in_plus_out_limit()
    {
        Assert.Null(P(LiteEdit).MaxInputsPlusOutputs);
        Assert.Empty(Codes(LiteEdit, r => { r.ImageUrls = Enumerable.Repeat(Png, 10).ToList(); r.NumImages = 6; r.MaxImages = 6; }));
    }

    [Theory]
    [InlineData(LiteEdit, 10)] [InlineData(ProEdit, 10)] [InlineData(V45Edit, 10)] [InlineData(V4Edit, 10)]
    [InlineData(LiteT2I, 0)] [InlineData(V3T2I, 0)]
    public void Input_image_limits(string endpoint, int max) => Assert.Equal(max, P(endpoint).MaxInputImages);

    // ---------------------------------------------------------------- fields

    [Theory]
    [InlineData(LiteEdit, true)] [InlineData(LiteT2I, true)] [InlineData(V45Edit, true)] [InlineData(V4Edit, true)] [InlineData(V45T2I, true)] [InlineData(V4T2I, true)] [InlineData(V3T2I, true)]
    [InlineData(ProEdit, false)] [InlineData(ProT2I, false)]
    public void Seed_where_the_schema_has_it(string endpoint, bool accepted)
    {
        var codes = Codes(endpoint, r => r.Seed = 42);
        if (accepted) Assert.Empty(codes); else Assert.Equal(new[] { "FieldNotSupported" }, codes);
    }

    [Theory]
    [InlineData(LiteEdit, true)] [InlineData(LiteT2I, true)] [InlineData(V4Edit, true)] [InlineData(V4T2I, true)]
    [InlineData(V45Edit, false)] [InlineData(V45T2I, false)] [InlineData(ProEdit, false)] [InlineData(V3T2I, false)]
    public void Enhance_prompt_mode_where_the_schema_has_it(string endpoint, bool accepted)
    {
        var codes = Codes(endpoint, r => r.EnhancePromptMode = "fast");
        if (accepted)
        {
            Assert.Empty(codes);
            Assert.Equal(new[] { "EnhancePromptModeInvalid" }, Codes(endpoint, r => r.EnhancePromptMode = "turbo"));
        }
        else Assert.Equal(new[] { "FieldNotSupported" }, codes);
    }

    [Theory]
    [InlineData(ProEdit, true)] [InlineData(ProT2I, true)]
    [InlineData(LiteEdit, false)] [InlineData(V45Edit, false)] [InlineData(V4T2I, false)] [InlineData(V3T2I, false)]
    public void Output_format_jpeg_or_png_on_5_pro_only(string endpoint, bool accepted)
    {
        if (accepted)
        {
            Assert.Empty(Codes(endpoint, r => r.OutputFormat = "png"));
            Assert.Empty(Codes(endpoint, r => r.OutputFormat = "jpeg"));
            Assert.Equal(new[] { "OutputFormatInvalid" }, Codes(endpoint, r => r.OutputFormat = "webp"));
        }
        else Assert.Equal(new[] { "FieldNotSupported" }, Codes(endpoint, r => r.OutputFormat = "png"));
    }

    [Theory]
    [InlineData(LiteT2I)] [InlineData(ProT2I)] [InlineData(V45T2I)] [InlineData(V4T2I)] [InlineData(V3T2I)]
    public void Text_to_image_takes_no_input_image_and_needs_none(string endpoint)
    {
        Assert.Empty(Codes(endpoint, _ => { }));
        var p = Assert.Single(Req(endpoint, r => r.ImageUrls.Add(Png)).Validate(P(endpoint), EndpointKind.Edit));
        Assert.Equal("FieldNotSupported", p.Code);
        Assert.Equal("image_urls", p.Field);
        var names = JsonDocument.Parse(Req(endpoint).ToJson()).RootElement.EnumerateObject().Select(x => x.Name);
        Assert.Equal(new[] { "prompt" }, names);
    }

    [Theory]
    [InlineData(LiteEdit)] [InlineData(ProEdit)] [InlineData(V45Edit)] [InlineData(V4Edit)]
    public void Edits_need_an_image(string endpoint)
    {
        Assert.Equal(new[] { "ImageRequired" }, Codes(endpoint, r => r.ImageUrls.Clear()));
    }

    [Fact]
    public void Without_a_profile_the_commands_kind_decides_whether_an_image_is_needed()
    {
        var r = new EditRequest { Prompt = "p", NumImages = 40, OutputFormat = "tiff", Seed = -1 };
        Assert.Empty(r.Validate(null, EndpointKind.TextToImage));
        Assert.Equal("ImageRequired", Assert.Single(r.Validate(null, EndpointKind.Edit)).Code);
    }

    [Fact]
    public void Output_format_is_sent_as_a_field()
    {
        var r = Req(ProEdit, x => x.OutputFormat = "png");
        Assert.Equal("png", JsonDocument.Parse(r.ToJson()).RootElement.GetProperty("output_format").GetString());
        Assert.Contains(("output_format", false), new EditRequest { AdditionalInput = new Dictionary<string, object?> { ["output_format"] = "png" } }.AdditionalKnownFields());
    }

    // ---------------------------------------------------------------- sizes

    [Theory]
    // 5.0 Lite: 2560x1440..4096x4096 total, scaled outside.
    [InlineData(LiteEdit, 2560, 1440, "ok")]
    [InlineData(LiteEdit, 4096, 4096, "ok")]
    [InlineData(LiteEdit, 2559, 1440, "scaled")]
    [InlineData(LiteEdit, 4097, 4096, "scaled")]
    [InlineData(LiteT2I, 1024, 1024, "scaled")]
    [InlineData(LiteT2I, 4096, 4097, "scaled")]
    // 5.0 Pro: 1024x1024..2048x2048 total, aspect 1/16..16, stated as a rule.
    [InlineData(ProEdit, 1024, 1024, "ok")]
    [InlineData(ProEdit, 2048, 2048, "ok")]
    [InlineData(ProEdit, 1023, 1024, "refused")]
    [InlineData(ProEdit, 2049, 2048, "refused")]
    [InlineData(ProT2I, 4096, 256, "ok")]
    [InlineData(ProT2I, 256, 4096, "ok")]
    [InlineData(ProT2I, 4113, 257, "refused")]
    [InlineData(ProT2I, 257, 4113, "refused")]
    // 4.5: sides 1920..4096 OR total 2560x1440..4096x4096.
    [InlineData(V45Edit, 1920, 4096, "ok")]
    [InlineData(V45Edit, 2560, 1440, "ok")]
    [InlineData(V45Edit, 4097, 1920, "ok")]
    [InlineData(V45Edit, 1919, 1920, "refused")]
    [InlineData(V45T2I, 5000, 4000, "refused")]
    [InlineData(V45T2I, 1440, 2559, "refused")]
    // 4.0 edit: at least 921600 pixels, scaled up; no stated maximum.
    [InlineData(V4Edit, 960, 960, "ok")]
    [InlineData(V4Edit, 959, 960, "scaled")]
    [InlineData(V4Edit, 8000, 8000, "ok")]
    // 4.0 text-to-image: 960x960..4096x4096, stated as a rule.
    [InlineData(V4T2I, 960, 960, "ok")]
    [InlineData(V4T2I, 4096, 4096, "ok")]
    [InlineData(V4T2I, 959, 960, "refused")]
    [InlineData(V4T2I, 4097, 4096, "refused")]
    // 3.0: each side 512..2048.
    [InlineData(V3T2I, 512, 512, "ok")]
    [InlineData(V3T2I, 2048, 2048, "ok")]
    [InlineData(V3T2I, 511, 512, "refused")]
    [InlineData(V3T2I, 2049, 100, "refused")]
    public void Custom_size_bounds(string endpoint, int width, int height, string outcome)
    {
        var profile = P(endpoint);
        var size = ImageSize.FromDimensions(width, height);
        var codes = Codes(endpoint, r => r.ImageSize = size);
        switch (outcome)
        {
            case "ok":
                Assert.Empty(codes);
                Assert.Null(size.ScaledFor(profile));
                break;
            case "scaled":
                Assert.Empty(codes);
                var (w, h) = size.ScaledFor(profile)!.Value;
                long area = (long)w * h;
                Assert.True((profile.MinPixels == null || area >= profile.MinPixels) && (profile.MaxPixels == null || area <= profile.MaxPixels), $"{w}x{h}");
                break;
            default:
                Assert.Equal(new[] { "ImageSizeOutOfRange" }, codes);
                Assert.Null(size.ScaledFor(profile));
                break;
        }
    }

    [Fact]
    public void Additional_input_image_size_is_sent_as_given_even_where_the_profile_refuses_it()
    {
        var r = Req(ProEdit, x =>
        {
            x.ImageSize = ImageSize.FromDimensions(4096, 4096);
            x.AdditionalInput = new Dictionary<string, object?> { ["image_size"] = "auto_4K" };
        });
        Assert.Empty(r.Validate(P(ProEdit), EndpointKind.Edit));
        Assert.Equal("auto_4K", JsonDocument.Parse(r.ToJson()).RootElement.GetProperty("image_size").GetString());
    }

    // ---------------------------------------------------------------- prices

    [Theory]
    [InlineData(LiteEdit, "0.035")]
    [InlineData("bytedance/seedream/v5/lite/edit", "0.035")]
    [InlineData(LiteT2I, "0.035")]
    [InlineData(V45Edit, "0.04")]
    [InlineData(V45T2I, "0.04")]
    [InlineData(V4Edit, "0.03")]
    [InlineData(ProEdit, "0.0675")]
    [InlineData(ProT2I, null)]
    [InlineData(V4T2I, null)]
    [InlineData(V3T2I, null)]
    [InlineData("fal-ai/flux/dev", null)]
    public void Price_per_image(string endpoint, string? price)
    {
        Assert.Equal(price == null ? (decimal?)null : decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture), Pricing.PerImage(endpoint));
        var text = Pricing.Describe(endpoint, 2);
        if (price == null) Assert.Contains("cost unknown", text);
        else Assert.Contains("$" + price, text);
    }

    [Fact]
    public void Third_party_prices_say_so()
    {
        Assert.Contains("third-party", Pricing.Describe(ProEdit, 1));
        Assert.Contains("third-party", Pricing.Describe(V45Edit, 1));
        Assert.DoesNotContain("third-party", Pricing.Describe(V45T2I, 1));
        Assert.DoesNotContain("third-party", Pricing.Describe(LiteEdit, 1));
    }

    [Fact]
    public void Five_pro_prices_by_size_tier_and_extra_inputs()
    {
        // Default size (auto_2K) is the upper tier; auto_1K, presets and sizes up to 1536x1536 the lower.
        Assert.Equal(0.135m, Pricing.PerImage(ProEdit, Req(ProEdit)));
        Assert.Equal(0.0675m, Pricing.PerImage(ProEdit, Req(ProEdit, r => r.ImageSize = ImageSize.Parse("auto_1K", P(ProEdit)))));
        Assert.Equal(0.0675m, Pricing.PerImage(ProEdit, Req(ProEdit, r => r.ImageSize = ImageSize.FromDimensions(1536, 1536))));
        Assert.Equal(0.135m, Pricing.PerImage(ProEdit, Req(ProEdit, r => r.ImageSize = ImageSize.FromDimensions(1537, 1536))));
        Assert.Equal(0.135m + 2 * 0.0045m, Pricing.PerImage(ProEdit, Req(ProEdit, r => { r.ImageUrls.Add(Png); r.ImageUrls.Add(Png); })));
        Assert.Contains("$0.270 (2 images × $0.135)", Pricing.Describe(ProEdit, Req(ProEdit, r => r.NumImages = 2)));
        // Flat prices do not move.
        Assert.Equal(0.035m, Pricing.PerImage(LiteEdit, Req(LiteEdit, r => { r.ImageUrls.Add(Png); r.ImageSize = ImageSize.FromDimensions(4096, 4096); })));
    }
}
