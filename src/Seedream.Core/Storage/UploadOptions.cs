namespace Seedream.Storage
{
    /// <summary>Options of an upload to fal storage.</summary>
    public sealed class UploadOptions
    {
        /// <summary>Overrides the detected content type.</summary>
        public string? ContentType { get; set; }
        /// <summary>Overrides the file name sent to fal (default: the local name).</summary>
        public string? FileName { get; set; }
        /// <summary>How long fal keeps the file; null = the account default ("never" sends nothing).</summary>
        public TimeSpan? ExpiresIn { get; set; }
        /// <summary>Called with (bytes sent, total bytes) as the upload proceeds; from a worker thread.</summary>
        public Action<long, long>? Progress { get; set; }
    }

    /// <summary>The lifecycle presets both official clients accept.</summary>
    public static class Lifecycle
    {
        public static readonly string[] Presets = { "never", "immediate", "1h", "1d", "7d", "30d", "1y" };

        /// <summary>
        /// Parses a preset or a number of seconds. Returns true with a null value for "never"
        /// (no expiry header is sent, as the official clients do).
        /// </summary>
        public static bool TryParse(string? text, out TimeSpan? expiresIn, out string? error)
        {
            expiresIn = null;
            error = null;
            var t = (text ?? string.Empty).Trim();
            switch (t.ToLowerInvariant())
            {
                case "never": return true;
                case "immediate": expiresIn = TimeSpan.FromSeconds(60); return true;
                case "1h": expiresIn = TimeSpan.FromSeconds(3600); return true;
                case "1d": expiresIn = TimeSpan.FromSeconds(86400); return true;
                case "7d": expiresIn = TimeSpan.FromSeconds(604800); return true;
                case "30d": expiresIn = TimeSpan.FromSeconds(2592000); return true;
                case "1y": expiresIn = TimeSpan.FromSeconds(31536000); return true;
            }
            if (long.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= 10L * 365 * 86400)
            {
                expiresIn = TimeSpan.FromSeconds(seconds);
                return true;
            }
            error = $"'{text}' is not an expiry. Use never, immediate, 1h, 1d, 7d, 30d, 1y, or a positive number of seconds.";
            return false;
        }
    }

    /// <summary>What a download produced.</summary>
    public sealed class DownloadResult
    {
        public string? ContentType { get; set; }
        public long Length { get; set; }
        /// <summary>The URL the bytes finally came from (after redirects).</summary>
        public string FinalUrl { get; set; } = string.Empty;
        /// <summary>The file name the server suggested (Content-Disposition), unsanitised.</summary>
        public string? SuggestedFileName { get; set; }
    }
}
