namespace Seedream
{
    /// <summary>The connection settings in force (<c>Seedream.Context</c>). Never holds the key itself.</summary>
    public sealed class Context
    {
        /// <summary>Where the key came from: parameter, credential, FAL_KEY, FAL_KEY_ID/FAL_KEY_SECRET.</summary>
        public string KeySource { get; set; } = string.Empty;
        public string? ProxyUrl { get; set; }
        public int MaxRetryCount { get; set; }
        public int TimeoutSec { get; set; }
        /// <summary>True when set by Connect-Seedream; false when read from environment variables.</summary>
        public bool Connected { get; set; }
        public DateTime? ConnectedAt { get; set; }
        public override string ToString() => ProxyUrl == null ? $"fal (key from {KeySource})" : $"fal via {ProxyUrl} (key from {KeySource})";
    }
}
