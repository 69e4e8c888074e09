namespace Seedream.Emulator;

/// <summary>Whether an endpoint edits input images or generates from the prompt alone.</summary>
public enum ModelKind
{
    Edit,
    TextToImage,
}

/// <summary>
/// One Seedream endpoint the emulator serves: its ids, the input fields it accepts, their bounds,
/// its size rules and the shape of its output. Fields a profile does not list are ignored, as
/// fal's pydantic input models ignore unknown fields (so <c>seed</c> sent to Pro, or
/// <c>image_urls</c> sent to a text-to-image endpoint, changes nothing).
/// </summary>
public sealed record SeedreamEndpoint
{
    public required string Name { get; init; }
    public required ModelKind Kind { get; init; }

    /// <summary>Every id the endpoint answers to (fal lists some with and some without <c>fal-ai/</c>).</summary>
    public required IReadOnlyList<string> Ids { get; init; }

    public required SizeRules Sizes { get; init; }

    /// <summary>Upper bound of <c>num_images</c> (lower bound 1).</summary>
    public int MaxNumImages { get; init; } = 6;

    /// <summary>Accepts <c>max_images</c> 1..6 (multi-image generation).</summary>
    public bool AcceptsMaxImages { get; init; }

    public bool AcceptsSeed { get; init; }

    /// <summary><c>enhance_prompt_mode</c>: <c>standard</c> | <c>fast</c>.</summary>
    public bool AcceptsEnhancePromptMode { get; init; }

    /// <summary><c>output_format</c>: <c>jpeg</c> (default) | <c>png</c>; other models always answer PNG.</summary>
    public bool AcceptsOutputFormat { get; init; }

    /// <summary><c>guidance_scale</c>: a number (3.0 only; no range published, so any finite number).</summary>
    public bool AcceptsGuidanceScale { get; init; }

    /// <summary><c>return_byteplus_urls</c>: a boolean (5.0 Lite text-to-image; accepted, no effect).</summary>
    public bool AcceptsReturnByteplusUrls { get; init; }

    /// <summary>4.x: used input images + images of one generation (<c>max_images</c>) must not exceed this.</summary>
    public int? MaxImagesInAndOut { get; init; }

    /// <summary>Output carries <c>seed</c> next to <c>images</c>.</summary>
    public bool ReturnsSeed { get; init; }

    /// <summary>Where the schema comes from, with its date.</summary>
    public required string Source { get; init; }

    public string KindName => Kind == ModelKind.Edit ? "edit" : "text-to-image";
}

