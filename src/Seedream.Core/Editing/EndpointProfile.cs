namespace Seedream
{
    /// <summary>What an endpoint does: edit input images, or make images from text alone.</summary>
    public enum EndpointKind
    {
        Edit,
        TextToImage,
    }

    /// <summary>What happens to a custom size outside an endpoint's pixel bounds.</summary>
    public enum OutOfBoundsSize
    {
        /// <summary>The model scales it into the bounds, keeping the aspect ratio (the schema says so).</summary>
        Scaled,
        /// <summary>The schema states the bounds as a rule ("must be between"): the module refuses the size.</summary>
        Refused,
    }

    /// <summary>
    /// One endpoint's schema as the module checks it before sending, with where each fact came from.
    /// The checks exist to save a round trip: -AdditionalInput may still send any field or value.
    /// </summary>
    public sealed class EndpointProfile
    {
        internal EndpointProfile(string id, string name, EndpointKind kind) { Id = id; Name = name; Kind = kind; }

        /// <summary>The id the module sends by default (as the newest source lists it).</summary>
        public string Id { get; }
        /// <summary>Other ids fal accepts for the same model (with or without the fal-ai/ prefix).</summary>
        public string[] Aliases { get; internal set; } = Array.Empty<string>();
        /// <summary>Every id of the endpoint: <see cref="Id"/> first, then <see cref="Aliases"/>.</summary>
        public IEnumerable<string> Ids => new[] { Id }.Concat(Aliases);
        public string Name { get; }
        public EndpointKind Kind { get; }

        /// <summary>The API fields the schema lists.</summary>
        public string[] Fields { get; internal set; } = Array.Empty<string>();
        public string[] SizePresets { get; internal set; } = Array.Empty<string>();
        public string? DefaultSize { get; internal set; }
        public string[] OutputFormats { get; internal set; } = Array.Empty<string>();
        public string[] EnhancePromptModes { get; internal set; } = Array.Empty<string>();

        /// <summary>num_images 1..this.</summary>
        public int MaxNumImages { get; internal set; } = 6;
        /// <summary>max_images 1..this; null when the endpoint has no max_images.</summary>
        public int? MaxMaxImages { get; internal set; }
        /// <summary>Input images used (more are accepted; only the last ones are used); 0 for text-to-image.</summary>
        public int MaxInputImages { get; internal set; }
        /// <summary>Input images plus the most output images (num_images × max_images) may not exceed this.</summary>
        public int? MaxInputsPlusOutputs { get; internal set; }

        /// <summary>Total pixel bounds of a custom size; null when the schema states none.</summary>
        public long? MinPixels { get; internal set; }
        public long? MaxPixels { get; internal set; }
        /// <summary>Bounds of each side of a custom size; null when the schema states none.</summary>
        public int? MinSide { get; internal set; }
        public int? MaxSide { get; internal set; }
        /// <summary>
        /// True when a custom size is fine if EITHER both sides are within the side bounds OR its total
        /// pixels are within the pixel bounds (Seedream 4.5's wording); false when every bound applies.
        /// </summary>
        public bool SidesOrPixels { get; internal set; }
        /// <summary>The widest aspect ratio (16 means 1:16 to 16:1); null when the schema states none.</summary>
        public double? MaxAspectRatio { get; internal set; }
        public OutOfBoundsSize OutOfBounds { get; internal set; } = OutOfBoundsSize.Refused;

        /// <summary>USD per output image; null when no price was found.</summary>
        public decimal? PricePerImage { get; internal set; }
        /// <summary>
        /// A higher price per image for outputs above <see cref="PriceTierPixels"/> total pixels (5.0 Pro), and
        /// the extra per input image beyond the first; null when the price is flat.
        /// </summary>
        public decimal? PriceAboveTier { get; internal set; }
        public long? PriceTierPixels { get; internal set; }
        public decimal? PricePerExtraInput { get; internal set; }
        /// <summary>True when the price comes from a third-party listing, not from fal.</summary>
        public bool PriceIsThirdParty { get; internal set; }
        public string PriceSource { get; internal set; } = "not found";
        public string? PriceDate { get; internal set; }
        /// <summary>What to know about the price (third-party, tiers, not found).</summary>
        public string PriceNote { get; internal set; } = string.Empty;

        public string SchemaSource { get; internal set; } = string.Empty;
        public string SchemaDate { get; internal set; } = string.Empty;
        /// <summary>Limits the sources do not state and the module assumed (said so in Get-SeedreamModel).</summary>
        public string? Note { get; internal set; }

        public bool Accepts(string field) => Array.IndexOf(Fields, field) >= 0;

        /// <summary>The size bounds in words, e.g. "2560x1440..4096x4096 px, scaled".</summary>
        public string DescribeSizeBounds()
        {
            var parts = new List<string>();
            if (MinSide.HasValue || MaxSide.HasValue) parts.Add($"sides {MinSide ?? 1}..{MaxSide ?? ImageSize.MaxSide}");
            if (MinPixels.HasValue || MaxPixels.HasValue)
                parts.Add((MinPixels.HasValue ? Square(MinPixels.Value) : "") + ".." + (MaxPixels.HasValue ? Square(MaxPixels.Value) : "") + " px");
            var text = string.Join(SidesOrPixels ? " or " : ", ", parts);
            if (MaxAspectRatio.HasValue) text += string.Format(CultureInfo.InvariantCulture, ", aspect 1:{0}..{0}:1", MaxAspectRatio.Value);
            if (text.Length == 0) text = "any";
            return text + (OutOfBounds == OutOfBoundsSize.Scaled ? " (scaled into range)" : "");
        }

        /// <summary>2560x1440 for 3686400, 4096x4096 for a square count; else the count.</summary>
        public static string Square(long pixels)
        {
            if (pixels == 2560L * 1440) return "2560x1440";
            var side = (long)Math.Round(Math.Sqrt(pixels));
            return side * side == pixels ? $"{side}x{side}" : pixels.ToString("N0", CultureInfo.InvariantCulture);
        }

        public override string ToString() => Id;
    }

    /// <summary>
    /// The Seedream endpoints the module knows, as data. Every limit names its source:
    /// [JS-2608] fal-js libs/client/src/types/endpoints.ts at 381105e (2026-08-02);
    /// [NPM-1.10.1] the types published with @fal-ai/client 1.10.1 (2026-08);
    /// [fal page] fal's model pages and llms.txt (read 2026-08; the llms.txt files are undated).
    /// </summary>
    public static class EndpointProfiles
    {
        private const string Js2608 = "fal-js endpoints.ts @381105e";
        private const string Js2608Date = "2026-08-02";
        private const string Npm1101 = "@fal-ai/client 1.10.1 types";
        private const string Npm1101Date = "2026-08";
        private const string NotFoundNote = "no price found on a fal page: cost unknown";

        /// <summary>fal's generic presets, shared by every Seedream endpoint.</summary>
        private static readonly string[] GenericPresets = { "square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9" };
        private static string[] Presets(params string[] extra) => GenericPresets.Concat(extra).ToArray();

        private static readonly string[] Common = { "prompt", "image_size", "num_images", "sync_mode", "enable_safety_checker" };
        private static string[] FieldsOf(params string[] extra) => Common.Concat(extra).ToArray();

        private const long Lite5Min = 2560L * 1440, Max4096 = 4096L * 4096;

        public static readonly EndpointProfile V5LiteEdit = new EndpointProfile("fal-ai/bytedance/seedream/v5/lite/edit", "Seedream 5.0 Lite Edit", EndpointKind.Edit)
        {
            Aliases = new[] { "bytedance/seedream/v5/lite/edit" },
            // seed and enhance_prompt_mode: one version of fal's llms.txt lists them; the module has always sent them.
            Fields = FieldsOf("image_urls", "max_images", "seed", "enhance_prompt_mode"),
            SizePresets = Presets("auto_2K", "auto_3K", "auto_4K"),
            DefaultSize = "auto_2K",
            EnhancePromptModes = new[] { "standard", "fast" },
            MaxMaxImages = 6,
            MaxInputImages = 10,
            MinPixels = Lite5Min, MaxPixels = Max4096, OutOfBounds = OutOfBoundsSize.Scaled,
            PricePerImage = 0.035m,
            PriceSource = "fal model page llms.txt (v5/lite/edit)", PriceDate = "undated, read 2026-08",
            SchemaSource = Js2608 + "; ranges: fal model page", SchemaDate = Js2608Date,
        };

        public static readonly EndpointProfile V5LiteTextToImage = new EndpointProfile("fal-ai/bytedance/seedream/v5/lite/text-to-image", "Seedream 5.0 Lite", EndpointKind.TextToImage)
        {
            Aliases = new[] { "bytedance/seedream/v5/lite/text-to-image" },
            // seed and enhance_prompt_mode as on the Lite edit (fal ignores a field a model lacks, so
            // sending them never fails there; refusing them could block what fal accepts).
            Fields = FieldsOf("max_images", "seed", "enhance_prompt_mode", "return_byteplus_urls"),
            SizePresets = Presets("auto_2K", "auto_3K", "auto_4K"),
            DefaultSize = "auto_2K",
            EnhancePromptModes = new[] { "standard", "fast" },
            MaxMaxImages = 6,
            MinPixels = Lite5Min, MaxPixels = Max4096, OutOfBounds = OutOfBoundsSize.Scaled,
            PricePerImage = 0.035m,
            PriceSource = "fal.ai/learn/tools/how-to-use-seedream-5-lite (same price for generation and editing)", PriceDate = "2026-03-19",
            SchemaSource = Js2608, SchemaDate = Js2608Date,
            Note = "num_images and max_images 1-6 as on the edit endpoint's page",
        };

        private const string ProPriceNote = "third-party listing (muapi.ai): $0.0675 up to 1536x1536, $0.135 up to 2048x2048, +$0.0045 per extra input image; not confirmed by fal";

        public static readonly EndpointProfile V5ProEdit = new EndpointProfile("bytedance/seedream/v5/pro/edit", "Seedream 5.0 Pro Edit", EndpointKind.Edit)
        {
            Aliases = new[] { "fal-ai/bytedance/seedream/v5/pro/edit" },
            Fields = FieldsOf("image_urls", "output_format"),
            SizePresets = Presets("auto_1K", "auto_2K"),
            DefaultSize = "auto_2K",
            OutputFormats = new[] { "jpeg", "png" },
            MaxInputImages = 10,
            MinPixels = 1024L * 1024, MaxPixels = 2048L * 2048, MaxAspectRatio = 16,
            PricePerImage = 0.0675m, PriceAboveTier = 0.135m, PriceTierPixels = 1536L * 1536, PricePerExtraInput = 0.0045m,
            PriceIsThirdParty = true, PriceSource = "muapi.ai comparison (third party)", PriceDate = "read 2026-08", PriceNote = ProPriceNote,
            SchemaSource = Js2608, SchemaDate = Js2608Date,
            Note = "num_images range not stated: 1-6 as the family",
        };

        public static readonly EndpointProfile V5ProTextToImage = new EndpointProfile("bytedance/seedream/v5/pro/text-to-image", "Seedream 5.0 Pro", EndpointKind.TextToImage)
        {
            Aliases = new[] { "fal-ai/bytedance/seedream/v5/pro/text-to-image" },
            Fields = FieldsOf("output_format"),
            SizePresets = Presets("auto_1K", "auto_2K"),
            DefaultSize = "auto_2K",
            OutputFormats = new[] { "jpeg", "png" },
            MinPixels = 1024L * 1024, MaxPixels = 2048L * 2048, MaxAspectRatio = 16,
            PriceNote = NotFoundNote,
            SchemaSource = Js2608, SchemaDate = Js2608Date,
            Note = "num_images range not stated: 1-6 as the family",
        };

        public static readonly EndpointProfile V45Edit = new EndpointProfile("fal-ai/bytedance/seedream/v4.5/edit", "Seedream 4.5 Edit", EndpointKind.Edit)
        {
            Fields = FieldsOf("image_urls", "max_images", "seed"),
            SizePresets = Presets("auto_2K", "auto_4K"),
            MaxMaxImages = 6,
            MaxInputImages = 10,
            MaxInputsPlusOutputs = 15,
            MinSide = 1920, MaxSide = 4096, MinPixels = Lite5Min, MaxPixels = Max4096, SidesOrPixels = true,
            PricePerImage = 0.04m,
            PriceIsThirdParty = true, PriceSource = "infr.sh aggregator listing fal (third party)", PriceDate = "read 2026-08",
            PriceNote = "third-party listing; not confirmed on a fal page",
            SchemaSource = Js2608 + "; ranges: fal model page", SchemaDate = Js2608Date,
        };

        public static readonly EndpointProfile V45TextToImage = new EndpointProfile("fal-ai/bytedance/seedream/v4.5/text-to-image", "Seedream 4.5", EndpointKind.TextToImage)
        {
            Fields = FieldsOf("max_images", "seed"),
            SizePresets = Presets("auto_2K", "auto_4K"),
            MaxMaxImages = 6,
            MinSide = 1920, MaxSide = 4096, MinPixels = Lite5Min, MaxPixels = Max4096, SidesOrPixels = true,
            PricePerImage = 0.04m,
            PriceSource = "fal.ai/models/fal-ai/bytedance/seedream/v4.5/text-to-image/playground", PriceDate = "read 2026-08",
            SchemaSource = Js2608, SchemaDate = Js2608Date,
        };

        public static readonly EndpointProfile V4Edit = new EndpointProfile("fal-ai/bytedance/seedream/v4/edit", "Seedream 4.0 Edit", EndpointKind.Edit)
        {
            Fields = FieldsOf("image_urls", "max_images", "seed", "enhance_prompt_mode"),
            SizePresets = Presets("auto", "auto_2K", "auto_4K"),
            EnhancePromptModes = new[] { "standard", "fast" },
            MaxMaxImages = 6,
            MaxInputImages = 10,
            MaxInputsPlusOutputs = 15,
            MinPixels = 921600, OutOfBounds = OutOfBoundsSize.Scaled,
            PricePerImage = 0.03m,
            PriceSource = "fal model page llms.txt (v4/edit)", PriceDate = "undated, read 2026-08",
            SchemaSource = Js2608 + "; ranges: fal model page", SchemaDate = Js2608Date,
        };

        public static readonly EndpointProfile V4TextToImage = new EndpointProfile("fal-ai/bytedance/seedream/v4/text-to-image", "Seedream 4.0", EndpointKind.TextToImage)
        {
            Fields = FieldsOf("max_images", "seed", "enhance_prompt_mode"),
            SizePresets = Presets("auto", "auto_2K", "auto_4K"),
            EnhancePromptModes = new[] { "standard", "fast" },
            MaxMaxImages = 6,
            MinPixels = 960L * 960, MaxPixels = Max4096,
            PriceNote = NotFoundNote,
            SchemaSource = Js2608, SchemaDate = Js2608Date,
        };

        public static readonly EndpointProfile V3TextToImage = new EndpointProfile("fal-ai/bytedance/seedream/v3/text-to-image", "Seedream 3.0", EndpointKind.TextToImage)
        {
            Fields = FieldsOf("seed", "guidance_scale"),
            SizePresets = Presets(),
            MinSide = 512, MaxSide = 2048,
            PriceNote = NotFoundNote,
            SchemaSource = Npm1101 + " (dropped from later types)", SchemaDate = Npm1101Date,
            Note = "num_images range not stated: 1-6 as the family",
        };

        /// <summary>Every profile: edit endpoints first, newest first, then text-to-image.</summary>
        public static IReadOnlyList<EndpointProfile> All { get; } = new[]
        {
            V5LiteEdit, V5ProEdit, V45Edit, V4Edit,
            V5LiteTextToImage, V5ProTextToImage, V45TextToImage, V4TextToImage, V3TextToImage,
        };

        private const string FalNamespace = "fal-ai/";

        // Every id, and its other spelling: fal lists some ids with and some without the fal-ai/
        // namespace, and either finds the profile (the request is still sent to the id as given).
        // A listed id wins over another profile's other spelling.
        private static readonly Dictionary<string, EndpointProfile> ById = BuildIndex();

        private static Dictionary<string, EndpointProfile> BuildIndex()
        {
            var index = new Dictionary<string, EndpointProfile>(StringComparer.Ordinal);
            foreach (var p in All)
                foreach (var id in p.Ids) index[id] = p;
            foreach (var p in All)
                foreach (var id in p.Ids)
                {
                    var other = id.StartsWith(FalNamespace, StringComparison.Ordinal) ? id.Substring(FalNamespace.Length) : FalNamespace + id;
                    if (!index.ContainsKey(other)) index[other] = p;
                }
            return index;
        }

        /// <summary>The profile of an endpoint id (any of its ids, with or without fal-ai/ and surrounding slashes); null when the module has none.</summary>
        public static EndpointProfile? Find(string? endpoint) =>
            endpoint != null && ById.TryGetValue(endpoint.Trim().Trim('/'), out var profile) ? profile : null;
    }
}
