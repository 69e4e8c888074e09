namespace Seedream.Emulator;

/// <summary>Validated input of one Seedream endpoint (the fields its profile accepts).</summary>
internal sealed class SeedreamInput
{
    public const int MaxInputImages = 10;

    public string Prompt { get; set; } = "";
    public List<string> ImageUrls { get; } = new();
    /// <summary>The <c>image_size</c> enum value; null with <see cref="CustomSize"/> or when absent (model default).</summary>
    public string? SizePreset { get; set; }
    public ImageDimensions? CustomSize { get; set; }
    public int NumImages { get; set; } = 1;
    public int MaxImages { get; set; } = 1;
    public long? Seed { get; set; }
    public bool SyncMode { get; set; }
    public bool EnableSafetyChecker { get; set; } = true;
    public string EnhancePromptMode { get; set; } = "standard";
    /// <summary><c>jpeg</c> or <c>png</c>: what the output is encoded as (PNG unless the model has <c>output_format</c>).</summary>
    public string OutputFormat { get; set; } = "png";
    public double GuidanceScale { get; set; } = 2.5;

    /// <summary>The images the model uses: only the last 10, each with its index in <c>image_urls</c>.</summary>
    public IReadOnlyList<(int Index, string Url)> UsedImages =>
        ImageUrls.Select((url, i) => (i, url)).Skip(Math.Max(0, ImageUrls.Count - MaxInputImages)).ToList();

    /// <summary>
    /// Checks the body against the endpoint's schema and lists every problem, pydantic style.
    /// Fields the profile does not know are ignored (as fal's input models do; the schema drifts);
    /// <c>null</c> on an optional field means "use the default".
    /// </summary>
    public static List<ValidationIssue> Validate(JsonElement root, SeedreamEndpoint endpoint, out SeedreamInput input)
    {
        input = new SeedreamInput { OutputFormat = endpoint.AcceptsOutputFormat ? "jpeg" : "png" };
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

        // image_urls (edit only): required non-empty list of strings (more than 10 is fine: the last 10 are used)
        if (endpoint.Kind != ModelKind.Edit)
        {
            // text-to-image has no such field: whatever is sent is ignored
        }
        else if (!root.TryGetProperty("image_urls", out var urls))
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

        ValidateImageSize(root, endpoint.Sizes, input, issues);

        if (Optional(root, "num_images") is { } num && ReadBoundedInt(num, "num_images", 1, endpoint.MaxNumImages, issues) is { } n) input.NumImages = (int)n;
        var maxImagesOk = true;
        if (endpoint.AcceptsMaxImages && Optional(root, "max_images") is { } max)
        {
            if (ReadBoundedInt(max, "max_images", 1, 6, issues) is { } m) input.MaxImages = (int)m;
            else maxImagesOk = false;
        }

        if (endpoint.AcceptsSeed && Optional(root, "seed") is { } seed && ReadBoundedInt(seed, "seed", 0, long.MaxValue, issues) is { } s) input.Seed = s;
        if (Optional(root, "sync_mode") is { } sync && ReadBool(sync, "sync_mode", issues) is { } sm) input.SyncMode = sm;
        if (Optional(root, "enable_safety_checker") is { } safety && ReadBool(safety, "enable_safety_checker", issues) is { } sc) input.EnableSafetyChecker = sc;
        if (endpoint.AcceptsReturnByteplusUrls && Optional(root, "return_byteplus_urls") is { } byteplus) ReadBool(byteplus, "return_byteplus_urls", issues);
        if (endpoint.AcceptsEnhancePromptMode && Optional(root, "enhance_prompt_mode") is { } mode)
        {
            if (ReadLiteral(mode, "enhance_prompt_mode", ["standard", "fast"], issues) is { } value) input.EnhancePromptMode = value;
        }

        if (endpoint.AcceptsOutputFormat && Optional(root, "output_format") is { } format)
        {
            if (ReadLiteral(format, "output_format", ["jpeg", "png"], issues) is { } value) input.OutputFormat = value;
        }

        if (endpoint.AcceptsGuidanceScale && Optional(root, "guidance_scale") is { } guidance)
        {
            if (guidance.ValueKind == JsonValueKind.Number && guidance.TryGetDouble(out var g) && double.IsFinite(g)) input.GuidanceScale = g;
            else issues.Add(new(ValidationIssue.BodyLoc("guidance_scale"), "Input should be a valid number", "float_type", Input: Raw(guidance)));
        }

        // 4.x: "The total number of images (image inputs + image outputs) must not exceed 15". Read
        // per generation (each of num_images is its own model call): used inputs + max_images.
        if (endpoint.MaxImagesInAndOut is { } cap && maxImagesOk && input.ImageUrls.Count > 0)
        {
            var used = Math.Min(input.ImageUrls.Count, MaxInputImages);
            if (used + input.MaxImages > cap)
                issues.Add(ValueError(ValidationIssue.BodyLoc("max_images"),
                    $"The total number of images (image inputs + image outputs) must not exceed {cap}: {used} input image(s) + max_images {input.MaxImages}",
                    JsonValue.Create(input.MaxImages)));
        }

        return issues;
    }

