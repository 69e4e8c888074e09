using Seedream.Emulator;

namespace Seedream.Core.Tests.Units;

public class ImageSizeTests
{
    [Theory]
    [InlineData("2048x1536", 2048, 1536)]
    [InlineData(" 2048 X 1536 ", 2048, 1536)]
    [InlineData("2048×1536", 2048, 1536)]
    [InlineData("2048*1536", 2048, 1536)]
    [InlineData("2048,1536", 2048, 1536)]
    [InlineData("1x1", 1, 1)]
    [InlineData("14142x14142", 14142, 14142)]
    public void Parses_custom_sizes(string text, int w, int h)
    {
        var s = ImageSize.Parse(text);
        Assert.True(s.IsCustom);
        Assert.Null(s.Preset);
        Assert.Equal((w, h), (s.Width, s.Height));
        Assert.Equal($"{w}x{h}", s.ToString());
        var wire = Assert.IsAssignableFrom<IDictionary<string, object?>>(s.ToWireValue());
        Assert.Equal(w, wire["width"]);
        Assert.Equal(h, wire["height"]);
    }

    [Fact]
    public void Parses_every_preset_case_insensitively_to_its_canonical_name()
    {
        foreach (var preset in ImageSize.Presets)
        {
            var s = ImageSize.Parse(preset.ToUpperInvariant());
            Assert.False(s.IsCustom);
            Assert.Equal(preset, s.Preset);
            Assert.Equal(preset, s.ToWireValue());
            Assert.Null(s.ScaledToModelBounds());
        }
        // The same presets the emulator (and the schema) accepts.
        Assert.Equal(ImageSizeRules.PresetNames.OrderBy(x => x), ImageSize.Presets.OrderBy(x => x));
    }

    [Theory]
    [InlineData("0x100")]
    [InlineData("100x0")]
    [InlineData("14143x100")]
    [InlineData("999999x1")]
    [InlineData("1234567x1")]
    [InlineData("auto_8K")] // not in the v5 lite schema
    [InlineData("big")]
    [InlineData("")]
    [InlineData("-5x10")]
    [InlineData("10.5x10")]
    public void Rejects_bad_text(string text)
    {
        Assert.Throws<FormatException>(() => ImageSize.Parse(text));
    }

    [Fact]
    public void Rejects_null()
    {
        Assert.Throws<FormatException>(() => ImageSize.Parse(null!));
        Assert.Throws<FormatException>(() => ImageSize.FromPreset(null!));
    }

    [Theory]
    [InlineData(2560, 1440)] // exactly the floor
    [InlineData(4096, 4096)] // exactly the cap (mid-2026 schema)
    [InlineData(3072, 3072)]
    [InlineData(2048, 2048)]
    [InlineData(1440, 2560)]
    public void Sizes_inside_the_bounds_are_kept(int w, int h)
    {
        Assert.Equal((w, h), ImageSize.ScaleIntoBounds(w, h));
        Assert.Equal((w, h), ImageSize.FromDimensions(w, h).ScaledToModelBounds()!.Value);
    }

    [Theory]
    [InlineData(1280, 720, 2560, 1440)]   // exact factor 2
    [InlineData(1024, 1024, 1920, 1920)]  // exact factor 1.875
    [InlineData(1000, 1000, 1920, 1920)]  // factor 1.92, not exact in binary
    [InlineData(8192, 8192, 4096, 4096)]  // exact factor 0.5
    [InlineData(5461, 5461, 4096, 4096)]  // factor 0.75 (rounded down into the cap)
    [InlineData(7680, 4320, 5461, 3072)]  // 16:9 down
    public void Known_scalings(int w, int h, int ew, int eh)
    {
        Assert.Equal((ew, eh), ImageSize.ScaleIntoBounds(w, h));
    }

    private static IEnumerable<(int W, int H)> Sizes()
    {
        var rnd = new Random(42);
        for (var i = 0; i < 20000; i++)
        {
            // Mix of tiny, extreme-aspect, typical and huge sizes.
            int Side() => rnd.Next(4) switch
            {
                0 => rnd.Next(1, 64),
                1 => rnd.Next(64, 2048),
                2 => rnd.Next(2048, 4096),
                _ => rnd.Next(4096, ImageSize.MaxSide + 1),
            };
            yield return (Side(), Side());
        }
        for (var s = 1; s <= 4000; s += 7) yield return (s, s);
    }

    [Fact]
    public void Scaled_sizes_stay_inside_the_pixel_bounds_and_keep_the_aspect_ratio()
    {
        foreach (var (w, h) in Sizes())
        {
            var (sw, sh) = ImageSize.ScaleIntoBounds(w, h);
            long area = (long)w * h, scaled = (long)sw * sh;
            Assert.True(scaled >= ImageSize.MinPixels && scaled <= ImageSize.MaxPixels, $"{w}x{h} -> {sw}x{sh} ({scaled} px)");
            if (area < ImageSize.MinPixels) Assert.True(sw >= w && sh >= h, $"{w}x{h} grew to {sw}x{sh}");
            if (area > ImageSize.MaxPixels) Assert.True(sw <= w && sh <= h, $"{w}x{h} shrank to {sw}x{sh}");
            // Each side is rounded once (by less than a pixel), so the ratio moves by at most that much.
            var ratio = (double)w / h;
            var scaledRatio = (double)sw / sh;
            var tolerance = ratio * (1.0 / (sw - 1) + 1.0 / (sh - 1)) * 1.0001;
            Assert.True(Math.Abs(scaledRatio - ratio) <= tolerance, $"{w}x{h} -> {sw}x{sh}: ratio {ratio} vs {scaledRatio}");
        }
    }

    [Fact]
    public void Scaling_predicts_what_the_emulated_model_produces()
    {
        // The module warns users about the size they will get; the emulator applies the model's
        // rule. The two must agree, or the warning names a size that never appears.
        foreach (var (w, h) in Sizes())
        {
            var expected = ImageSizeRules.FitToPixelRange(w, h);
            Assert.Equal((expected.Width, expected.Height), ImageSize.ScaleIntoBounds(w, h));
        }
    }
}
