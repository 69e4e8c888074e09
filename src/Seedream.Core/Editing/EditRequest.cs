using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Seedream.Protocol;

namespace Seedream
{
    /// <summary>A problem found in an edit request before anything was sent.</summary>
    public sealed class EditProblem
    {
        public EditProblem(string code, string field, string message, object? value = null)
        {
            Code = code;
            Field = field;
            Message = message;
            Value = value;
        }

        /// <summary>Stable code; the module's ErrorId is "Seedream" + Code.</summary>
        public string Code { get; }
        /// <summary>The API field concerned (prompt, image_urls, ...).</summary>
        public string Field { get; }
        public string Message { get; }
        public object? Value { get; }
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
            "prompt", "image_urls", "image_size", "num_images", "max_images", "seed", "sync_mode", "enable_safety_checker", "enhance_prompt_mode",
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
        /// <summary>Extra fields merged into the body (schema drift); plain values only.</summary>
        public IDictionary<string, object?>? AdditionalInput { get; set; }

        /// <summary>The most images the request can produce: num_images × max_images (as sent, -AdditionalInput included).</summary>
        public int MaxImageCount => (WholeNumber("num_images") ?? NumImages ?? 1) * (WholeNumber("max_images") ?? MaxImages ?? 1);

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

        /// <summary>Everything wrong with the request; empty when it can be sent.</summary>
        /// <param name="checkImageUrls">False when the images were checked one by one already.</param>
        /// <param name="modelChecks">
        /// False for an endpoint the module has no profile for: only the checks that hold for every
        /// fal endpoint are made (a prompt, usable image references, a body JSON can carry); the
        /// ranges and enums of Seedream 5.0 Lite Edit are left to the server.
        /// </param>
        public IReadOnlyList<EditProblem> Validate(bool checkImageUrls = true, bool modelChecks = true)
        {
            var problems = new List<EditProblem>();
            if (string.IsNullOrWhiteSpace(Prompt))
                problems.Add(new EditProblem("PromptEmpty", "prompt", "The prompt is empty. Describe the edit, for example -Prompt 'Make the sky a sunset'.", Prompt));
            if (ImageUrls.Count == 0)
                problems.Add(new EditProblem("ImageRequired", "image_urls", "At least one input image is required (-Image)."));
            for (var i = 0; checkImageUrls && i < ImageUrls.Count; i++)
            {
                var problem = InputImage.CheckUrl(ImageUrls[i]);
                if (problem != null) problems.Add(new EditProblem(problem.Value.Code, "image_urls", $"Image {i + 1}: {problem.Value.Message}", ImageUrls[i].Length > 200 ? ImageUrls[i].Substring(0, 200) + "…" : ImageUrls[i]));
            }
            if (!modelChecks)
            {
                if (AdditionalInput != null) CheckAdditionalInput(problems);
                return problems;
            }
            if (NumImages.HasValue && (NumImages < 1 || NumImages > MaxNumImages))
                problems.Add(new EditProblem("NumImagesOutOfRange", "num_images", $"NumImages must be between 1 and {MaxNumImages}; {NumImages} is not.", NumImages));
            if (MaxImages.HasValue && (MaxImages < 1 || MaxImages > MaxMaxImages))
                problems.Add(new EditProblem("MaxImagesOutOfRange", "max_images", $"MaxImages must be between 1 and {MaxMaxImages}; {MaxImages} is not.", MaxImages));
            if (Seed.HasValue && Seed < 0)
                problems.Add(new EditProblem("SeedOutOfRange", "seed", $"Seed must be zero or positive; {Seed} is not.", Seed));
            if (EnhancePromptMode != null && !EnhancePromptModes.Contains(EnhancePromptMode))
                problems.Add(new EditProblem("EnhancePromptModeInvalid", "enhance_prompt_mode", $"EnhancePromptMode must be 'standard' or 'fast', not '{EnhancePromptMode}'.", EnhancePromptMode));
            if (AdditionalInput != null) CheckAdditionalInput(problems);
            return problems;
        }

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
                default: return false;
            }
        }

        /// <summary>The body as a plain dictionary (what <see cref="ToJson"/> writes).</summary>
        public IDictionary<string, object?> ToBody()
        {
            var body = new Dictionary<string, object?>(StringComparer.Ordinal) { ["prompt"] = Prompt, ["image_urls"] = ImageUrls.ToArray() };
            if (ImageSize != null) body["image_size"] = ImageSize.ToWireValue();
            if (NumImages.HasValue) body["num_images"] = NumImages.Value;
            if (MaxImages.HasValue) body["max_images"] = MaxImages.Value;
            if (Seed.HasValue) body["seed"] = Seed.Value;
            if (SyncMode.HasValue) body["sync_mode"] = SyncMode.Value;
            if (EnableSafetyChecker.HasValue) body["enable_safety_checker"] = EnableSafetyChecker.Value;
            if (EnhancePromptMode != null) body["enhance_prompt_mode"] = EnhancePromptMode;
            // -AdditionalInput has the last word, for fields newer than the module or values its checks refuse.
            if (AdditionalInput != null)
                foreach (var kv in AdditionalInput) body[kv.Key] = kv.Value;
            return body;
        }

        public string ToJson() => PlainJson.Serialize(ToBody());
    }

    /// <summary>Prices known to the module, for -WhatIf estimates.</summary>
    public static class Pricing
    {
        /// <summary>USD per output image, by endpoint; null when unknown.</summary>
        public static decimal? PerImage(string endpoint)
        {
            var e = endpoint.Trim().Trim('/');
            if (e == "fal-ai/bytedance/seedream/v5/lite/edit" || e == "bytedance/seedream/v5/lite/edit") return 0.035m;
            return null;
        }

        /// <summary>A human sentence: "at most $0.21 (6 images × $0.035)".</summary>
        public static string Describe(string endpoint, int maxImages)
        {
            var per = PerImage(endpoint);
            if (per == null) return $"cost unknown for {endpoint} (up to {maxImages} image(s))";
            var total = per.Value * maxImages;
            return maxImages == 1
                ? string.Format(CultureInfo.InvariantCulture, "estimated cost ${0:0.000} (1 image × ${1:0.000})", total, per.Value)
                : string.Format(CultureInfo.InvariantCulture, "estimated cost up to ${0:0.000} ({1} images × ${2:0.000})", total, maxImages, per.Value);
        }
    }
}
