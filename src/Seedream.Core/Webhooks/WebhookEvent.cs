namespace Seedream.Webhooks
{
    /// <summary>
    /// The body fal POSTs to a webhook URL: <c>request_id</c>, <c>gateway_request_id</c>, <c>status</c>
    /// ("OK" or "ERROR"), <c>payload</c> (the model output, or the error body), <c>error</c> when the
    /// request failed, <c>payload_error</c> when fal could not put the output into the body.
    /// Read only after the signature was verified: nothing here is checked for authenticity.
    /// </summary>
    public sealed class WebhookEvent
    {
        public const string StatusOk = "OK";
        public const string StatusError = "ERROR";

        private WebhookEvent() { }

        public string? RequestId { get; private set; }
        public string? GatewayRequestId { get; private set; }
        public string? Status { get; private set; }
        /// <summary>fal's error text when <see cref="Status"/> is ERROR.</summary>
        public string? Error { get; private set; }
        /// <summary>The payload as JSON text exactly as sent; null when absent or JSON null.</summary>
        public string? PayloadJson { get; private set; }
        /// <summary>Why fal sent no usable payload (the output was not JSON serialisable).</summary>
        public string? PayloadError { get; private set; }

        /// <summary>Reads a delivery body (UTF-8, a BOM tolerated).</summary>
        /// <exception cref="FormatException">The body is not a JSON object.</exception>
        public static WebhookEvent Parse(byte[] body)
        {
            if (body == null) throw new ArgumentNullException(nameof(body));
            // Hosts that re-encode the raw string may add a BOM; the JSON reader does not skip it.
            var start = body.Length >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF ? 3 : 0;
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(new ReadOnlyMemory<byte>(body, start, body.Length - start), PlainJson.DocumentOptions);
            }
            catch (JsonException ex)
            {
                throw new FormatException("The webhook body is not valid JSON: " + ex.Message, ex);
            }
            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                    throw new FormatException("The webhook body is not a JSON object.");
                var e = new WebhookEvent
                {
                    RequestId = PlainJson.GetString(root, "request_id"),
                    GatewayRequestId = PlainJson.GetString(root, "gateway_request_id"),
                    Status = PlainJson.GetString(root, "status"),
                    Error = Text(root, "error"),
                    PayloadError = Text(root, "payload_error"),
                };
                if (root.TryGetProperty("payload", out var payload) && payload.ValueKind != JsonValueKind.Null)
                    e.PayloadJson = payload.GetRawText();
                return e;
            }
        }

        /// <summary>A string as is; anything else (fal has sent error objects) as its JSON text.</summary>
        private static string? Text(JsonElement o, string name)
        {
            if (!o.TryGetProperty(name, out var v)) return null;
            switch (v.ValueKind)
            {
                case JsonValueKind.Null:
                case JsonValueKind.Undefined:
                    return null;
                case JsonValueKind.String:
                    return v.GetString();
                default:
                    return v.GetRawText();
            }
        }
    }
}
