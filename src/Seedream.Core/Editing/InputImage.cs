namespace Seedream
{
    /// <summary>Checks on image references given as text (URLs and data URIs).</summary>
    public static class InputImage
    {
        /// <summary>A data URI larger than this is worth a warning: it travels inside every request.</summary>
        public const int LargeDataUriChars = 4 * 1024 * 1024;

        /// <summary>True when the text looks like a URL or data URI rather than a file path.</summary>
        public static bool LooksLikeUrl(string text)
        {
            var t = text.Trim();
            if (t.StartsWith("data:", StringComparison.OrdinalIgnoreCase)) return true;
            var i = t.IndexOf("://", StringComparison.Ordinal);
            // "C:\x" and "./x" are paths; "scheme://" is a URL (one-letter schemes are drive letters).
            return i > 1 && IsSchemeName(t.Substring(0, i));
        }

        private static bool IsSchemeName(string s)
        {
            if (s.Length == 0 || !char.IsLetter(s[0])) return false;
            foreach (var c in s)
                if (!(char.IsLetterOrDigit(c) || c == '+' || c == '-' || c == '.')) return false;
            return true;
        }

        /// <summary>Null when the reference can be sent; else a code and a message.</summary>
        public static (string Code, string Message)? CheckUrl(string? url)
        {
            if (string.IsNullOrWhiteSpace(url)) return ("ImageUrlInvalid", "the image reference is empty.");
            var t = url!.Trim();
            if (t.StartsWith("data:", StringComparison.OrdinalIgnoreCase)) return CheckDataUri(t);
            if (!Uri.TryCreate(t, UriKind.Absolute, out var u))
                return ("ImageUrlInvalid", $"'{Short(t)}' is not a valid absolute URL.");
            if (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps)
                return ("ImageUrlSchemeUnsupported", $"the scheme '{u.Scheme}:' is not supported; fal fetches only http, https and data: URLs.");
            if (string.IsNullOrEmpty(u.Host))
                return ("ImageUrlInvalid", $"'{Short(t)}' has no host.");
            return null;
        }

        /// <summary>A data URI must be <c>data:&lt;mime&gt;;base64,&lt;payload&gt;</c> with a valid payload.</summary>
        public static (string Code, string Message)? CheckDataUri(string uri)
        {
            if (uri == null || !uri.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
                return ("DataUriInvalid", "the text does not start with 'data:'.");
            var comma = uri.IndexOf(',');
            if (comma < 0) return ("DataUriInvalid", "the data URI has no ',' separating its header from its data.");
            var header = uri.Substring(5, comma - 5);
            if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
                return ("DataUriInvalid", "the data URI is not base64-encoded (expected data:<type>;base64,<data>).");
            var mime = header.Substring(0, header.Length - 7);
            if (mime.Length > 0 && mime.IndexOf('/') < 0)
                return ("DataUriInvalid", $"the data URI's media type '{mime}' is not a type/subtype.");
            var payloadLength = uri.Length - comma - 1;
            if (payloadLength == 0) return ("DataUriInvalid", "the data URI carries no data.");
            if (payloadLength % 4 != 0) return ("DataUriInvalid", "the data URI's base64 payload has a length that is not a multiple of 4.");
            for (var i = comma + 1; i < uri.Length; i++)
            {
                var c = uri[i];
                // Padding is only at the very end: nothing but '=' may follow a '='.
                var ok = c == '=' ? i >= uri.Length - 2 : uri[i - 1] != '=' && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/');
                if (!ok) return ("DataUriInvalid", $"the data URI's payload has a character that is not base64 at position {i - comma - 1}.");
            }
            return null;
        }

        private static string Short(string s) => s.Length <= 120 ? s : s.Substring(0, 120) + "…";
    }
}