/// <summary>
/// The endpoints served, one profile each. Sources (all public):
/// [JS-2608] fal-js <c>libs/client/src/types/endpoints.ts</c> at commit 381105e (2026-08-02);
/// [NPM-1.10.1] the types published with <c>@fal-ai/client</c> 1.10.1 (the only source still
/// listing 3.0 text-to-image); [PAGE] fal's model pages / llms.txt (v4, v4.5, v5 lite edit), as
/// captured in the project's protocol research. Where no source states a bound (Pro's and 3.0's
/// <c>num_images</c>), the family's 1..6 is used.
/// </summary>
public static class SeedreamEndpoints
{
    public static IReadOnlyList<SeedreamEndpoint> All { get; } =
    [
        new()
        {
            Name = "Seedream 5.0 Lite Edit", Kind = ModelKind.Edit, Sizes = SizeRules.V5Lite,
            Ids = ["fal-ai/bytedance/seedream/v5/lite/edit", "bytedance/seedream/v5/lite/edit"],
            // seed and enhance_prompt_mode: one variant of the model page lists them, and the module sends them.
            AcceptsMaxImages = true, AcceptsSeed = true, AcceptsEnhancePromptMode = true, ReturnsSeed = true,
            Source = "[JS-2608] fal-js endpoints.ts 381105e, 2026-08-02; num/max_images 1-6 and seed/enhance_prompt_mode: fal model page llms.txt",
        },
        new()
        {
            Name = "Seedream 5.0 Lite", Kind = ModelKind.TextToImage, Sizes = SizeRules.V5Lite,
            Ids = ["fal-ai/bytedance/seedream/v5/lite/text-to-image", "bytedance/seedream/v5/lite/text-to-image"],
            // Same family rules as the edit (seed accepted like the edit's page variant).
            AcceptsMaxImages = true, AcceptsSeed = true, AcceptsEnhancePromptMode = true, AcceptsReturnByteplusUrls = true, ReturnsSeed = true,
            Source = "[JS-2608] fal-js endpoints.ts 381105e, 2026-08-02 (SeedDream50LiteT2IInput)",
        },
        new()
        {
            Name = "Seedream 5.0 Pro Edit", Kind = ModelKind.Edit, Sizes = SizeRules.V5Pro,
            Ids = ["bytedance/seedream/v5/pro/edit", "fal-ai/bytedance/seedream/v5/pro/edit"],
            AcceptsOutputFormat = true,
            Source = "[JS-2608] fal-js endpoints.ts 381105e, 2026-08-02 (SeedreamV5ProEditInput; num_images range not stated: 1-6 assumed)",
        },
        new()
        {
            Name = "Seedream 5.0 Pro", Kind = ModelKind.TextToImage, Sizes = SizeRules.V5Pro,
            Ids = ["bytedance/seedream/v5/pro/text-to-image", "fal-ai/bytedance/seedream/v5/pro/text-to-image"],
            AcceptsOutputFormat = true,
            Source = "[JS-2608] fal-js endpoints.ts 381105e, 2026-08-02 (SeedDream50ProT2IInput; num_images range not stated: 1-6 assumed)",
        },
        new()
        {
            Name = "Seedream 4.5 Edit", Kind = ModelKind.Edit, Sizes = SizeRules.V45,
            Ids = ["fal-ai/bytedance/seedream/v4.5/edit"],
            AcceptsMaxImages = true, AcceptsSeed = true, MaxImagesInAndOut = 15,
            Source = "[JS-2608] fal-js endpoints.ts 381105e, 2026-08-02 (SeedDream45EditInput); ranges: fal model page llms.txt",
        },
        new()
        {
            Name = "Seedream 4.5", Kind = ModelKind.TextToImage, Sizes = SizeRules.V45,
            Ids = ["fal-ai/bytedance/seedream/v4.5/text-to-image"],
            AcceptsMaxImages = true, AcceptsSeed = true, ReturnsSeed = true,
            Source = "[JS-2608] fal-js endpoints.ts 381105e, 2026-08-02 (SeedDream45T2IInput)",
        },
        new()
        {
            Name = "Seedream 4.0 Edit", Kind = ModelKind.Edit, Sizes = SizeRules.V4Edit,
            Ids = ["fal-ai/bytedance/seedream/v4/edit"],
            AcceptsMaxImages = true, AcceptsSeed = true, AcceptsEnhancePromptMode = true, MaxImagesInAndOut = 15, ReturnsSeed = true,
            Source = "[JS-2608] fal-js endpoints.ts 381105e, 2026-08-02 (SeedDream4EditInput); ranges: fal model page llms.txt",
        },
        new()
        {
            Name = "Seedream 4.0", Kind = ModelKind.TextToImage, Sizes = SizeRules.V4TextToImage,
            Ids = ["fal-ai/bytedance/seedream/v4/text-to-image"],
            AcceptsMaxImages = true, AcceptsSeed = true, AcceptsEnhancePromptMode = true, ReturnsSeed = true,
            Source = "[JS-2608] fal-js endpoints.ts 381105e, 2026-08-02 (SeedDream4T2IInput)",
        },
        new()
        {
            Name = "Seedream 3.0", Kind = ModelKind.TextToImage, Sizes = SizeRules.V3,
            Ids = ["fal-ai/bytedance/seedream/v3/text-to-image"],
            AcceptsSeed = true, AcceptsGuidanceScale = true, ReturnsSeed = true,
            Source = "[NPM-1.10.1] @fal-ai/client 1.10.1 types (SeedDreamInput; dropped from later types; num_images range not stated: 1-6 assumed)",
        },
    ];

    private static readonly Dictionary<string, SeedreamEndpoint> ById =
        All.SelectMany(e => e.Ids.Select(id => (id, e))).ToDictionary(p => p.id, p => p.e, StringComparer.Ordinal);

    /// <summary>The profile for a full endpoint id, or null when the emulator does not serve it.</summary>
    public static SeedreamEndpoint? Find(string fullId) => ById.GetValueOrDefault(fullId);

    /// <summary>The <c>--help</c> section: one line per served id, with its kind and model.</summary>
    public static string Describe()
    {
        var text = new StringBuilder("Served endpoints (kind, id, model):");
        foreach (var endpoint in All)
            foreach (var id in endpoint.Ids)
                text.Append('\n').Append($"  {endpoint.KindName,-14} {id,-50} {endpoint.Name}");
        return text.ToString();
    }
}
