using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seedream.Emulator;

/// <summary>Validated input of <c>fal-ai/bytedance/seedream/v5/lite/edit</c>.</summary>
internal sealed class SeedreamInput
{
    public const int MaxInputImages = 10;

    public string Prompt { get; set; } = "";
    public List<string> ImageUrls { get; } = new();
    public string? SizePreset { get; set; } = ImageSizeRules.DefaultPreset;
    public ImageDimensions? CustomSize { get; set; }
    public int NumImages { get; set; } = 1;
    public int MaxImages { get; set; } = 1;
    public long? Seed { get; set; }
    public bool SyncMode { get; set; }
    public bool EnableSafetyChecker { get; set; } = true;
    public string EnhancePromptMode { get; set; } = "standard";

    /// <summary>The images the model uses: only the last 10, each with its index in <c>image_urls</c>.</summary>
    public IReadOnlyList<(int Index, string Url)> UsedImages =>
        ImageUrls.Select((url, i) => (i, url)).Skip(Math.Max(0, ImageUrls.Count - MaxInputImages)).ToList();

    /// <summary>
    /// Checks the body against the schema and lists every problem, pydantic style. Unknown fields
    /// are ignored (the schema drifts); <c>null</c> on an optional field means "use the default".
    /// </summary>
    public static List<ValidationIssue> Validate(JsonElement root, out SeedreamInput input)
    {
        input = new SeedreamInput();
        var issues = new List<ValidationIssue>();
        if (root.ValueKind != JsonValueKind.Object)
        {
            issues.Add(new(new JsonArray { "body" }, "Input should be a valid dictionary or object to extract fields from",
                "model_attributes_type", Input: JsonNode.Parse(root.GetRawText())));
            return issues;
        }

        // prompt: required non-blank string
        if (!root.TryGetProperty("prompt", out var prompt))
            issues.Add(Missing("prompt"));
        else if (prompt.ValueKind != JsonValueKind.String)
            issues.Add(new(ValidationIssue.BodyLoc("prompt"), "Input should be a valid string", "string_type", Input: Raw(prompt)));
        else if (string.IsNullOrWhiteSpace(prompt.GetString()))
            issues.Add(new(ValidationIssue.BodyLoc("prompt"), "String should have at least 1 character", "string_too_short",
                new JsonObject { ["min_length"] = 1 }, Raw(prompt)));
        else
            input.Prompt = prompt.GetString()!;

        // image_urls: required non-empty list of strings (more than 10 is fine: the last 10 are used)
        if (!root.TryGetProperty("image_urls", out var urls))
            issues.Add(Missing("image_urls"));
        else if (urls.ValueKind != JsonValueKind.Array)
            issues.Add(new(ValidationIssue.BodyLoc("image_urls"), "Input should be a valid list", "list_type", Input: Raw(urls)));
        else
        {
            var i = 0;
            foreach (var u in urls.EnumerateArray())
            {
                if (u.ValueKind == JsonValueKind.String) input.ImageUrls.Add(u.GetString()!);
                else issues.Add(new(ValidationIssue.BodyLoc("image_urls", i), "Input should be a valid string", "string_type", Input: Raw(u)));
                i++;
            }

            if (i == 0)
                issues.Add(new(ValidationIssue.BodyLoc("image_urls"), "List should have at least 1 item after validation, not 0",
                    "sequence_too_short", new JsonObject { ["min_length"] = 1 }, Raw(urls)));
        }

        ValidateImageSize(root, input, issues);

        if (Optional(root, "num_images") is { } num && ReadBoundedInt(num, "num_images", 1, 6, issues) is { } n) input.NumImages = (int)n;
        if (Optional(root, "max_images") is { } max && ReadBoundedInt(max, "max_images", 1, 6, issues) is { } m) input.MaxImages = (int)m;
        if (Optional(root, "seed") is { } seed && ReadBoundedInt(seed, "seed", 0, long.MaxValue, issues) is { } s) input.Seed = s;
        if (Optional(root, "sync_mode") is { } sync && ReadBool(sync, "sync_mode", issues) is { } sm) input.SyncMode = sm;
        if (Optional(root, "enable_safety_checker") is { } safety && ReadBool(safety, "enable_safety_checker", issues) is { } sc) input.EnableSafetyChecker = sc;
        if (Optional(root, "enhance_prompt_mode") is { } mode)
        {
            if (mode.ValueKind == JsonValueKind.String && mode.GetString() is "standard" or "fast")
                input.EnhancePromptMode = mode.GetString()!;
            else
                issues.Add(EnumIssue(ValidationIssue.BodyLoc("enhance_prompt_mode"), ["standard", "fast"], mode));
        }

        return issues;
    }

