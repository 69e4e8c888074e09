namespace Seedream
{
    /// <summary>A file uploaded to fal storage (<c>Seedream.File</c>); its Url can be used as an input image.</summary>
    public sealed class File
    {
        public string Url { get; set; } = string.Empty;
        public string FileName { get; set; } = string.Empty;
        public string ContentType { get; set; } = "application/octet-stream";
        public long FileSize { get; set; }
        /// <summary>The local file it came from.</summary>
        public string? SourcePath { get; set; }
        /// <summary>When fal will delete it, if an expiry was requested.</summary>
        public DateTime? ExpiresAt { get; set; }
        public override string ToString() => Url;
    }
}
