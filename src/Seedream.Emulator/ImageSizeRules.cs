namespace Seedream.Emulator;

/// <summary>Output width and height in pixels.</summary>
public readonly record struct ImageDimensions(int Width, int Height)
{
    public long Pixels => (long)Width * Height;
    public override string ToString() => $"{Width}x{Height}";
}

/// <summary>What a model does with a custom <c>{width, height}</c> outside its bounds.</summary>
public enum CustomSizePolicy
{
    /// <summary>Scaled into the pixel range keeping the aspect ratio (the schema says "adjusted by scaling").</summary>
    Scale,

    /// <summary>Refused with a 422 <c>value_error</c> (the schema says "must be", and nothing about scaling).</summary>
    Refuse,

    /// <summary>Each side is a bounded field of its own (<c>ge</c>/<c>le</c> on width and height).</summary>
    PerSide,
}

/// <summary>
/// One model's output size rules: the accepted <c>image_size</c> enum, the pixel bounds, and how
/// presets and custom sizes become an output size. Presets start from the fal toolkit sizes and
/// are scaled into the model's range (every Seedream model accepts them although most lie below
/// its floor); <c>auto_*</c> presets take the aspect ratio of the first used input image (a square
/// without one) at the named area; plain <c>auto</c> keeps the first input's own size, scaled into
/// range. fal documents neither the preset nor the auto semantics: both are guesses (see README).
/// </summary>
public sealed class SizeRules
{
    /// <summary>fal toolkit preset sizes (fal's <c>ImageSize</c> presets).</summary>
    private static readonly Dictionary<string, ImageDimensions> ToolkitSizes = new(StringComparer.Ordinal)
    {
        ["square_hd"] = new(1024, 1024),
        ["square"] = new(512, 512),
        ["portrait_4_3"] = new(768, 1024),
        ["portrait_16_9"] = new(576, 1024),
        ["landscape_4_3"] = new(1024, 768),
        ["landscape_16_9"] = new(1024, 576),
    };

    /// <summary>Upper bound of a custom width or height (fal toolkit <c>ImageSize</c>).</summary>
    public const int MaxCustomDimension = 14142;

    private readonly Dictionary<string, long> _autoAreas;

    private SizeRules(long minPixels, long maxPixels, CustomSizePolicy policy, string rule, IEnumerable<(string Name, long Area)> autos,
        bool plainAuto = false, string? defaultPreset = null, ImageDimensions? defaultCustom = null,
        int minSide = 0, int maxSide = 0, double maxAspect = 0)
    {
        MinPixels = minPixels;
        MaxPixels = maxPixels;
        Policy = policy;
        Rule = rule;
        _autoAreas = autos.ToDictionary(a => a.Name, a => a.Area, StringComparer.Ordinal);
        HasPlainAuto = plainAuto;
        DefaultPreset = defaultPreset;
        DefaultCustom = defaultCustom;
        MinSide = minSide;
        MaxSide = maxSide;
        MaxAspect = maxAspect;
        var names = ToolkitSizes.Keys.ToList();
        if (plainAuto) names.Add("auto");
        names.AddRange(_autoAreas.Keys);
        PresetNames = names;
    }

    public long MinPixels { get; }
    public long MaxPixels { get; }
    public CustomSizePolicy Policy { get; }

    /// <summary>The schema's own sentence about sizes (also the text of a refusal).</summary>
    public string Rule { get; }

    /// <summary>Per-side bounds (<see cref="CustomSizePolicy.PerSide"/>, and 4.5's "or" rule); 0 when none.</summary>
    public int MinSide { get; }
    public int MaxSide { get; }

    /// <summary>Largest accepted aspect ratio (and 1/this the smallest); 0 when unbounded.</summary>
    public double MaxAspect { get; }

    public bool HasPlainAuto { get; }

    /// <summary>Default when <c>image_size</c> is absent: a preset name, or else <see cref="DefaultCustom"/>.</summary>
    public string? DefaultPreset { get; }
    public ImageDimensions? DefaultCustom { get; }

    /// <summary>Accepted <c>image_size</c> enum values, in schema order.</summary>
    public IReadOnlyList<string> PresetNames { get; }

    public bool IsPreset(string name) => PresetNames.Contains(name, StringComparer.Ordinal);

