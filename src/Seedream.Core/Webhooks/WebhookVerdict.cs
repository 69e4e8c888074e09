namespace Seedream
{
    /// <summary>Why a webhook signature check came out as it did.</summary>
    public enum WebhookVerdictReason
    {
        /// <summary>A key from the JWKS verified the signature and the timestamp is fresh.</summary>
        Valid,
        /// <summary>One of the four X-Fal-Webhook-* headers is absent or empty (<see cref="WebhookVerdict.MissingHeader"/> names it).</summary>
        MissingHeader,
        /// <summary>X-Fal-Webhook-Timestamp is not a whole number of Unix seconds.</summary>
        MalformedTimestamp,
        /// <summary>The timestamp is further from now than the tolerance (a replay, or a clock that is off).</summary>
        StaleTimestamp,
        /// <summary>X-Fal-Webhook-Signature is not 128 hex digits (64 bytes).</summary>
        MalformedSignature,
        /// <summary>The JWKS could not be fetched or read; nothing was verified.</summary>
        JwksUnavailable,
        /// <summary>The JWKS holds no usable ED25519 key.</summary>
        NoKeys,
        /// <summary>
        /// No key verified the signature: the body or a header was changed, or it was signed with a key the JWKS
        /// does not list (fal sends no key id, so the two cannot be told apart).
        /// </summary>
        BadSignature,
    }

    /// <summary>The outcome of checking a fal webhook's signature (<c>Seedream.WebhookVerdict</c>).</summary>
    public sealed class WebhookVerdict
    {
        internal WebhookVerdict(WebhookVerdictReason reason, string message)
        {
            Reason = reason.ToString();
            Message = message;
        }

        /// <summary>True only for <see cref="WebhookVerdictReason.Valid"/>: the request is authentic and fresh.</summary>
        public bool IsValid => Reason == nameof(WebhookVerdictReason.Valid);
        /// <summary>A <see cref="WebhookVerdictReason"/> name (text, so it survives Export-Clixml and JSON as a name).</summary>
        public string Reason { get; }
        /// <summary>A sentence saying what was found, for logs.</summary>
        public string Message { get; }
        /// <summary>For <see cref="WebhookVerdictReason.MissingHeader"/>: the first header that is missing.</summary>
        public string? MissingHeader { get; internal set; }
        /// <summary>X-Fal-Webhook-Request-Id as received (trust it only when <see cref="IsValid"/>).</summary>
        public string? RequestId { get; internal set; }
        /// <summary>X-Fal-Webhook-User-Id as received.</summary>
        public string? UserId { get; internal set; }
        /// <summary>X-Fal-Webhook-Timestamp as a date, when it could be read.</summary>
        public DateTimeOffset? Timestamp { get; internal set; }
        /// <summary>The <c>kid</c> of the JWKS key that verified the signature (null unless valid, or when the key has none).</summary>
        public string? KeyId { get; internal set; }
        /// <summary>The JWKS the keys came from.</summary>
        public Uri? JwksUrl { get; internal set; }

        public override string ToString() => IsValid
            ? $"Valid: request {RequestId} signed by key {KeyId ?? "(no kid)"}"
            : $"{Reason}: {Message}";
    }
}
