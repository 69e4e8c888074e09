using System.Security.Cryptography;

namespace Seedream.Webhooks
{
    /// <summary>
    /// Checks fal webhook signatures as fal documents them: ED25519 over
    /// <c>request_id \n user_id \n timestamp \n hex(sha256(raw body))</c>, keys from a JWKS, timestamp
    /// within a tolerance of now. Local checks (headers, timestamp, signature format) come first, so
    /// malformed requests never cause a JWKS fetch.
    /// </summary>
    public sealed class WebhookVerifier
    {
        public const string RequestIdHeader = "X-Fal-Webhook-Request-Id";
        public const string UserIdHeader = "X-Fal-Webhook-User-Id";
        public const string TimestampHeader = "X-Fal-Webhook-Timestamp";
        public const string SignatureHeader = "X-Fal-Webhook-Signature";

        /// <summary>Where fal publishes its webhook keys.</summary>
        public static readonly Uri FalJwksUrl = new Uri("https://rest.alpha.fal.ai/.well-known/jwks.json");

        /// <summary>fal's replay window: ±300 s.</summary>
        public static readonly TimeSpan DefaultTolerance = TimeSpan.FromSeconds(300);

        private static readonly string[] RequiredHeaders = { RequestIdHeader, UserIdHeader, TimestampHeader, SignatureHeader };

        private readonly JwksCache _cache;

        public WebhookVerifier(JwksCache? cache = null) => _cache = cache ?? JwksCache.Shared;

        /// <summary>Verifies one delivery. Never throws for a bad request: every problem is a verdict.</summary>
        /// <param name="headers">The request's headers (names are matched case-insensitively).</param>
        /// <param name="body">The raw body bytes exactly as received.</param>
        /// <param name="jwksUrl">Where the keys are; null for fal's.</param>
        /// <param name="now">The current time (a parameter so tests can move it).</param>
        /// <param name="tolerance">Largest accepted distance between the timestamp and <paramref name="now"/>.</param>
        /// <param name="cancellationToken">Cancels the JWKS fetch.</param>
        public async Task<WebhookVerdict> VerifyAsync(
            IEnumerable<KeyValuePair<string, string>> headers,
            byte[] body,
            Uri? jwksUrl,
            DateTimeOffset now,
            TimeSpan tolerance,
            CancellationToken cancellationToken)
        {
            if (headers == null) throw new ArgumentNullException(nameof(headers));
            if (body == null) throw new ArgumentNullException(nameof(body));
            jwksUrl ??= FalJwksUrl;

            var signed = Inspect(headers, now, tolerance, out var early);
            if (early != null)
            {
                early.JwksUrl = jwksUrl;
                return early;
            }

            JwksKeySet keys;
            try
            {
                keys = await _cache.GetAsync(jwksUrl, cancellationToken).ConfigureAwait(false);
            }
            catch (JwksUnavailableException ex)
            {
                return signed!.Verdict(WebhookVerdictReason.JwksUnavailable, ex.Message, jwksUrl);
            }

            var verdict = Check(signed!, body, keys.Keys, jwksUrl);
            if (verdict.IsValid) return verdict;

            // Keys rotate: a signature no cached key accepts may be from a newer key.
            JwksKeySet? fresh;
            try
            {
                fresh = await _cache.RefreshAsync(jwksUrl, cancellationToken).ConfigureAwait(false);
            }
            catch (JwksUnavailableException)
            {
                fresh = null; // keep the verdict from the keys we had
            }
            return fresh == null ? verdict : Check(signed!, body, fresh.Keys, jwksUrl);
        }

        /// <summary>The same checks against keys the caller already has (no network).</summary>
        public static WebhookVerdict Verify(
            IEnumerable<KeyValuePair<string, string>> headers,
            byte[] body,
            IReadOnlyList<WebhookKey> keys,
            DateTimeOffset now,
            TimeSpan tolerance)
        {
            if (headers == null) throw new ArgumentNullException(nameof(headers));
            if (body == null) throw new ArgumentNullException(nameof(body));
            if (keys == null) throw new ArgumentNullException(nameof(keys));
            var signed = Inspect(headers, now, tolerance, out var early);
            return early ?? Check(signed!, body, keys, null);
        }

        /// <summary>The signed message: UTF-8 of <c>request_id \n user_id \n timestamp \n lowercase-hex(sha256(body))</c>.</summary>
        public static byte[] BuildMessage(string requestId, string userId, string timestamp, byte[] body)
        {
            byte[] digest;
            using (var sha = SHA256.Create()) digest = sha.ComputeHash(body);
            var text = new StringBuilder(requestId.Length + userId.Length + timestamp.Length + 67);
            text.Append(requestId).Append('\n').Append(userId).Append('\n').Append(timestamp).Append('\n');
            foreach (var b in digest) text.Append(b.ToString("x2", CultureInfo.InvariantCulture));
            return Encoding.UTF8.GetBytes(text.ToString());
        }

        /// <summary>Header, timestamp and signature-format checks; a verdict in <paramref name="early"/> ends the check.</summary>
        private static SignedHeaders? Inspect(IEnumerable<KeyValuePair<string, string>> headers, DateTimeOffset now, TimeSpan tolerance, out WebhookVerdict? early)
        {
            var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var pair in headers)
            {
                if (pair.Key == null) continue;
                var name = pair.Key.Trim();
                var value = (pair.Value ?? string.Empty).Trim();
                // A header sent twice is read as HTTP reads it: values joined by commas (and then it cannot verify).
                map[name] = map.TryGetValue(name, out var earlier) && earlier.Length > 0 ? earlier + ", " + value : value;
            }

