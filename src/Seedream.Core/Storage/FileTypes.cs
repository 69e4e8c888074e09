namespace Seedream.Storage
{
    /// <summary>Content types from magic bytes, with the file extension as a fallback.</summary>
    public static class FileTypes
    {
        /// <summary>Bytes to read from the start of a file for <see cref="Sniff"/>.</summary>
        public const int HeaderLength = 32;

        private static readonly Dictionary<string, string> ByExtension = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            [".png"] = "image/png", [".jpg"] = "image/jpeg", [".jpeg"] = "image/jpeg", [".jpe"] = "image/jpeg",
            [".webp"] = "image/webp", [".gif"] = "image/gif", [".bmp"] = "image/bmp", [".tif"] = "image/tiff",
            [".tiff"] = "image/tiff", [".heic"] = "image/heic", [".heif"] = "image/heif", [".avif"] = "image/avif",
            [".svg"] = "image/svg+xml", [".txt"] = "text/plain", [".json"] = "application/json", [".zip"] = "application/zip",
            [".mp4"] = "video/mp4", [".mp3"] = "audio/mpeg", [".wav"] = "audio/wav", [".pdf"] = "application/pdf",
        };

        private static readonly Dictionary<string, string> ExtensionByType = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["image/png"] = ".png", ["image/jpeg"] = ".jpg", ["image/jpg"] = ".jpg", ["image/webp"] = ".webp", ["image/gif"] = ".gif",
            ["image/bmp"] = ".bmp", ["image/tiff"] = ".tiff", ["image/heic"] = ".heic", ["image/heif"] = ".heif", ["image/avif"] = ".avif",
            ["image/svg+xml"] = ".svg", ["text/plain"] = ".txt", ["application/json"] = ".json", ["application/zip"] = ".zip",
            ["video/mp4"] = ".mp4", ["audio/mpeg"] = ".mp3", ["audio/wav"] = ".wav", ["application/pdf"] = ".pdf",
        };

        /// <summary>The image type the bytes announce, or null when they announce none this knows.</summary>
        public static string? Sniff(byte[] header, int count)
        {
            bool At(int offset, params byte[] sig)
            {
                if (count < offset + sig.Length) return false;
                for (var i = 0; i < sig.Length; i++) if (header[offset + i] != sig[i]) return false;
                return true;
            }
            string Ascii(int offset, int length) => count >= offset + length ? Encoding.ASCII.GetString(header, offset, length) : string.Empty;

            if (At(0, 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A)) return "image/png";
            if (At(0, 0xFF, 0xD8, 0xFF)) return "image/jpeg";
            if (Ascii(0, 6) == "GIF87a" || Ascii(0, 6) == "GIF89a") return "image/gif";
            if (Ascii(0, 4) == "RIFF" && Ascii(8, 4) == "WEBP") return "image/webp";
            if (At(0, 0x42, 0x4D) && count >= 14) return "image/bmp";
            if (At(0, 0x49, 0x49, 0x2A, 0x00) || At(0, 0x4D, 0x4D, 0x00, 0x2A)) return "image/tiff";
            if (Ascii(4, 4) == "ftyp")
            {
                switch (Ascii(8, 4))
                {
                    case "avif": case "avis": return "image/avif";
                    case "heic": case "heix": case "hevc": case "hevx": case "heim": case "heis": return "image/heic";
                    case "mif1": case "msf1": return "image/heif";
                }
            }
            return null;
        }

        /// <summary>The content type of a file: magic bytes first, then the extension, else octet-stream.</summary>
        public static string Detect(string path)
        {
            var header = new byte[HeaderLength];
            int n;
            using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None))
                n = ReadAtLeast(fs, header);
            return Sniff(header, n) ?? FromExtension(path) ?? "application/octet-stream";
        }

        public static string? FromExtension(string path) =>
            ByExtension.TryGetValue(Path.GetExtension(path) ?? string.Empty, out var t) ? t : null;

        /// <summary>The usual extension (with the dot) for a content type; null when unknown.</summary>
        public static string? ExtensionFor(string? contentType)
        {
            if (string.IsNullOrEmpty(contentType)) return null;
            var semi = contentType!.IndexOf(';');
            var bare = (semi >= 0 ? contentType.Substring(0, semi) : contentType).Trim();
            return ExtensionByType.TryGetValue(bare, out var e) ? e : null;
        }

        public static bool IsImage(string? contentType) => contentType != null && contentType.StartsWith("image/", StringComparison.OrdinalIgnoreCase);

        private static int ReadAtLeast(Stream s, byte[] buffer)
        {
            var total = 0;
            while (total < buffer.Length)
            {
                var n = s.Read(buffer, total, buffer.Length - total);
                if (n == 0) break;
                total += n;
            }
            return total;
        }
    }
}