    // Sources: see SeedreamEndpoints (each profile names the schema these come from).

    /// <summary>5.0 Lite: total pixels 2560x1440..4096x4096, scaled; auto_2K/3K/4K; default auto_2K.</summary>
    public static SizeRules V5Lite { get; } = new(2560L * 1440, 4096L * 4096, CustomSizePolicy.Scale,
        "Total pixels must be between 2560x1440 and 4096x4096",
        [("auto_2K", 2048L * 2048), ("auto_3K", 3072L * 3072), ("auto_4K", 4096L * 4096)], defaultPreset: "auto_2K");

    /// <summary>5.0 Pro: total pixels 1024x1024..2048x2048, aspect 1/16..16, refused outside; auto_1K/2K; default auto_2K.</summary>
    public static SizeRules V5Pro { get; } = new(1024L * 1024, 2048L * 2048, CustomSizePolicy.Refuse,
        "Total pixels must be between 1024x1024 and 2048x2048, with aspect ratio between 1/16 and 16",
        [("auto_1K", 1024L * 1024), ("auto_2K", 2048L * 2048)], defaultPreset: "auto_2K", maxAspect: 16);

    /// <summary>4.5: width and height 1920..4096, or total pixels 2560x1440..4096x4096; refused outside; default 2048x2048.</summary>
    public static SizeRules V45 { get; } = new(2560L * 1440, 4096L * 4096, CustomSizePolicy.Refuse,
        "Width and height must be between 1920 and 4096, or total number of pixels must be between 2560*1440 and 4096*4096",
        [("auto_2K", 2048L * 2048), ("auto_4K", 4096L * 4096)], defaultCustom: new(2048, 2048), minSide: 1920, maxSide: 4096);

    /// <summary>
    /// 4.0 edit: at least 921600 pixels, smaller sizes scaled up. No upper bound is published; the
    /// emulator scales anything above 4096x4096 down (its renderer's limit, a guess).
    /// </summary>
    public static SizeRules V4Edit { get; } = new(921_600, 4096L * 4096, CustomSizePolicy.Scale,
        "The minimum total image area is 921600 pixels",
        [("auto_2K", 2048L * 2048), ("auto_4K", 4096L * 4096)], plainAuto: true, defaultCustom: new(2048, 2048));

    /// <summary>4.0 text-to-image: total pixels 960x960..4096x4096, refused outside; default 2048x2048.</summary>
    public static SizeRules V4TextToImage { get; } = new(960L * 960, 4096L * 4096, CustomSizePolicy.Refuse,
        "Total pixels must be between 960x960 and 4096x4096",
        [("auto_2K", 2048L * 2048), ("auto_4K", 4096L * 4096)], plainAuto: true, defaultCustom: new(2048, 2048));

    /// <summary>3.0 text-to-image: width and height each 512..2048 (field bounds); toolkit presets only; default square_hd.</summary>
    public static SizeRules V3 { get; } = new(512L * 512, 2048L * 2048, CustomSizePolicy.PerSide,
        "Width and height must be between 512 and 2048",
        [], defaultPreset: "square_hd", minSide: 512, maxSide: 2048);

    /// <summary>
    /// Null when a custom size is acceptable, else why not (the schema's rule). Only
    /// <see cref="CustomSizePolicy.Refuse"/> refuses here; per-side bounds are checked field by field.
    /// </summary>
    public string? Problem(ImageDimensions size)
    {
        if (Policy != CustomSizePolicy.Refuse) return null;
        var sidesOk = MinSide > 0 && size.Width >= MinSide && size.Width <= MaxSide && size.Height >= MinSide && size.Height <= MaxSide;
        var pixelsOk = size.Pixels >= MinPixels && size.Pixels <= MaxPixels;
        var aspectOk = MaxAspect <= 0 || (Aspect(size) <= MaxAspect && Aspect(size) >= 1 / MaxAspect);
        return (sidesOk || pixelsOk) && aspectOk ? null : Rule;
    }

    /// <summary>Size for an absent <c>image_size</c>.</summary>
    public ImageDimensions ResolveDefault(ImageDimensions? firstInput = null) =>
        DefaultPreset is { } preset ? Resolve(preset, firstInput) : Resolve(DefaultCustom!.Value.Width, DefaultCustom.Value.Height);

