using System.Collections;
using System.Security.Cryptography;
using Seedream.Storage;

namespace Seedream
{
    /// <summary>
    /// Identifies an edit by what fal is asked to do: SHA-256 over the endpoint and the request
    /// body in canonical form (keys sorted), where every input image is replaced by the SHA-256 of
    /// its bytes. A local file, its upload and the same bytes as a data URI are one image; a URL is
    /// identified by its text (fetching every URL to hash it would cost more than it saves).
    /// Headers, priority and webhooks are not part of it: they do not change the output.
    /// </summary>
    public static class EditFingerprint
    {
        /// <summary>The fingerprint of <paramref name="request"/> with <paramref name="imageIds"/> in place of its image_urls.</summary>
        public static string Compute(string endpoint, EditRequest request, IReadOnlyList<string> imageIds)
        {
            var body = new Dictionary<string, object?>(request.ToBody(), StringComparer.Ordinal) { ["image_urls"] = imageIds.ToArray() };
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms))
            {
                w.WriteStartObject();
                w.WriteString("v", "1");
                w.WriteString("endpoint", endpoint.Trim().Trim('/'));
                w.WritePropertyName("body");
                PlainJson.Write(w, body, sortKeys: true);
                w.WriteEndObject();
            }
            return Hex(Sha256(ms.ToArray()));
        }

        /// <summary>An image's identity: "sha256:…" of the bytes of a data URI, else "url:" + the URL.</summary>
        public static string ForUrl(string url)
        {
            var t = url.Trim();
            if (t.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
            {
                try { return ForBytes(DataUri.Decode(t)); }
                catch (FormatException) { }
            }
            return "url:" + t;
        }

        public static string ForBytes(byte[] bytes) => "sha256:" + Hex(Sha256(bytes));

        /// <summary>Hashes a local file by streaming it (never the whole file in memory).</summary>
        public static string ForFile(string path)
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.SequentialScan);
            using var sha = SHA256.Create();
            return "sha256:" + Hex(sha.ComputeHash(fs));
        }

        private static byte[] Sha256(byte[] data)
        {
            using var sha = SHA256.Create();
            return sha.ComputeHash(data);
        }

        private static string Hex(byte[] hash)
        {
            var sb = new StringBuilder(hash.Length * 2);
            foreach (var b in hash) sb.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            return sb.ToString();
        }
    }
}
