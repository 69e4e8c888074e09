namespace Seedream.Storage
{
    /// <summary>
    /// Turns names that come from a server (file_name, Content-Disposition, request ids, URL
    /// segments) into one plain file name that is safe on Windows, macOS and Linux alike: no
    /// directory parts, no traversal, no reserved device names, no control or invisible characters.
    /// </summary>
    public static class SafeFileName
    {
        /// <summary>Longest name produced (well under every file system's 255 limit, leaving room for a temp suffix).</summary>
        public const int MaxLength = 120;

        // Windows opens a device instead of a file for these, whatever the extension ("CON.png").
        private static readonly HashSet<string> ReservedNames = new HashSet<string>(
            new[] { "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$" }
                .Concat(Enumerable.Range(0, 10).Select(i => "COM" + i))
                .Concat(Enumerable.Range(0, 10).Select(i => "LPT" + i))
                .Concat(new[] { "COM\u00B9", "COM\u00B2", "COM\u00B3", "LPT\u00B9", "LPT\u00B2", "LPT\u00B3" }),
            StringComparer.OrdinalIgnoreCase);

        private const string InvalidChars = "<>:\"/\\|?*";

        /// <summary>
        /// The last path segment of <paramref name="name"/>, cleaned; <paramref name="fallback"/>
        /// when nothing usable is left.
        /// </summary>
        public static string Clean(string? name, string fallback)
        {
            if (string.IsNullOrEmpty(name)) return fallback;
            var text = name!;
            // Only the last segment counts: "../../x.png", "C:\x.png" and "/etc/x" become "x.png", "x.png", "x".
            var cut = text.LastIndexOfAny(new[] { '/', '\\' });
            if (cut >= 0) text = text.Substring(cut + 1);
            var sb = new StringBuilder(text.Length);
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    sb.Append(c).Append(text[++i]);
                    continue;
                }
                var category = CharUnicodeInfo.GetUnicodeCategory(c);
                // Control, format (bidi overrides, zero-width) and unpaired surrogates would hide or garble the real name.
                if (char.IsControl(c) || char.IsSurrogate(c) || category == UnicodeCategory.Format
                    || category == UnicodeCategory.LineSeparator || category == UnicodeCategory.ParagraphSeparator) continue;
                sb.Append(InvalidChars.IndexOf(c) >= 0 ? '_' : c);
            }
            var s = TrimEnds(sb.ToString());
            if (s.Length == 0 || s.All(c => c == '.' || c == '_')) return fallback;
            // A leading dot would hide the file on Unix; leading dots also spell "..".
            if (s[0] == '.') s = "_" + s.TrimStart('.');
            s = Cap(s);
            var stem = s.IndexOf('.') is var dot && dot >= 0 ? s.Substring(0, dot) : s;
            if (ReservedNames.Contains(stem.TrimEnd(' '))) s = "_" + s;
            return s;
        }

        /// <summary>The name without its extension, cleaned (for the {FileName} placeholder).</summary>
        public static string CleanStem(string? name, string fallback)
        {
            if (string.IsNullOrEmpty(name)) return fallback;
            var text = name!;
            var cut = text.LastIndexOfAny(new[] { '/', '\\' });
            if (cut >= 0) text = text.Substring(cut + 1);
            var dot = text.LastIndexOf('.');
            if (dot > 0) text = text.Substring(0, dot);
            return Clean(text, fallback);
        }

        /// <summary>A short alphanumeric extension (without the dot), or null.</summary>
        public static string? CleanExtension(string? extension)
        {
            if (string.IsNullOrEmpty(extension)) return null;
            var e = extension!.TrimStart('.');
            if (e.Length == 0 || e.Length > 10 || !e.All(c => c < 128 && char.IsLetterOrDigit(c))) return null;
            return e.ToLowerInvariant();
        }

        /// <summary>Windows drops trailing dots and spaces silently, so "x.png." would save as "x.png": drop them here.</summary>
        private static string TrimEnds(string s) => s.Trim(' ').TrimEnd('.', ' ');

        private static string Cap(string s)
        {
            if (s.Length <= MaxLength) return s;
            var dot = s.LastIndexOf('.');
            var ext = dot > 0 && s.Length - dot <= 11 ? s.Substring(dot) : string.Empty;
            var stem = s.Substring(0, MaxLength - ext.Length);
            // Do not cut a surrogate pair in half.
            if (stem.Length > 0 && char.IsHighSurrogate(stem[stem.Length - 1])) stem = stem.Substring(0, stem.Length - 1);
            return TrimEnds(stem) + ext;
        }
    }

    /// <summary>
    /// A file-name template such as <c>{RequestId}-{Index}.{ext}</c>. Placeholders are
    /// case-insensitive; their values are sanitised so none can add a directory. The template's
    /// own text may name sub-folders with '/' but can never leave the destination.
    /// </summary>
    public sealed class NameTemplate
    {
        public const string Default = "{RequestId}-{Index}.{ext}";
        public static readonly string[] Placeholders = { "InputName", "RequestId", "Index", "FileName", "Seed", "ext" };

        private readonly List<(bool IsPlaceholder, string Text)> _parts;

        private NameTemplate(string text, List<(bool, string)> parts)
        {
            Text = text;
            _parts = parts;
        }

        public string Text { get; }

        public bool UsesExtension => _parts.Any(p => p.IsPlaceholder && p.Text == "ext");

        /// <exception cref="FormatException">Unknown placeholder, unbalanced brace, rooted path or '..'.</exception>
        public static NameTemplate Parse(string? template)
        {
            if (string.IsNullOrWhiteSpace(template)) throw new FormatException("The name template is empty.");
            var t = template!;
            var parts = new List<(bool, string)>();
            var i = 0;
            while (i < t.Length)
            {
                var open = t.IndexOf('{', i);
                var close = t.IndexOf('}', i);
                if (close >= 0 && (open < 0 || close < open)) throw new FormatException($"The name template '{t}' has a '}}' without a matching '{{'.");
                if (open < 0)
                {
                    parts.Add((false, t.Substring(i)));
                    break;
                }
                if (open > i) parts.Add((false, t.Substring(i, open - i)));
                close = t.IndexOf('}', open);
                if (close < 0) throw new FormatException($"The name template '{t}' has a '{{' without a matching '}}'.");
                var name = t.Substring(open + 1, close - open - 1).Trim();
                var known = Placeholders.FirstOrDefault(p => string.Equals(p, name, StringComparison.OrdinalIgnoreCase));
                if (known == null)
                    throw new FormatException($"The name template '{t}' uses {{{name}}}, which is not a placeholder. Use {string.Join(", ", Placeholders.Select(p => "{" + p + "}"))}.");
                parts.Add((true, known));
                i = close + 1;
            }
            var literal = string.Concat(parts.Select(p => p.Item1 ? "x" : p.Item2));
            if (Path.IsPathRooted(literal) || literal.StartsWith("/", StringComparison.Ordinal) || literal.StartsWith("\\", StringComparison.Ordinal) || (literal.Length > 1 && literal[1] == ':'))
                throw new FormatException($"The name template '{t}' is an absolute path; it must be a name relative to the destination folder.");
            foreach (var segment in literal.Split('/', '\\'))
                if (segment == ".." || segment == ".")
                    throw new FormatException($"The name template '{t}' contains '{segment}'; it must stay inside the destination folder.");
            if (!parts.Any(p => p.Item1))
                throw new FormatException($"The name template '{t}' has no placeholder, so every image would get the same name. Include {{RequestId}} and {{Index}}, or use -Path for a single file.");
            return new NameTemplate(t, parts);
        }

        /// <summary>
        /// The relative path ('/'-separated) for one image. Every segment is cleaned again after
        /// substitution, so a value like "CON" or "a." cannot produce an unsafe name.
        /// </summary>
        /// <summary>The file name of a path or URL without its extension; null for a data URI or nothing.</summary>
        private static string? InputStem(string? input)
        {
            if (string.IsNullOrWhiteSpace(input) || input!.StartsWith("data:", StringComparison.OrdinalIgnoreCase)) return null;
            var text = input.Trim();
            var query = text.IndexOfAny(new[] { '?', '#' });
            if (query > 0 && text.Contains("://")) text = text.Substring(0, query);
            text = text.TrimEnd('/', '\\');
            var slash = text.LastIndexOfAny(new[] { '/', '\\' });
            var name = slash >= 0 ? text.Substring(slash + 1) : text;
            var dot = name.LastIndexOf('.');
            return dot > 0 ? name.Substring(0, dot) : name.Length > 0 ? name : null;
        }

        /// <summary>
        /// The name of an image: {RequestId}, {Index} and {Seed} come from it; {FileName} and {ext}
        /// are given (the writer picks them from the server, the URL or the bytes); {InputName} is the
        /// first input image of the edit (a path or URL).
        /// </summary>
        public string Render(Image image, string? fileName, string? extension, string? inputName = null)
        {
            var sb = new StringBuilder();
            foreach (var (isPlaceholder, text) in _parts)
            {
                if (!isPlaceholder)
                {
                    sb.Append(text.Replace('\\', '/'));
                    continue;
                }
                switch (text)
                {
                    case "RequestId": sb.Append(SafeFileName.Clean(image.RequestId, "image")); break;
                    case "Index": sb.Append(image.Index.ToString(CultureInfo.InvariantCulture)); break;
                    case "FileName": sb.Append(SafeFileName.CleanStem(fileName, "image")); break;
                    case "Seed": sb.Append(image.Seed.HasValue ? image.Seed.Value.ToString(CultureInfo.InvariantCulture) : "noseed"); break;
                    case "ext": sb.Append(SafeFileName.CleanExtension(extension) ?? "bin"); break;
                    case "InputName": sb.Append(SafeFileName.CleanStem(InputStem(inputName) ?? image.RequestId, "image")); break;
                }
            }
            // Every name keeps the image's extension, even when the template leaves out {ext}.
            var cleanExtension = SafeFileName.CleanExtension(extension);
            if (!UsesExtension && cleanExtension != null && !sb.ToString().EndsWith("." + cleanExtension, StringComparison.OrdinalIgnoreCase))
                sb.Append('.').Append(cleanExtension);
            var segments = sb.ToString().Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries)
                .Select(s => SafeFileName.Clean(s, "_"))
                .ToArray();
            return segments.Length == 0 ? "image" : string.Join("/", segments);
        }
    }

    /// <summary>Joins a destination folder and a relative name, refusing any result outside the folder.</summary>
    public static class SafePath
    {
        /// <exception cref="UnsafePathException">The result would leave <paramref name="root"/>.</exception>
        public static string Combine(string root, string relative)
        {
            var fullRoot = Path.GetFullPath(root);
            var rootWithSep = fullRoot.EndsWith(Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal) ? fullRoot : fullRoot + Path.DirectorySeparatorChar;
            if (Path.IsPathRooted(relative)) throw new UnsafePathException($"The name '{relative}' is an absolute path.");
            var full = Path.GetFullPath(Path.Combine(fullRoot, relative.Replace('/', Path.DirectorySeparatorChar)));
            var comparison = Path.DirectorySeparatorChar == '\\' ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            if (!full.StartsWith(rootWithSep, comparison) || full.Length == rootWithSep.Length)
                throw new UnsafePathException($"The name '{relative}' would place the file outside '{fullRoot}'.");
            return full;
        }
    }

    /// <summary>A computed file name would escape its destination folder.</summary>
    public sealed class UnsafePathException : Exception
    {
        public UnsafePathException(string message) : base(message) { }
    }
}