    private static void ValidateImageSize(JsonElement root, SeedreamInput input, List<ValidationIssue> issues)
    {
        if (Optional(root, "image_size") is not { } size) return;
        if (size.ValueKind == JsonValueKind.String)
        {
            var name = size.GetString()!;
            if (ImageSizeRules.IsPreset(name)) input.SizePreset = name;
            else issues.Add(EnumIssue(ValidationIssue.BodyLoc("image_size"), ImageSizeRules.PresetNames, size));
            return;
        }

        if (size.ValueKind != JsonValueKind.Object)
        {
            issues.Add(new(ValidationIssue.BodyLoc("image_size"),
                "Input should be a valid dictionary or one of " + Expected(ImageSizeRules.PresetNames), "dict_type", Input: Raw(size)));
            return;
        }

        // Custom size: fal toolkit ImageSize, width/height default 512, 0 < value <= 14142.
        long? Dimension(string field)
        {
            if (Optional(size, field) is not { } v) return 512;
            var value = ReadInt(v, ValidationIssue.BodyLoc("image_size", field), issues);
            if (value is null) return null;
            if (value <= 0)
            {
                issues.Add(new(ValidationIssue.BodyLoc("image_size", field), "Input should be greater than 0", "greater_than",
                    new JsonObject { ["gt"] = 0 }, Raw(v)));
                return null;
            }

            if (value > ImageSizeRules.MaxCustomDimension)
            {
                issues.Add(new(ValidationIssue.BodyLoc("image_size", field), $"Input should be less than or equal to {ImageSizeRules.MaxCustomDimension}",
                    "less_than_equal", new JsonObject { ["le"] = ImageSizeRules.MaxCustomDimension }, Raw(v)));
                return null;
            }

            return value;
        }

        var w = Dimension("width");
        var h = Dimension("height");
        if (w is { } width && h is { } height)
        {
            input.CustomSize = new ImageDimensions((int)width, (int)height);
            input.SizePreset = null;
        }
    }

    private static JsonElement? Optional(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static long? ReadBoundedInt(JsonElement v, string field, long min, long max, List<ValidationIssue> issues)
    {
        var loc = ValidationIssue.BodyLoc(field);
        if (v.ValueKind == JsonValueKind.Number && !v.TryGetInt64(out _) && v.TryGetDouble(out var big) && Math.Floor(big) == big)
        {
            // An integer too large for 64 bits: report it against the nearest bound.
            issues.Add(big < 0
                ? new(loc, $"Input should be greater than or equal to {min}", "greater_than_equal", new JsonObject { ["ge"] = min }, Raw(v))
                : new(loc, $"Input should be less than or equal to {max}", "less_than_equal", new JsonObject { ["le"] = max }, Raw(v)));
            return null;
        }

        var value = ReadInt(v, loc, issues);
        if (value is null) return null;
        if (value < min)
        {
            issues.Add(new(loc, $"Input should be greater than or equal to {min}", "greater_than_equal", new JsonObject { ["ge"] = min }, Raw(v)));
            return null;
        }

        if (value > max)
        {
            issues.Add(new(loc, $"Input should be less than or equal to {max}", "less_than_equal", new JsonObject { ["le"] = max }, Raw(v)));
            return null;
        }

        return value;
    }

    /// <summary>Accepts JSON integers (and integral floats like 2.0, as pydantic's lax mode does).</summary>
    private static long? ReadInt(JsonElement v, JsonArray loc, List<ValidationIssue> issues)
    {
        if (v.ValueKind == JsonValueKind.Number)
        {
            if (v.TryGetInt64(out var l)) return l;
            if (v.TryGetDouble(out var d) && Math.Floor(d) == d && d >= long.MinValue && d <= long.MaxValue) return (long)d;
            if (v.TryGetDouble(out _))
            {
                issues.Add(new(loc, "Input should be a valid integer, got a number with a fractional part", "int_from_float", Input: Raw(v)));
                return null;
            }
        }

        issues.Add(new(loc, "Input should be a valid integer", "int_type", Input: Raw(v)));
        return null;
    }

    private static bool? ReadBool(JsonElement v, string field, List<ValidationIssue> issues)
    {
        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) return v.GetBoolean();
        issues.Add(new(ValidationIssue.BodyLoc(field), "Input should be a valid boolean", "bool_type", Input: Raw(v)));
        return null;
    }

    private static ValidationIssue Missing(string field) =>
        new(ValidationIssue.BodyLoc(field), "Field required", "missing");

    private static ValidationIssue EnumIssue(JsonArray loc, IReadOnlyList<string> allowed, JsonElement actual) =>
        new(loc, "Input should be " + Expected(allowed), "enum", new JsonObject { ["expected"] = Expected(allowed) }, Raw(actual));

    /// <summary>pydantic's wording: <c>'a', 'b' or 'c'</c>.</summary>
    private static string Expected(IReadOnlyList<string> allowed) =>
        allowed.Count == 1
            ? $"'{allowed[0]}'"
            : string.Join(", ", allowed.Take(allowed.Count - 1).Select(a => $"'{a}'")) + $" or '{allowed[^1]}'";

    private static JsonNode? Raw(JsonElement e) => JsonNode.Parse(e.GetRawText());
}
