using System.Text;

namespace Seedream.Core.Tests.Fuzz;

/// <summary>
/// Seeded generator of hostile server bodies: well-formed JSON of fal's shapes with wrong types
/// and extreme values, random JSON, deep nesting, and text mutations (cuts, flipped and inserted
/// characters). The same seed always gives the same inputs, so a failure can be replayed.
/// </summary>
internal sealed class FuzzInputs
{
    private static readonly string[] Keys =
    {
        "status", "request_id", "queue_position", "logs", "metrics", "inference_time", "error", "error_type", "status_url", "response_url",
        "cancel_url", "images", "url", "width", "height", "file_size", "content_type", "file_name", "seed", "detail", "loc", "msg", "type",
        "ctx", "message", "level", "timestamp", "source", "has_nsfw_concepts", "x", "",
    };

    private static readonly string[] Statuses = { "IN_QUEUE", "IN_PROGRESS", "COMPLETED", "completed", "", "FAILED", "NOT_FOUND", "ALREADY_COMPLETED" };

    private static readonly string[] Numbers =
    {
        "0", "-0", "1", "-1", "3", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "1e400", "-1e400", "1.5", "1e-400", "0.0000001", "12345678901234567890123456789", "4.9e-324", "1.7976931348623157e308",
    };

    private static readonly string[] Strings =
    {
        "", " ", "IN_QUEUE", "COMPLETED", "2f1c6a52-9d0e-4a7b-8c3d-5e6f7a8b9c0d", "../../admin", "https://queue.fal.run/a/requests/x/status",
        "https://evil.example/steal", "javascript:alert(1)", "data:image/png;base64,AAAA", "\\u0000", "\\ud800", "\\udc00\\ud800", "ünïcødé ✓",
        "\\\"quoted\\\"", "2026-01-02T03:04:05.678Z", "not a date", "\\n\\r\\t",
    };

    /// <summary>Real shapes, as fal sends them, to mutate from.</summary>
    public static readonly string[] Templates =
    {
        "{\"status\":\"IN_QUEUE\",\"request_id\":\"2f1c6a52-9d0e-4a7b-8c3d-5e6f7a8b9c0d\",\"queue_position\":2,\"status_url\":\"https://queue.fal.run/fal-ai/bytedance/requests/2f1c6a52-9d0e-4a7b-8c3d-5e6f7a8b9c0d/status\"}",
        "{\"status\":\"COMPLETED\",\"request_id\":\"2f1c6a52-9d0e-4a7b-8c3d-5e6f7a8b9c0d\",\"logs\":[{\"message\":\"a\",\"level\":\"INFO\",\"source\":\"USER\",\"timestamp\":\"2026-01-02T03:04:05.678Z\"}],\"metrics\":{\"inference_time\":2.5},\"error\":null}",
        "{\"images\":[{\"url\":\"https://v3.fal.media/files/a.png\",\"content_type\":\"image/png\",\"file_name\":\"a.png\",\"file_size\":123,\"width\":2048,\"height\":2048}],\"seed\":42}",
        "{\"detail\":[{\"loc\":[\"body\",\"image_urls\",0],\"msg\":\"Could not load\",\"type\":\"image_load_error\",\"url\":\"https://docs.fal.ai/errors\",\"ctx\":{\"max_size\":1}}]}",
        "{\"detail\":\"Request timed out\",\"error_type\":\"request_timeout\"}",
    };

    private const string Flips = "{}[]\",:\\0aZ\u00e9\ud83d";

    private readonly Random _r;

    public FuzzInputs(int seed) => _r = new Random(seed);

    public Random Random => _r;

    /// <summary>One body: a third mutated templates, a third templates with random values, a third random JSON (some deep).</summary>
    public string Body()
    {
        switch (_r.Next(7))
        {
            case 0: return Mutate(Templates[_r.Next(Templates.Length)]);
            case 1: return Mutate(Mutate(Value(0)));
            case 2:
            case 3: return Reshaped(Templates[_r.Next(Templates.Length)]);
            case 4: return Value(0);
            case 5: return Deep(_r.Next(2) == 0 ? _r.Next(60, 70) : _r.Next(1000, 10_001));
            default: return Object(0);
        }
    }

    /// <summary>A template with some values replaced by values of other types.</summary>
    public string Reshaped(string template)
    {
        var sb = new StringBuilder();
        var parts = template.Split(':');
        for (var i = 0; i < parts.Length; i++)
        {
            if (i > 0) sb.Append(':');
            if (i > 0 && _r.Next(3) == 0)
            {
                // Replace the value up to the next ',' or '}' (crudely; mutations are welcome too).
                var p = parts[i];
                var end = p.IndexOfAny(new[] { ',', '}' });
                sb.Append(Value(2)).Append(end < 0 ? "" : p.Substring(end));
            }
            else
            {
                sb.Append(parts[i]);
            }
        }

        return sb.ToString();
    }

    public string Value(int depth)
    {
        var max = depth > 4 ? 5 : 8;
        switch (_r.Next(max))
        {
            case 0: return "null";
            case 1: return _r.Next(2) == 0 ? "true" : "false";
            case 2: return Numbers[_r.Next(Numbers.Length)];
            case 3: return "\"" + Strings[_r.Next(Strings.Length)] + "\"";
            case 4: return "\"" + Statuses[_r.Next(Statuses.Length)] + "\"";
            case 5: return Array(depth + 1);
            default: return Object(depth + 1);
        }
    }

    private string Array(int depth)
    {
        var n = _r.Next(4);
        return "[" + string.Join(",", Enumerable.Range(0, n).Select(_ => Value(depth))) + "]";
    }

    public string Object(int depth)
    {
        var n = _r.Next(6);
        return "{" + string.Join(",", Enumerable.Range(0, n).Select(_ => "\"" + Keys[_r.Next(Keys.Length)] + "\":" + Value(depth))) + "}";
    }

    /// <summary>Arrays or objects nested <paramref name="n"/> deep (the client allows 64).</summary>
    public string Deep(int n) => _r.Next(2) == 0
        ? new string('[', n) + new string(']', n)
        : string.Concat(Enumerable.Repeat("{\"images\":", n)) + "1" + new string('}', n);

    public string Mutate(string text)
    {
        if (text.Length == 0) return "{";
        var sb = new StringBuilder(text);
        var edits = 1 + _r.Next(3);
        for (var e = 0; e < edits && sb.Length > 0; e++)
        {
            var at = _r.Next(sb.Length);
            switch (_r.Next(5))
            {
                case 0: sb.Length = at; break;                                   // cut short
                case 1: sb[at] = Flips[_r.Next(Flips.Length)]; break;            // flip one character (a lone surrogate too)
                case 2: sb.Insert(at, new[] { "{", "[", "\"", ",", ":", "\\u", "\\ud800", "null", "1e999", "\0" }[_r.Next(10)]); break;
                case 3: sb.Insert(at, sb.ToString(at, Math.Min(sb.Length - at, 20))); break; // duplicate a slice
                default: sb.Remove(at, Math.Min(sb.Length - at, 1 + _r.Next(5))); break;
            }
        }

        return sb.ToString();
    }
}