    /// <summary>
    /// Size for an enum value. <paramref name="firstInput"/> (the first used input image) is only
    /// read by the auto presets; without it they fall back to a square.
    /// </summary>
    /// <exception cref="ArgumentException">Not one of this model's presets.</exception>
    public ImageDimensions Resolve(string preset, ImageDimensions? firstInput = null)
    {
        var input = firstInput is { Width: > 0, Height: > 0 } given ? given : (ImageDimensions?)null;
        if (ToolkitSizes.TryGetValue(preset, out var toolkit))
            return FitToPixelRange(toolkit.Width, toolkit.Height);
        if (_autoAreas.TryGetValue(preset, out var area))
            return ForAspectRatio(input is { } i ? Aspect(i) : 1.0, area);
        if (HasPlainAuto && preset == "auto")
            return input is { } own ? FitToPixelRange(own.Width, own.Height) : ResolveDefault();
        throw new ArgumentException($"Unknown image_size preset '{preset}'.", nameof(preset));
    }

    /// <summary>Size for an accepted custom <c>{width, height}</c>: kept when in range, else scaled into it.</summary>
    public ImageDimensions Resolve(int width, int height) => FitToPixelRange(width, height);

    /// <summary>
    /// Keeps sizes inside the pixel range (and aspect bound); scales smaller ones up (ceiling, so
    /// the result is not below the floor) and larger ones down (floor, so it is not above the cap),
    /// keeping the aspect ratio.
    /// </summary>
    public ImageDimensions FitToPixelRange(int width, int height)
    {
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), "Width and height must be positive.");
        if (MaxAspect > 0)
        {
            // Pro only: an input far wider than 16:1 gives a 16:1 auto size rather than a refused one.
            if ((double)width / height > MaxAspect) width = (int)Math.Floor(height * MaxAspect);
            else if ((double)height / width > MaxAspect) height = (int)Math.Floor(width * MaxAspect);
        }

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
    public ImageDimensions ForAspectRatio(double aspect, long area)
    {
        if (!(aspect > 0) || double.IsInfinity(aspect)) throw new ArgumentOutOfRangeException(nameof(aspect));
        var w = Math.Max(1, (int)Math.Round(Math.Sqrt(area * aspect)));
        var h = Math.Max(1, (int)Math.Round(Math.Sqrt(area / aspect)));
        return FitToPixelRange(w, h);
    }

    private static double Aspect(ImageDimensions size) => (double)size.Width / size.Height;
}

/// <summary>
/// The size rules of Seedream 5.0 Lite (edit and text-to-image), kept as a static façade because
/// other test projects compare the module's own scaling with it.
/// </summary>
public static class ImageSizeRules
{
    public const long MinPixels = 2560L * 1440L;
    public const long MaxPixels = 4096L * 4096L;
    /// <summary>Upper bound of a custom width or height (fal toolkit <c>ImageSize</c>).</summary>
    public const int MaxCustomDimension = SizeRules.MaxCustomDimension;
    public const string DefaultPreset = "auto_2K";

    /// <summary>All accepted <c>image_size</c> enum values, in schema order.</summary>
    public static IReadOnlyList<string> PresetNames => SizeRules.V5Lite.PresetNames;

    public static bool IsPreset(string name) => SizeRules.V5Lite.IsPreset(name);

    /// <inheritdoc cref="SizeRules.Resolve(string, ImageDimensions?)"/>
    public static ImageDimensions Resolve(string preset, ImageDimensions? firstInput = null) => SizeRules.V5Lite.Resolve(preset, firstInput);

    /// <inheritdoc cref="SizeRules.Resolve(int, int)"/>
    public static ImageDimensions Resolve(int width, int height) => SizeRules.V5Lite.Resolve(width, height);

    /// <inheritdoc cref="SizeRules.FitToPixelRange"/>
    public static ImageDimensions FitToPixelRange(int width, int height) => SizeRules.V5Lite.FitToPixelRange(width, height);

    /// <inheritdoc cref="SizeRules.ForAspectRatio"/>
    public static ImageDimensions ForAspectRatio(double aspect, long area) => SizeRules.V5Lite.ForAspectRatio(aspect, area);
}
