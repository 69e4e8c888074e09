using System;
using System.Collections.Generic;
using System.Linq;

namespace Seedream.Emulator;

/// <summary>Output width and height in pixels.</summary>
public readonly record struct ImageDimensions(int Width, int Height)
{
    public long Pixels => (long)Width * Height;
    public override string ToString() => $"{Width}x{Height}";
}

/// <summary>
/// Output size rules of Seedream v5 lite edit: the total pixel count must lie in
/// [2560*1440, 4096*4096]; sizes outside are scaled keeping the aspect ratio.
/// Presets start from the fal toolkit sizes; <c>auto_2K</c>/<c>auto_3K</c>/<c>auto_4K</c> follow the
/// aspect ratio of the first used input image at 2048² / 3072² / 4096² pixels. The 4K preset and
/// the 4096² bound are the schema fal's JS client types publish from mid-2026 (earlier: 3072²).
/// </summary>
public static class ImageSizeRules
{
    public const long MinPixels = 2560L * 1440L;
    public const long MaxPixels = 4096L * 4096L;
    /// <summary>Upper bound of a custom width or height (fal toolkit <c>ImageSize</c>).</summary>
    public const int MaxCustomDimension = 14142;
    public const string DefaultPreset = "auto_2K";

    private static readonly Dictionary<string, ImageDimensions> ToolkitSizes = new(StringComparer.Ordinal)
    {
        ["square_hd"] = new(1024, 1024),
        ["square"] = new(512, 512),
        ["portrait_4_3"] = new(768, 1024),
        ["portrait_16_9"] = new(576, 1024),
        ["landscape_4_3"] = new(1024, 768),
        ["landscape_16_9"] = new(1024, 576),
    };

    private static readonly Dictionary<string, long> AutoAreas = new(StringComparer.Ordinal)
    {
        ["auto_2K"] = 2048L * 2048L,
        ["auto_3K"] = 3072L * 3072L,
        ["auto_4K"] = 4096L * 4096L,
    };

    /// <summary>All accepted <c>image_size</c> enum values, in schema order.</summary>
    public static IReadOnlyList<string> PresetNames { get; } =
        ToolkitSizes.Keys.Concat(AutoAreas.Keys).ToArray();

    public static bool IsPreset(string name) => ToolkitSizes.ContainsKey(name) || AutoAreas.ContainsKey(name);

    /// <summary>
    /// Size for an enum value. <paramref name="firstInput"/> (the first used input image) is only
    /// read by the auto presets; without it they fall back to a square.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown preset.</exception>
    public static ImageDimensions Resolve(string preset, ImageDimensions? firstInput = null)
    {
        if (ToolkitSizes.TryGetValue(preset, out var toolkit))
            return FitToPixelRange(toolkit.Width, toolkit.Height);
        if (AutoAreas.TryGetValue(preset, out var area))
        {
            var aspect = firstInput is { Width: > 0, Height: > 0 } input ? (double)input.Width / input.Height : 1.0;
            return ForAspectRatio(aspect, area);
        }

        throw new ArgumentException($"Unknown image_size preset '{preset}'.", nameof(preset));
    }

    /// <summary>Size for a custom <c>{width, height}</c>: kept when in range, else scaled into it.</summary>
    public static ImageDimensions Resolve(int width, int height) => FitToPixelRange(width, height);

    /// <summary>
    /// Keeps sizes inside the pixel range; scales smaller ones up (ceiling, so the result is not
    /// below the floor) and larger ones down (floor, so it is not above the cap), keeping the aspect ratio.
    /// </summary>
    public static ImageDimensions FitToPixelRange(int width, int height)
    {
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), "Width and height must be positive.");
        var pixels = (long)width * height;
        if (pixels >= MinPixels && pixels <= MaxPixels) return new(width, height);

        if (pixels < MinPixels)
        {
            var scale = Math.Sqrt((double)MinPixels / pixels);
            // The epsilon keeps exact products (1024 * 1.875) from being bumped by float noise.
            var w = (long)Math.Ceiling(width * scale - 1e-7);
            var h = (long)Math.Ceiling(height * scale - 1e-7);
            // Guard against floating-point shortfall right at the boundary.
            while (w * h < MinPixels) { if (w <= h) w++; else h++; }
            return new((int)w, (int)h);
        }
        else
        {
            var scale = Math.Sqrt((double)MaxPixels / pixels);
            var w = Math.Max(1L, (long)Math.Floor(width * scale + 1e-7));
            var h = Math.Max(1L, (long)Math.Floor(height * scale + 1e-7));
            while (w * h > MaxPixels) { if (w >= h) w--; else h--; }
            return new((int)w, (int)h);
        }
    }

    /// <summary>Width/height with the given aspect ratio (w/h) and about <paramref name="area"/> pixels, kept in range.</summary>
    public static ImageDimensions ForAspectRatio(double aspect, long area)
    {
        if (!(aspect > 0) || double.IsInfinity(aspect)) throw new ArgumentOutOfRangeException(nameof(aspect));
        var w = Math.Max(1, (int)Math.Round(Math.Sqrt(area * aspect)));
        var h = Math.Max(1, (int)Math.Round(Math.Sqrt(area / aspect)));
        return FitToPixelRange(w, h);
    }
}
