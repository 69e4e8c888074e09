using System.Collections;

namespace Seedream.Protocol
{
    /// <summary>
    /// Converts between JSON and plain CLR values (dictionaries, lists, strings, numbers, booleans),
    /// so no System.Text.Json type ever reaches a caller.
    /// </summary>
    public static class PlainJson
    {
        /// <summary>Nesting deeper than this is refused: a hostile server must not exhaust the stack.</summary>
        public const int MaxDepth = 64;

        public static readonly JsonDocumentOptions DocumentOptions = new JsonDocumentOptions { MaxDepth = MaxDepth };

        public static object? ToPlain(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    var d = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var p in e.EnumerateObject()) d[p.Name] = ToPlain(p.Value);
                    return d;
                case JsonValueKind.Array:
                    var l = new List<object?>();
                    foreach (var i in e.EnumerateArray()) l.Add(ToPlain(i));
                    return l.ToArray();
                case JsonValueKind.String:
                    return e.GetString();
                case JsonValueKind.Number:
                    if (e.TryGetInt64(out var n)) return n;
                    if (e.TryGetDecimal(out var m) && m == Math.Truncate(m) && e.GetRawText().IndexOfAny(new[] { '.', 'e', 'E' }) < 0) return m;
                    return e.GetDouble();
                case JsonValueKind.True:
                    return true;
                case JsonValueKind.False:
                    return false;
                default:
                    return null;
            }
        }

        /// <summary>
        /// Writes a plain value graph (IDictionary, IEnumerable, primitives) as JSON. With
        /// <paramref name="sortKeys"/> object members go out in ordinal key order at every level,
        /// the canonical form that journal fingerprints hash.
        /// </summary>
        public static void Write(Utf8JsonWriter w, object? value, int depth = 0, bool sortKeys = false)
        {
            if (depth > MaxDepth) throw new ArgumentException($"The value is nested more than {MaxDepth} levels deep.");
            if (value is string || !(value is IEnumerable sequence))
            {
                WriteScalar(w, value);
                return;
            }
            var members = Members(value);
            if (members != null)
            {
                w.WriteStartObject();
                foreach (var member in sortKeys ? members.OrderBy(m => m.Key, StringComparer.Ordinal) : members)
                {
                    w.WritePropertyName(member.Key);
                    Write(w, member.Value, depth + 1, sortKeys);
                }
                w.WriteEndObject();
                return;
            }
            w.WriteStartArray();
            foreach (var item in sequence) Write(w, item, depth + 1, sortKeys);
            w.WriteEndArray();
        }

        /// <summary>The members of a JSON object: a dictionary (keys as invariant text) or a sequence of string-keyed pairs; null for anything else.</summary>
        private static IEnumerable<KeyValuePair<string, object?>>? Members(object value) => value switch
        {
            IDictionary dict => Entries(dict),
            IEnumerable<KeyValuePair<string, object?>> pairs => pairs,
            _ => null,
        };

        // IDictionary's own enumerator: a generic dictionary's IEnumerable yields KeyValuePairs, not DictionaryEntry.
        private static IEnumerable<KeyValuePair<string, object?>> Entries(IDictionary dict)
        {
            var entry = dict.GetEnumerator();
            while (entry.MoveNext())
                yield return new KeyValuePair<string, object?>(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty, entry.Value);
        }

        /// <summary>Values sent as JSON strings, in the form a server can read back; null when the value is not text-like.</summary>
        private static string? AsText(object? value) => value switch
        {
            string s => s,
            char c => c.ToString(),
            DateTime dt => dt.ToString("o", CultureInfo.InvariantCulture),
            DateTimeOffset dto => dto.ToString("o", CultureInfo.InvariantCulture),
            Uri u => u.OriginalString,
            Guid g => g.ToString(),
            Enum en => en.ToString(),
            _ => null,
        };

        private static void WriteScalar(Utf8JsonWriter w, object? value)
        {
            var text = AsText(value);
            if (text != null)
            {
                w.WriteStringValue(text);
                return;
            }
            switch (value)
            {
                case null:
                    w.WriteNullValue();
                    return;
                case bool b:
                    w.WriteBooleanValue(b);
                    return;
                case byte or sbyte or short or ushort or int or long or uint:
                    w.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                    return;
                case ulong ul:
                    w.WriteNumberValue(ul);
                    return;
                case float f:
                    // The float's shortest text (1.1, not 1.100000023841858), as PowerShell shows and ConvertTo-Json writes it.
                    WriteDouble(w, double.Parse(f.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
                    return;
                case double d:
                    WriteDouble(w, d);
                    return;
                case decimal dec:
                    w.WriteNumberValue(dec);
                    return;
                default:
                    throw new ArgumentException($"A value of type {value.GetType().FullName} cannot be sent as JSON. Use strings, numbers, booleans, arrays and hashtables.");
            }
        }

        private static void WriteDouble(Utf8JsonWriter w, double d)
        {
            if (double.IsNaN(d) || double.IsInfinity(d)) throw new ArgumentException("NaN and infinity cannot be sent as JSON.");
            w.WriteNumberValue(d);
        }

        public static string Serialize(object? value)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms)) Write(w, value);
            return Encoding.UTF8.GetString(ms.ToArray());
        }

        /// <summary>Parses text into plain values; throws <see cref="JsonException"/> on bad input.</summary>
        public static object? Parse(string json)
        {
            using var doc = ParseDocument(json);
            return ToPlain(doc.RootElement);
        }

        /// <summary>
        /// Parses a document from a server, bounded in depth. An escaped lone surrogate
        /// (<c>"\ud800"</c>) is valid JSON, but System.Text.Json throws InvalidOperationException
        /// when such a string or property name is read or looked up: such documents are refused
        /// here, as a <see cref="JsonException"/>, so no later access can throw. So is text that is
        /// no valid UTF-16 (an in-process caller's string; bodies read from the wire cannot be).
        /// </summary>
        public static JsonDocument ParseDocument(string json)
        {
            JsonDocument doc;
            try { doc = JsonDocument.Parse(json, DocumentOptions); }
            catch (ArgumentException ex) { throw new JsonException("The text is not valid UTF-16: " + ex.Message, ex); }
            if (json.IndexOf("\\u", StringComparison.Ordinal) < 0 && json.IndexOf("\\U", StringComparison.Ordinal) < 0) return doc;
            try
            {
                CheckStrings(doc.RootElement);
                return doc;
            }
            catch (InvalidOperationException ex)
            {
                doc.Dispose();
                throw new JsonException("The JSON holds a string with an unpaired surrogate escape.", ex);
            }
        }

        private static void CheckStrings(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject())
                    {
                        _ = p.Name;
                        CheckStrings(p.Value);
                    }
                    break;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray()) CheckStrings(item);
                    break;
                case JsonValueKind.String:
                    _ = e.GetString();
                    break;
            }
        }

        internal static string? GetString(JsonElement obj, string name)
        {
            if (obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v))
            {
                if (v.ValueKind == JsonValueKind.String) return v.GetString();
                if (v.ValueKind == JsonValueKind.Number || v.ValueKind == JsonValueKind.True || v.ValueKind == JsonValueKind.False) return v.GetRawText();
            }
            return null;
        }

        internal static long? GetInt64(JsonElement obj, string name)
        {
            if (obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v))
            {
                if (v.ValueKind == JsonValueKind.Number)
                {
                    if (v.TryGetInt64(out var n)) return n;
                    // As doubles, long.MaxValue is 2^63 (one past the range) and integers just beyond
                    // either end round onto the bounds: strict tests refuse them instead of clamping
                    // (or wrapping, on .NET Framework). The exact bounds themselves pass TryGetInt64.
                    if (v.TryGetDouble(out var d) && d > long.MinValue && d < long.MaxValue) return (long)d;
                }
                if (v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s)) return s;
            }
            return null;
        }

        internal static double? GetDouble(JsonElement obj, string name)
        {
            if (obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d))
                return d;
            return null;
        }
    }
}
