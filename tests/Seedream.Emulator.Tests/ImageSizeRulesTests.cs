using System;
using Xunit;

namespace Seedream.Emulator.Tests;

public class ImageSizeRulesTests
{
    [Theory]
    [InlineData("square_hd", 1920, 1920)]
    [InlineData("square", 1920, 1920)]
    [InlineData("landscape_16_9", 2560, 1440)]
    [InlineData("portrait_16_9", 1440, 2560)]
    [InlineData("landscape_4_3", 2218, 1663)]
    [InlineData("portrait_4_3", 1663, 2218)]
    public void Presets_start_from_toolkit_sizes_and_scale_up_to_the_pixel_floor(string preset, int width, int height)
    {
        var size = ImageSizeRules.Resolve(preset);
        Assert.Equal(new ImageDimensions(width, height), size);
        Assert.InRange(size.Pixels, ImageSizeRules.MinPixels, ImageSizeRules.MaxPixels);
    }

    [Fact]
    public void Auto_sizes_follow_the_aspect_ratio_of_the_first_input()
    {
        Assert.Equal(new ImageDimensions(2048, 2048), ImageSizeRules.Resolve("auto_2K", new ImageDimensions(500, 500)));
        Assert.Equal(new ImageDimensions(3072, 3072), ImageSizeRules.Resolve("auto_3K", new ImageDimensions(64, 64)));
        Assert.Equal(new ImageDimensions(2048, 2048), ImageSizeRules.Resolve("auto_2K")); // no input: square

        var wide = ImageSizeRules.Resolve("auto_2K", new ImageDimensions(300, 100));
        Assert.Equal(new ImageDimensions(3547, 1182), wide);
        var tall = ImageSizeRules.Resolve("auto_3K", new ImageDimensions(1080, 1920));
        Assert.Equal(9.0 / 16.0, (double)tall.Width / tall.Height, 2);
        Assert.InRange(tall.Pixels, ImageSizeRules.MinPixels, ImageSizeRules.MaxPixels);
        Assert.True(tall.Pixels > wide.Pixels);
    }

    [Theory]
    [InlineData(2560, 1440)]
    [InlineData(3072, 3072)]
    [InlineData(4096, 4096)]
    [InlineData(2000, 2000)]
    [InlineData(1921, 1920)]
    public void Custom_sizes_inside_the_range_are_kept_exactly(int width, int height)
    {
        Assert.Equal(new ImageDimensions(width, height), ImageSizeRules.Resolve(width, height));
    }

    [Theory]
    [InlineData(1280, 720, 2560, 1440)]
    [InlineData(8192, 8192, 4096, 4096)]
    [InlineData(1, 1, 1920, 1920)]
    [InlineData(14142, 14142, 4096, 4096)]
    public void Custom_sizes_outside_the_range_are_scaled_keeping_the_aspect_ratio(int width, int height, int expectedWidth, int expectedHeight)
    {
        Assert.Equal(new ImageDimensions(expectedWidth, expectedHeight), ImageSizeRules.Resolve(width, height));
    }

    [Theory]
    [InlineData(1000, 333)]
    [InlineData(333, 1000)]
    [InlineData(14000, 1400)]
    [InlineData(5000, 4999)]
    [InlineData(7, 13)]
    public void Scaling_rounds_so_the_result_lands_inside_the_range(int width, int height)
    {
        var size = ImageSizeRules.Resolve(width, height);
        Assert.InRange(size.Pixels, ImageSizeRules.MinPixels, ImageSizeRules.MaxPixels);
        Assert.Equal((double)width / height, (double)size.Width / size.Height, 1);
        var scaledUp = (long)width * height < ImageSizeRules.MinPixels;
        // Up: ceiling (never below the floor by rounding); down: floor (never above the cap).
        Assert.Equal(scaledUp, size.Width >= width);
    }

    [Fact]
    public void Unknown_preset_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => ImageSizeRules.Resolve("auto_8K"));
        Assert.Equal(9, ImageSizeRules.PresetNames.Count);
        Assert.Contains("auto_4K", ImageSizeRules.PresetNames);
    }
}