            map.TryGetValue(RequestIdHeader, out var requestId);
            map.TryGetValue(UserIdHeader, out var userId);
            map.TryGetValue(TimestampHeader, out var timestampText);
            map.TryGetValue(SignatureHeader, out var signatureText);
            var signed = new SignedHeaders(Blank(requestId), Blank(userId), Blank(timestampText), Blank(signatureText));

            var missing = new List<string>();
            foreach (var name in RequiredHeaders)
                if (!map.TryGetValue(name, out var v) || v.Length == 0) missing.Add(name);
            if (missing.Count > 0)
            {
                early = signed.Verdict(WebhookVerdictReason.MissingHeader,
                    missing.Count == 1 ? $"The {missing[0]} header is missing." : $"Headers missing: {string.Join(", ", missing)}.", null);
                early.MissingHeader = missing[0];
                return null;
            }

            if (!long.TryParse(signed.TimestampText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                || seconds > 253402300799L) // DateTimeOffset's range ends in the year 9999
            {
                early = signed.Verdict(WebhookVerdictReason.MalformedTimestamp,
                    $"{TimestampHeader} '{signed.TimestampText}' is not a number of Unix seconds.", null);
                return null;
            }

            signed.Timestamp = DateTimeOffset.FromUnixTimeSeconds(seconds);
            var skew = now - signed.Timestamp.Value;
            if (skew.Duration() > tolerance)
            {
                early = signed.Verdict(WebhookVerdictReason.StaleTimestamp, skew > TimeSpan.Zero
                    ? $"The webhook was signed {Seconds(skew)} s ago; at most {Seconds(tolerance)} s is accepted (a replay, or a clock that is off)."
                    : $"The webhook's timestamp is {Seconds(skew.Negate())} s in the future; at most {Seconds(tolerance)} s is accepted (a clock that is off?).", null);
                return null;
            }

            if (!TryHex(signed.SignatureText!, out var signature) || signature.Length != 64)
            {
                early = signed.Verdict(WebhookVerdictReason.MalformedSignature,
                    $"{SignatureHeader} must be 128 hexadecimal digits (a 64-byte ED25519 signature).", null);
                return null;
            }

            signed.Signature = signature;
            early = null;
            return signed;
        }

        private static WebhookVerdict Check(SignedHeaders signed, byte[] body, IReadOnlyList<WebhookKey> keys, Uri? jwksUrl)
        {
            if (keys.Count == 0)
                return signed.Verdict(WebhookVerdictReason.NoKeys, "The JWKS lists no ED25519 signing key.", jwksUrl);

            var message = BuildMessage(signed.RequestId!, signed.UserId!, signed.TimestampText!, body);
            foreach (var key in keys)
            {
                if (Crypto.Ed25519.Verify(key.PublicKey, message, signed.Signature))
                {
                    var valid = signed.Verdict(WebhookVerdictReason.Valid, "The signature is valid and the timestamp is fresh.", jwksUrl);
                    valid.KeyId = key.KeyId;
                    return valid;
                }
            }

            return signed.Verdict(WebhookVerdictReason.BadSignature, keys.Count == 1
                ? "The signature does not match: the body or a header was altered, or the request was signed with another key."
                : $"None of the {keys.Count} keys verifies the signature: the body or a header was altered, or the request was signed with another key.", jwksUrl);
        }

        private static string? Blank(string? s) => string.IsNullOrEmpty(s) ? null : s;

        private static string Seconds(TimeSpan t) => Math.Round(t.TotalSeconds).ToString(CultureInfo.InvariantCulture);

        private static bool TryHex(string text, out byte[] bytes)
        {
            bytes = Array.Empty<byte>();
            if (text.Length % 2 != 0) return false;
            var result = new byte[text.Length / 2];
            for (var i = 0; i < result.Length; i++)
            {
                var hi = HexValue(text[2 * i]);
                var lo = HexValue(text[2 * i + 1]);
                if (hi < 0 || lo < 0) return false;
                result[i] = (byte)(hi << 4 | lo);
            }
            bytes = result;
            return true;
        }

        private static int HexValue(char c) =>
            c >= '0' && c <= '9' ? c - '0' :
            c >= 'a' && c <= 'f' ? c - 'a' + 10 :
            c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

        private sealed class SignedHeaders(string? requestId, string? userId, string? timestampText, string? signatureText)
        {
            public string? RequestId { get; } = requestId;
            public string? UserId { get; } = userId;
            public string? TimestampText { get; } = timestampText;
            public string? SignatureText { get; } = signatureText;
            public DateTimeOffset? Timestamp { get; set; }
            public byte[] Signature { get; set; } = Array.Empty<byte>();

            public WebhookVerdict Verdict(WebhookVerdictReason reason, string message, Uri? jwksUrl) =>
                new WebhookVerdict(reason, message)
                {
                    RequestId = RequestId,
                    UserId = UserId,
                    Timestamp = Timestamp,
                    JwksUrl = jwksUrl,
                };
        }
    }
}