    private static void ValidateImageSize(JsonElement root, SizeRules rules, SeedreamInput input, List<ValidationIssue> issues)
    {
        if (Optional(root, "image_size") is not { } size) return;
        if (size.ValueKind == JsonValueKind.String)
        {
            var name = size.GetString()!;
            if (rules.IsPreset(name)) input.SizePreset = name;
            else issues.Add(LiteralIssue(ValidationIssue.BodyLoc("image_size"), rules.PresetNames, size));
            return;
        }

        if (size.ValueKind != JsonValueKind.Object)
        {
            issues.Add(new(ValidationIssue.BodyLoc("image_size"),
                "Input should be a valid dictionary or one of " + Expected(rules.PresetNames), "dict_type", Input: Raw(size)));
            return;
        }

        // Custom size: fal toolkit ImageSize, width/height default 512, 0 < value <= 14142; a
        // model with per-side bounds (3.0: 512..2048) declares them on the fields instead.
        var perSide = rules.Policy == CustomSizePolicy.PerSide;
        long? Dimension(string field)
        {
            if (Optional(size, field) is not { } v) return 512;
            var loc = ValidationIssue.BodyLoc("image_size", field);
            var value = ReadInt(v, loc, issues);
            if (value is null) return null;
            if (perSide)
                return CheckBounds(value.Value, v, loc, rules.MinSide, rules.MaxSide, issues);
            if (value <= 0)
            {
                issues.Add(new(loc, "Input should be greater than 0", "greater_than", new JsonObject { ["gt"] = 0 }, Raw(v)));
                return null;
            }

            if (value > SizeRules.MaxCustomDimension)
            {
                issues.Add(new(loc, $"Input should be less than or equal to {SizeRules.MaxCustomDimension}",
                    "less_than_equal", new JsonObject { ["le"] = SizeRules.MaxCustomDimension }, Raw(v)));
                return null;
            }

            return value;
        }

        var w = Dimension("width");
        var h = Dimension("height");
        if (w is { } width && h is { } height)
        {
            var custom = new ImageDimensions((int)width, (int)height);
            if (rules.Problem(custom) is { } problem)
            {
                issues.Add(ValueError(ValidationIssue.BodyLoc("image_size"), problem + $" (got {custom})", Raw(size)));
                return;
            }

            input.CustomSize = custom;
            input.SizePreset = null;
        }
    }

    /// <summary>pydantic's error for a failed model/field validator: type <c>value_error</c>, msg "Value error, …", ctx.error.</summary>
    private static ValidationIssue ValueError(JsonArray loc, string message, JsonNode? input) =>
        new(loc, "Value error, " + message, "value_error", new JsonObject { ["error"] = message }, input);

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
        return value is null ? null : CheckBounds(value.Value, v, loc, min, max, issues);
    }

    private static long? CheckBounds(long value, JsonElement v, JsonArray loc, long min, long max, List<ValidationIssue> issues)
    {
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

    private static string? ReadLiteral(JsonElement v, string field, IReadOnlyList<string> allowed, List<ValidationIssue> issues)
    {
        if (v.ValueKind == JsonValueKind.String && allowed.Contains(v.GetString()!, StringComparer.Ordinal)) return v.GetString();
        issues.Add(LiteralIssue(ValidationIssue.BodyLoc(field), allowed, v));
        return null;
    }

    /// <summary>pydantic v2's error for a <c>Literal[...]</c> field (fal declares its enums as literals).</summary>
    private static ValidationIssue LiteralIssue(JsonArray loc, IReadOnlyList<string> allowed, JsonElement actual) =>
        new(loc, "Input should be " + Expected(allowed), "literal_error", new JsonObject { ["expected"] = Expected(allowed) }, Raw(actual));

    /// <summary>pydantic's wording: <c>'a', 'b' or 'c'</c>.</summary>
    private static string Expected(IReadOnlyList<string> allowed) =>
        allowed.Count == 1
            ? $"'{allowed[0]}'"
            : string.Join(", ", allowed.Take(allowed.Count - 1).Select(a => $"'{a}'")) + $" or '{allowed[^1]}'";

    private static JsonNode? Raw(JsonElement e) => JsonNode.Parse(e.GetRawText());
}
