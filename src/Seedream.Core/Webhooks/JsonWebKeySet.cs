namespace Seedream.Webhooks
{
    /// <summary>One ED25519 public key taken from a JWKS.</summary>
    public sealed class WebhookKey
    {
        internal WebhookKey(string? keyId, byte[] publicKey)
        {
            KeyId = keyId;
            PublicKey = publicKey;
            if (!Crypto.Ed25519.IsPublicKey(publicKey)) throw new ArgumentException("Not a point on the ED25519 curve.", nameof(publicKey));
        }

        /// <summary>The key's <c>kid</c>, when the JWKS gives one.</summary>
        public string? KeyId { get; }

        /// <summary>The raw 32-byte public key (the JWK's <c>x</c>).</summary>
        public byte[] PublicKey { get; }

        /// <summary>Makes a key from its 32 raw bytes.</summary>
        /// <exception cref="ArgumentException">Not 32 bytes, or not a point on the curve.</exception>
        public static WebhookKey FromPublicKey(byte[] publicKey, string? keyId = null)
        {
            if (publicKey == null || publicKey.Length != 32)
                throw new ArgumentException("An ED25519 public key is 32 bytes.", nameof(publicKey));
            return new WebhookKey(keyId, (byte[])publicKey.Clone());
        }
    }

    /// <summary>Reads the ED25519 signing keys out of a JSON Web Key Set document.</summary>
    public static class JsonWebKeySet
    {
        /// <summary>
        /// The usable keys (<c>kty</c> OKP, <c>crv</c> Ed25519, a 32-byte <c>x</c>, <c>use</c> absent or "sig").
        /// Other keys are skipped rather than failing the set: a JWKS may list keys for other purposes.
        /// </summary>
        /// <exception cref="FormatException">The document is not JSON or has no <c>keys</c> array.</exception>
        public static IReadOnlyList<WebhookKey> Parse(byte[] document, out int skipped)
        {
            skipped = 0;
            JsonDocument doc;
            try
            {
                // Through PlainJson: it refuses unpaired surrogate escapes, which would otherwise
                // make later string reads throw InvalidOperationException.
                doc = Protocol.PlainJson.ParseDocument(System.Text.Encoding.UTF8.GetString(document));
            }
            catch (JsonException ex)
            {
                throw new FormatException("The JWKS is not valid JSON: " + ex.Message, ex);
            }

            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object
                    || !doc.RootElement.TryGetProperty("keys", out var keys)
                    || keys.ValueKind != JsonValueKind.Array)
                {
                    throw new FormatException("The JWKS has no \"keys\" array.");
                }

                var result = new List<WebhookKey>();
                foreach (var jwk in keys.EnumerateArray())
                {
                    var key = TryRead(jwk);
                    if (key != null) result.Add(key);
                    else skipped++;
                }
                return result;
            }
        }

        private static WebhookKey? TryRead(JsonElement jwk)
        {
            if (jwk.ValueKind != JsonValueKind.Object) return null;
            if (!string.Equals(Text(jwk, "kty"), "OKP", StringComparison.Ordinal)) return null;
            if (!string.Equals(Text(jwk, "crv"), "Ed25519", StringComparison.Ordinal)) return null;
            var use = Text(jwk, "use");
            if (use != null && !string.Equals(use, "sig", StringComparison.Ordinal)) return null;
            var alg = Text(jwk, "alg");
            if (alg != null && !string.Equals(alg, "EdDSA", StringComparison.Ordinal) && !string.Equals(alg, "Ed25519", StringComparison.Ordinal)) return null;

            var x = Text(jwk, "x");
            if (x == null || !Base64Url.TryDecode(x, out var publicKey) || publicKey.Length != 32) return null;
            try
            {
                return new WebhookKey(Text(jwk, "kid"), publicKey);
            }
            catch (ArgumentException)
            {
                return null; // 32 bytes that are not a curve point
            }
        }

        private static string? Text(JsonElement o, string name) =>
            o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    /// <summary>base64url (RFC 4648 §5); padding is tolerated because fal's live JWKS has been seen with it.</summary>
    internal static class Base64Url
    {
        public static bool TryDecode(string text, out byte[] bytes)
        {
            bytes = Array.Empty<byte>();
            var s = text.Trim().TrimEnd('=');
            if (s.IndexOfAny(new[] { '+', '/' }) >= 0) return false;
            s = s.Replace('-', '+').Replace('_', '/');
            switch (s.Length % 4)
            {
                case 1: return false;
                case 2: s += "=="; break;
                case 3: s += "="; break;
            }
            try
            {
                bytes = Convert.FromBase64String(s);
                return true;
            }
            catch (FormatException)
            {
                return false;
            }
        }

        public static string Encode(byte[] bytes) =>
            Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
