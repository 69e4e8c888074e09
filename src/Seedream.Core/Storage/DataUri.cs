namespace Seedream.Storage
{
    /// <summary>Decodes <c>data:&lt;type&gt;;base64,&lt;payload&gt;</c> strings (sync_mode results, inline inputs).</summary>
    public static class DataUri
    {
        /// <summary>The bytes a data URI holds, without decoding it (null when it is not a base64 data URI).</summary>
        public static long? DecodedLength(string uri)
        {
            var comma = uri.IndexOf(',');
            if (comma < 0) return null;
            var payload = uri.Length - comma - 1;
            var padding = uri.EndsWith("==", StringComparison.Ordinal) ? 2 : uri.EndsWith("=", StringComparison.Ordinal) ? 1 : 0;
            return payload / 4 * 3L - padding;
        }

        /// <summary>The media type of a data URI ("image/png"), or null when it names none.</summary>
        public static string? MediaType(string uri)
        {
            if (!uri.StartsWith("data:", StringComparison.OrdinalIgnoreCase)) return null;
            var comma = uri.IndexOf(',');
            if (comma < 0) return null;
            var header = uri.Substring(5, comma - 5);
            var semi = header.IndexOf(';');
            var type = (semi >= 0 ? header.Substring(0, semi) : header).Trim();
            return type.Length == 0 ? null : type;
        }

        /// <summary>Decodes a data URI checked by <see cref="InputImage.CheckDataUri"/>.</summary>
        /// <exception cref="FormatException">The URI is not a valid base64 data URI.</exception>
        public static byte[] Decode(string uri)
        {
            var problem = uri.StartsWith("data:", StringComparison.OrdinalIgnoreCase) ? InputImage.CheckDataUri(uri) : ("DataUriInvalid", "it does not start with data:");
            if (problem != null) throw new FormatException("The data URI is not valid: " + problem.Value.Item2);
            return Convert.FromBase64String(uri.Substring(uri.IndexOf(',') + 1));
        }
    }
}
