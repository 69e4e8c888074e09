namespace Seedream
{
    /// <summary>A problem found in an edit request before anything was sent.</summary>
    public sealed class EditProblem(string code, string field, string message, object? value = null)
    {
        /// <summary>Stable code; the module's ErrorId is "Seedream" + Code.</summary>
        public string Code { get; } = code;
        /// <summary>The API field concerned (prompt, image_urls, ...).</summary>
        public string Field { get; } = field;
        public string Message { get; } = message;
        public object? Value { get; } = value;
        public override string ToString() => Message;
    }

    /// <summary>
    /// The input of one Seedream edit, validated against what the schema states before it is sent,
    /// and written as the JSON body fal expects.
    /// </summary>
    public sealed class EditRequest
    {
        public const int MaxInputImages = 10;
        public const int MaxNumImages = 6;
        public const int MaxMaxImages = 6;
        public static readonly string[] EnhancePromptModes = { "standard", "fast" };

        /// <summary>API field names the module sets through its own parameters.</summary>
        public static readonly string[] KnownFields =
        {
            "prompt", "image_urls", "image_size", "num_images", "max_images", "seed", "sync_mode", "enable_safety_checker", "enhance_prompt_mode", "output_format",
        };

        public string? Prompt { get; set; }
        public List<string> ImageUrls { get; set; } = new List<string>();
        public ImageSize? ImageSize { get; set; }
        public int? NumImages { get; set; }
        public int? MaxImages { get; set; }
        public long? Seed { get; set; }
        public bool? SyncMode { get; set; }
        public bool? EnableSafetyChecker { get; set; }
        public string? EnhancePromptMode { get; set; }
        /// <summary>output_format (jpeg or png) where the endpoint has it (5.0 Pro).</summary>
        public string? OutputFormat { get; set; }
        /// <summary>Extra fields merged into the body (schema drift); plain values only.</summary>
        public IDictionary<string, object?>? AdditionalInput { get; set; }

        /// <summary>The most images the request can produce: num_images × max_images (as sent, -AdditionalInput included).</summary>
        public int MaxImageCount => (WholeNumber("num_images") ?? NumImages ?? 1) * (WholeNumber("max_images") ?? MaxImages ?? 1);

        private bool SetsAdditional(string field) => AdditionalInput != null && AdditionalInput.ContainsKey(field);

        private int? WholeNumber(string field) =>
            AdditionalInput != null && AdditionalInput.TryGetValue(field, out var v) && v != null
            && long.TryParse(Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture), out var n) && n > 0 && n < 1000 ? (int)n : (int?)null;

        /// <summary>
        /// Applies the API's own rule for more than 10 inputs (only the last 10 are used), so that only
        /// those are uploaded and sent. Returns the number of images dropped.
        /// </summary>
        public int KeepLastTenImages()
        {
            var drop = ImageUrls.Count - MaxInputImages;
            if (drop <= 0) return 0;
            ImageUrls = ImageUrls.Skip(drop).ToList();
            return drop;
        }

        /// <summary>Everything wrong with the request for Seedream 5.0 Lite Edit; empty when it can be sent.</summary>
        /// <param name="checkImageUrls">False when the images were checked one by one already.</param>
        /// <param name="modelChecks">
        /// False for an endpoint the module has no profile for: only the checks that hold for every
        /// fal endpoint are made (a prompt, usable image references, a body JSON can carry).
        /// </param>
        public IReadOnlyList<EditProblem> Validate(bool checkImageUrls = true, bool modelChecks = true) =>
            Validate(modelChecks ? EndpointProfiles.V5LiteEdit : null, EndpointKind.Edit, checkImageUrls);

        /// <summary>Everything wrong with the request for an endpoint; empty when it can be sent.</summary>
        /// <param name="profile">
        /// The endpoint's profile: its fields, enums, ranges and size rules are checked. Null for an
        /// endpoint the module has no profile for: only the checks that hold for every fal endpoint of
        /// <paramref name="kind"/> are made (a prompt; for an edit, usable image references; a body JSON can carry).
        /// </param>
        /// <param name="kind">What the calling command does, for an endpoint without a profile.</param>
        /// <param name="checkImageUrls">False when the images were checked one by one already.</param>
        public IReadOnlyList<EditProblem> Validate(EndpointProfile? profile, EndpointKind kind, bool checkImageUrls = true)
        {
            var problems = new List<EditProblem>();
            kind = profile?.Kind ?? kind;
            if (string.IsNullOrWhiteSpace(Prompt))
                problems.Add(new EditProblem("PromptEmpty", "prompt", kind == EndpointKind.Edit
                    ? "The prompt is empty. Describe the edit, for example -Prompt 'Make the sky a sunset'."
                    : "The prompt is empty. Describe the image, for example -Prompt 'A lighthouse at dawn'.", Prompt));
            if (kind == EndpointKind.Edit && ImageUrls.Count == 0)
                problems.Add(new EditProblem("ImageRequired", "image_urls", "At least one input image is required (-Image). To make an image from a prompt alone, use New-SeedreamImage (or a text-to-image -Endpoint with Submit-SeedreamJob)."));
            for (var i = 0; checkImageUrls && i < ImageUrls.Count; i++)
            {
                var problem = InputImage.CheckUrl(ImageUrls[i]);
                if (problem != null) problems.Add(new EditProblem(problem.Value.Code, "image_urls", $"Image {i + 1}: {problem.Value.Message}", ImageUrls[i].Length > 200 ? ImageUrls[i].Substring(0, 200) + "…" : ImageUrls[i]));
            }
            if (profile == null)
            {
                if (AdditionalInput != null) CheckAdditionalInput(problems);
                return problems;
            }
            // A field the endpoint does not have: refused, because fal would ignore it or refuse it,
            // and either way the user did not get what they asked for. -AdditionalInput still sends it.
            foreach (var field in FieldsSetByParameters())
                if (!profile.Accepts(field))
                    problems.Add(new EditProblem("FieldNotSupported", field, NotSupportedMessage(profile, field)));
            var max = profile.MaxNumImages;
            if (NumImages.HasValue && profile.Accepts("num_images") && (NumImages < 1 || NumImages > max))
                problems.Add(new EditProblem("NumImagesOutOfRange", "num_images", $"NumImages must be between 1 and {max} for {profile.Name}; {NumImages} is not.", NumImages));
            if (MaxImages.HasValue && profile.MaxMaxImages.HasValue && (MaxImages < 1 || MaxImages > profile.MaxMaxImages))
                problems.Add(new EditProblem("MaxImagesOutOfRange", "max_images", $"MaxImages must be between 1 and {profile.MaxMaxImages} for {profile.Name}; {MaxImages} is not.", MaxImages));
            if (Seed.HasValue && profile.Accepts("seed") && Seed < 0)
                problems.Add(new EditProblem("SeedOutOfRange", "seed", $"Seed must be zero or positive; {Seed} is not.", Seed));
            if (EnhancePromptMode != null && profile.Accepts("enhance_prompt_mode") && !profile.EnhancePromptModes.Contains(EnhancePromptMode))
                problems.Add(new EditProblem("EnhancePromptModeInvalid", "enhance_prompt_mode", $"EnhancePromptMode must be {Either(profile.EnhancePromptModes)}, not '{EnhancePromptMode}'.", EnhancePromptMode));
            if (OutputFormat != null && profile.Accepts("output_format") && !profile.OutputFormats.Contains(OutputFormat))
                problems.Add(new EditProblem("OutputFormatInvalid", "output_format", $"OutputFormat must be {Either(profile.OutputFormats)} for {profile.Name}, not '{OutputFormat}'.", OutputFormat));
            if (ImageSize != null && !Overridden("image_size"))
            {
                if (ImageSize.Preset != null && !profile.SizePresets.Contains(ImageSize.Preset))
                    problems.Add(new EditProblem("ImageSizeInvalid", "image_size", $"'{ImageSize.Preset}' is not an image size of {profile.Name}. Use a preset ({string.Join(", ", profile.SizePresets)}) or WIDTHxHEIGHT.", ImageSize.Preset));
                else if (ImageSize.BoundsProblem(profile) is string bounds)
                    problems.Add(new EditProblem("ImageSizeOutOfRange", "image_size", bounds, ImageSize.ToString()));
            }
            // The 4.x rule, per generation: input images plus the most images one generation can make
            // (max_images) stay within the limit. Each of fal's num_images generations is one call to
            // ByteDance's API, whose own rule reads this way ("when max_images > 1, reference images
            // plus generated images may not exceed 15"). A max_images sent through -AdditionalInput is
            // sent as given (it is warned about), so it is not refused here.
            var perGeneration = MaxImages ?? 1;
            if (profile.MaxInputsPlusOutputs.HasValue && !SetsAdditional("max_images") && ImageUrls.Count + perGeneration > profile.MaxInputsPlusOutputs)
                problems.Add(new EditProblem("ImageCountLimitExceeded", "max_images",
                    $"{profile.Name} takes at most {profile.MaxInputsPlusOutputs} images in and out of one generation; {ImageUrls.Count} input image(s) plus up to {perGeneration} output image(s) (MaxImages) is {ImageUrls.Count + perGeneration}. Lower -MaxImages, or give fewer images.",
                    ImageUrls.Count + perGeneration));
            if (AdditionalInput != null) CheckAdditionalInput(problems);
            return problems;
        }

        private static string Either(string[] values) =>
            values.Length == 2 ? $"'{values[0]}' or '{values[1]}'" : string.Join(", ", values.Select(v => "'" + v + "'"));

        private static string NotSupportedMessage(EndpointProfile profile, string field)
        {
            if (field == "image_urls")
                return $"{profile.Name} ({profile.Id}) makes images from the prompt alone and takes no input image. Use an edit endpoint (Invoke-SeedreamEdit) to edit images.";
            return $"{profile.Name} ({profile.Id}) has no '{field}' field. Leave the parameter out, or send the field anyway with -AdditionalInput @{{ {field} = ... }}.";
        }

        /// <summary>The API fields the module's own parameters set (those -AdditionalInput sets are sent as given).</summary>
        private IEnumerable<string> FieldsSetByParameters() =>
            KnownFields.Where(f => f != "prompt" && IsSetByParameter(f) && !Overridden(f));

        private bool Overridden(string field) => AdditionalInput != null && AdditionalInput.ContainsKey(field);

        private void CheckAdditionalInput(List<EditProblem> problems)
        {
            if (AdditionalInput!.Keys.Any(string.IsNullOrWhiteSpace))
                problems.Add(new EditProblem("AdditionalInputInvalid", "", "AdditionalInput has an empty key."));
            try { PlainJson.Serialize(AdditionalInput); }
            catch (ArgumentException ex) { problems.Add(new EditProblem("AdditionalInputInvalid", "", "AdditionalInput cannot be sent as JSON: " + ex.Message)); }
        }

        /// <summary>
        /// The fields -AdditionalInput sets that the module also knows: they are sent as given (the
        /// checks exist to save a round trip, never to block what fal accepts), and the caller warns,
        /// naming the parameter each one overrides, if any.
        /// </summary>
        public IReadOnlyList<(string Field, bool OverridesParameter)> AdditionalKnownFields() =>
            AdditionalInput == null
                ? Array.Empty<(string, bool)>()
                : AdditionalInput.Keys.Where(k => KnownFields.Contains(k)).Select(k => (k, IsSetByParameter(k))).ToArray();

        private bool IsSetByParameter(string key)
        {
            switch (key)
            {
                case "prompt": return Prompt != null;
                case "image_urls": return ImageUrls.Count > 0;
                case "image_size": return ImageSize != null;
                case "num_images": return NumImages.HasValue;
                case "max_images": return MaxImages.HasValue;
                case "seed": return Seed.HasValue;
                case "sync_mode": return SyncMode.HasValue;
                case "enable_safety_checker": return EnableSafetyChecker.HasValue;
                case "enhance_prompt_mode": return EnhancePromptMode != null;
                case "output_format": return OutputFormat != null;
                default: return false;
            }
        }

        /// <summary>The body as a plain dictionary (what <see cref="ToJson"/> writes).</summary>
        public IDictionary<string, object?> ToBody()
        {
            var body = new Dictionary<string, object?>(StringComparer.Ordinal) { ["prompt"] = Prompt };
            // A text-to-image request has no image_urls field at all; an edit always has its images.
            if (ImageUrls.Count > 0) body["image_urls"] = ImageUrls.ToArray();
            if (ImageSize != null) body["image_size"] = ImageSize.ToWireValue();
            if (NumImages.HasValue) body["num_images"] = NumImages.Value;
            if (MaxImages.HasValue) body["max_images"] = MaxImages.Value;
            if (Seed.HasValue) body["seed"] = Seed.Value;
            if (SyncMode.HasValue) body["sync_mode"] = SyncMode.Value;
            if (EnableSafetyChecker.HasValue) body["enable_safety_checker"] = EnableSafetyChecker.Value;
            if (EnhancePromptMode != null) body["enhance_prompt_mode"] = EnhancePromptMode;
            if (OutputFormat != null) body["output_format"] = OutputFormat;
            // -AdditionalInput has the last word, for fields newer than the module or values its checks refuse.
            if (AdditionalInput != null)
                foreach (var kv in AdditionalInput) body[kv.Key] = kv.Value;
            return body;
        }

        public string ToJson() => PlainJson.Serialize(ToBody());
    }

    /// <summary>Prices known to the module (from the endpoint profiles), for -WhatIf estimates.</summary>
    public static class Pricing
    {
        /// <summary>USD per output image, by endpoint (the lowest tier where the price has tiers); null when unknown.</summary>
        public static decimal? PerImage(string endpoint) => EndpointProfiles.Find(endpoint)?.PricePerImage;

        /// <summary>
        /// USD per output image of this request: the tier its size falls in (a size the module cannot
        /// place counts at the higher tier, so the estimate is an upper bound), plus the extra per input
        /// image beyond the first where the listing has one; null when unknown.
        /// </summary>
        public static decimal? PerImage(string endpoint, EditRequest request)
        {
            var profile = EndpointProfiles.Find(endpoint);
            if (profile?.PricePerImage == null) return null;
            var per = profile.PricePerImage.Value;
            if (profile.PriceAboveTier.HasValue && profile.PriceTierPixels.HasValue && !WithinTier(profile, request.ImageSize))
                per = profile.PriceAboveTier.Value;
            if (profile.PricePerExtraInput.HasValue && request.ImageUrls.Count > 1)
                per += profile.PricePerExtraInput.Value * (request.ImageUrls.Count - 1);
            return per;
        }

        private static bool WithinTier(EndpointProfile profile, ImageSize? size)
        {
            if (size == null) return false;   // the default (auto_2K) is the larger tier
            if (size.Preset != null) return size.Preset == "auto_1K" || Array.IndexOf(new[] { "square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9" }, size.Preset) >= 0;
            return (long)size.Width!.Value * size.Height!.Value <= profile.PriceTierPixels!.Value;
        }

        /// <summary>A human sentence: "at most $0.21 (6 images × $0.035)".</summary>
        public static string Describe(string endpoint, int maxImages) => Describe(endpoint, maxImages, PerImage(endpoint));

        /// <summary>The same, for one request (its size tier and input count, where the price depends on them).</summary>
        public static string Describe(string endpoint, EditRequest request) => Describe(endpoint, request.MaxImageCount, PerImage(endpoint, request));

        private static string Describe(string endpoint, int maxImages, decimal? per)
        {
            if (per == null) return $"cost unknown for {endpoint} (up to {maxImages} image(s))";
            var total = per.Value * maxImages;
            var text = maxImages == 1
                ? string.Format(CultureInfo.InvariantCulture, "estimated cost ${0:0.000} (1 image × ${1:0.0###})", total, per.Value)
                : string.Format(CultureInfo.InvariantCulture, "estimated cost up to ${0:0.000} ({1} images × ${2:0.0###})", total, maxImages, per.Value);
            if (EndpointProfiles.Find(endpoint)?.PriceIsThirdParty == true) text += ", price from a third-party listing";
            return text;
        }
    }
}
