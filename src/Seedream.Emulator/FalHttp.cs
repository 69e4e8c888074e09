using System.Text.Encodings.Web;

namespace Seedream.Emulator;

/// <summary>Response helpers that produce fal's exact body shapes and headers.</summary>
internal static class FalHttp
{
    public const string RequestIdHeader = "x-fal-request-id";
    public const string ErrorTypeHeader = "X-Fal-Error-Type";
    public const string TimeoutTypeHeader = "X-Fal-Request-Timeout-Type";

    /// <summary>Relaxed escaping: base64 data URIs would otherwise grow by '+' → "\u002B".</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static byte[] ToBytes(JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node, JsonOptions);

    public static Task WriteJsonAsync(HttpContext ctx, int status, JsonNode node) =>
        WriteJsonBytesAsync(ctx, status, ToBytes(node));

    public static async Task WriteJsonBytesAsync(HttpContext ctx, int status, byte[] body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = body.Length;
        await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>fal "request error" shape: <c>{"detail": "...", "error_type": "..."}</c> plus X-Fal-Error-Type.</summary>
    public static Task WriteErrorAsync(HttpContext ctx, int status, string detail, string errorType)
    {
        ctx.Response.Headers[ErrorTypeHeader] = errorType;
        return WriteJsonAsync(ctx, status, ErrorBody(detail, errorType));
    }

    /// <summary>
    /// An error fal documents no <c>error_type</c> for (401, 403, 404, 429: fal's request-errors
    /// list has none of them): just <c>{"detail": "..."}</c>, no X-Fal-Error-Type.
    /// </summary>
    public static Task WriteDetailAsync(HttpContext ctx, int status, string detail) =>
        WriteJsonAsync(ctx, status, new JsonObject { ["detail"] = detail });

    public static JsonObject ErrorBody(string detail, string errorType) =>
        new() { ["detail"] = detail, ["error_type"] = errorType };

    /// <summary>ISO 8601 UTC with milliseconds, e.g. 2026-01-31T12:00:00.123Z.</summary>
    public static string Iso(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string? IsoOrNull(DateTimeOffset? t) => t is { } v ? Iso(v) : null;
}

/// <summary>One entry of a 422 <c>detail</c> list (pydantic-style, as fal models answer).</summary>
internal sealed record ValidationIssue(JsonArray Loc, string Msg, string Type, JsonObject? Ctx = null, JsonNode? Input = null, string? Url = null)
{
    public static JsonArray BodyLoc(params object[] path)
    {
        var loc = new JsonArray { "body" };
        foreach (var p in path)
            loc.Add(p is int i ? JsonValue.Create(i) : JsonValue.Create(Convert.ToString(p, CultureInfo.InvariantCulture)));
        return loc;
    }

    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["loc"] = Loc.DeepClone(),
            ["msg"] = Msg,
            ["type"] = Type,
        };
        if (Url is not null) o["url"] = Url;
        if (Ctx is not null) o["ctx"] = Ctx.DeepClone();
        if (Input is not null) o["input"] = Input.DeepClone();
        return o;
    }

    public static JsonObject DetailBody(System.Collections.Generic.IEnumerable<ValidationIssue> issues)
    {
        var list = new JsonArray();
        foreach (var i in issues) list.Add(i.ToJson());
        return new JsonObject { ["detail"] = list };
    }
}
