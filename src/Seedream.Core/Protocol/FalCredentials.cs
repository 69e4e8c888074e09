namespace Seedream.Protocol
{
    /// <summary>
    /// The fal API key and where it came from. The key itself is never returned by any member
    /// that could end up in output, logs or exception text: <see cref="ToString"/> redacts it.
    /// </summary>
    public sealed class FalCredentials
    {
        private readonly string _key;

        public FalCredentials(string key, string source)
        {
            if (string.IsNullOrWhiteSpace(key)) throw new ArgumentException("The API key is empty.", nameof(key));
            _key = key.Trim();
            Source = source;
        }

        /// <summary>Where the key came from, e.g. "parameter", "FAL_KEY".</summary>
        public string Source { get; }

        /// <summary>The value of the Authorization header. Only the transport reads it.</summary>
        internal string AuthorizationValue => "Key " + _key;

        /// <summary>A one-way fingerprint of the key, to notice when it changes without keeping a copy.</summary>
        public string Fingerprint
        {
            get
            {
                using var sha = System.Security.Cryptography.SHA256.Create();
                return Convert.ToBase64String(sha.ComputeHash(System.Text.Encoding.UTF8.GetBytes(_key)));
            }
        }

        /// <summary>
        /// Resolves the key the way the official clients do: an explicit value, else <c>FAL_KEY</c>,
        /// else <c>FAL_KEY_ID</c> and <c>FAL_KEY_SECRET</c> joined with a colon. Null when none is set.
        /// </summary>
        public static FalCredentials? Resolve(string? explicitKey, Func<string, string?>? environment = null)
        {
            if (!string.IsNullOrWhiteSpace(explicitKey)) return new FalCredentials(explicitKey!, "parameter");
            var env = environment ?? Environment.GetEnvironmentVariable;
            var key = env("FAL_KEY");
            if (!string.IsNullOrWhiteSpace(key)) return new FalCredentials(key!, "FAL_KEY");
            var id = env("FAL_KEY_ID");
            var secret = env("FAL_KEY_SECRET");
            if (!string.IsNullOrWhiteSpace(id) && !string.IsNullOrWhiteSpace(secret))
                return new FalCredentials(id!.Trim() + ":" + secret!.Trim(), "FAL_KEY_ID/FAL_KEY_SECRET");
            return null;
        }

        /// <summary>Why no key was found, naming the half of an id/secret pair that is missing.</summary>
        public static string DescribeMissing(Func<string, string?>? environment = null)
        {
            var env = environment ?? Environment.GetEnvironmentVariable;
            var hasId = !string.IsNullOrWhiteSpace(env("FAL_KEY_ID"));
            var hasSecret = !string.IsNullOrWhiteSpace(env("FAL_KEY_SECRET"));
            if (hasId && !hasSecret)
                return "FAL_KEY_ID is set but FAL_KEY_SECRET is not: set FAL_KEY_SECRET as well (or FAL_KEY), or run Connect-Seedream -ApiKey <key>.";
            if (hasSecret && !hasId)
                return "FAL_KEY_SECRET is set but FAL_KEY_ID is not: set FAL_KEY_ID as well (or FAL_KEY), or run Connect-Seedream -ApiKey <key>.";
            return "No fal API key is configured. Run Connect-Seedream -ApiKey <key>, or set the FAL_KEY environment variable (or FAL_KEY_ID and FAL_KEY_SECRET).";
        }

        /// <summary>Removes every occurrence of the key from a piece of text.</summary>
        public string Redact(string? text)
        {
            if (string.IsNullOrEmpty(text)) return text ?? string.Empty;
            return text!.Replace(_key, "***");
        }

        public override string ToString() => $"fal API key from {Source} (redacted)";
    }
}
