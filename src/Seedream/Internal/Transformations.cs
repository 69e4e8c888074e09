using System.Globalization;
using System.Net;
using System.Security;

namespace Seedream.Commands.Internal
{
    /// <summary>
    /// Lets a boolean parameter bind from CSV text ("true", "false", "1", "0", "yes", "no"), which
    /// PowerShell's own binder refuses for bool and misreads ("False" is true) for switches. An
    /// empty cell means "not given": null for a bool?, off for a switch.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class BooleanTextTransformationAttribute : ArgumentTransformationAttribute
    {
        /// <summary>True for a nullable bool, where an empty cell becomes null rather than false.</summary>
        public bool EmptyIsNull { get; set; }

        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            var value = inputData is PSObject p ? p.BaseObject : inputData;
            if (value is string s)
            {
                switch (s.Trim().ToLowerInvariant())
                {
                    case "true": case "1": case "yes": case "on": case "$true": return true;
                    case "false": case "0": case "no": case "off": case "$false": return false;
                    case "": return EmptyIsNull ? null : (object)false;
                    default: throw new ArgumentTransformationMetadataException($"'{s}' is not a boolean. Use true or false.");
                }
            }
            return inputData;
        }
    }

    /// <summary>
    /// What Export-Csv writes for a property it cannot put in a cell: the value's type name
    /// ("System.String[]", "Seedream.Image[]", "System.Collections.Generic.List`1[System.String]").
    /// Such a cell says nothing of the values.
    /// </summary>
    internal static class ExportedCell
    {
        private static readonly System.Text.RegularExpressions.Regex TypeName =
            new System.Text.RegularExpressions.Regex(@"^[A-Za-z_][\w.]*(`\d+)?\[[\w.,\s]*\]$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

        public static bool IsTypeName(string? text) => text != null && TypeName.IsMatch(text.Trim());
    }

    /// <summary>
    /// A list of text read back from a CSV cell. Export-Csv writes an array property as its type
    /// name ("System.String[]"), which says nothing of the values: it binds as "not known" (null),
    /// never as an input named "System". Several values in one cell are separated by '|', as -Image
    /// takes them; an empty cell is not given.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class CsvListTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            var value = inputData is PSObject p ? p.BaseObject : inputData;
            if (!(value is string s)) return inputData;
            var text = s.Trim();
            if (text.Length == 0 || ExportedCell.IsTypeName(text)) return null;
            return text.Split(ImageInputTransformationAttribute.Separator).Select(v => v.Trim()).Where(v => v.Length > 0).ToArray();
        }
    }

    /// <summary>
    /// An empty or blank string (an empty CSV cell) means "not given": it binds as null, so the
    /// parameter keeps its default instead of failing to convert ("" to an int) or, worse,
    /// converting silently (PowerShell turns "" into 0).
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class EmptyIsNotGivenAttribute : ArgumentTransformationAttribute
    {
        /// <summary>
        /// For whole-number parameters: text that is not a whole number is refused here, because a
        /// failed conversion of a property would otherwise be skipped silently by pipeline binding
        /// (and the edit sent, and paid for, without the value the row asked for).
        /// </summary>
        public bool WholeNumber { get; set; }

        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            var value = inputData is PSObject p ? p.BaseObject : inputData;
            if (!(value is string s)) return inputData;
            if (s.Trim().Length == 0) return null;
            if (WholeNumber && !long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                throw new ArgumentTransformationMetadataException($"'{s}' is not a whole number.");
            return inputData;
        }
    }

    /// <summary>
    /// Turns whatever is given or piped to -Image into <see cref="ImageInput"/>s: strings (URLs,
    /// data URIs, paths; several in one string separated by '|', as in a CSV cell), Uri, FileInfo,
    /// Seedream.Image / Seedream.EditResult / Seedream.File, and the same objects after
    /// Export-Clixml/Import-Clixml, Receive-Job or ConvertFrom-Json (anything with a Url, an Images
    /// list, or a FullName). An object that is none of these is refused as an invalid cast, which
    /// pipeline binding treats as "this input is not an image" (so a CSV row binds by its columns).
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class ImageInputTransformationAttribute : ArgumentTransformationAttribute
    {
        /// <summary>Separates several images in one string (a CSV cell). Neither URLs nor data URIs nor Windows paths use it.</summary>
        public const char Separator = '|';

        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            if (inputData == null) return null;
            var images = new List<ImageInput>();
            Add(inputData, images, earlier: false, depth: 0);
            return images.ToArray();
        }

        private static void Add(object? input, List<ImageInput> images, bool earlier, int depth)
        {
            var value = input is PSObject p ? p.BaseObject : input;
            switch (value)
            {
                case null:
                    return;
                case string text:
                    foreach (var part in text.Split(Separator))
                        if (part.Trim().Length > 0) images.Add(new ImageInput(part.Trim()));
                    return;
                case Uri or FileInfo or DirectoryInfo or Image or File or ImageInput:
                    images.Add(ImageInput.FromObject(value)!);
                    return;
                case EditResult result:
                    foreach (var image in result.Images) images.Add(new ImageInput(image));
                    return;
                case IDictionary dict:
                    var url = Text(Find(dict, "Url"));
                    if (url != null) { images.Add(ImageInput.FromUrl(url, input, earlier)); return; }
                    break;
                case IEnumerable list when depth < 3 && !(value is PSCustomObject):
                    foreach (var element in list) Add(element, images, earlier, depth + 1);
                    return;
            }

            if (depth < 3 && value != null && !(value is IDictionary))
            {
                var pso = PSObject.AsPSObject(input!);
                var isOutput = earlier || IsModuleOutput(pso) || pso.Properties["RequestId"] != null || pso.Properties["request_id"] != null;
                var nested = pso.Properties["Images"]?.Value;
                if (nested != null)
                {
                    var before = images.Count;
                    Add(nested, images, isOutput, depth + 1);
                    if (images.Count > before) return;
                }
                var url = Text(pso.Properties["Url"]?.Value);
                if (url != null)
                {
                    images.Add(ImageInput.FromUrl(url, input, isOutput));
                    return;
                }
                var fullName = Text(pso.Properties["FullName"]?.Value);
                if (fullName != null)
                {
                    images.Add(ImageInput.FromFullPath(fullName, input));
                    return;
                }
            }
            var type = value is PSObject shown ? shown.TypeNames.Count > 0 ? shown.TypeNames[0] : "object" : value!.GetType().FullName;
            // An invalid cast: the binder then tries the object's properties instead (CSV rows).
            throw new ArgumentTransformationMetadataException(
                $"A {type} is not an image. Pass a path, a URL, a data URI, a file (Get-Item), an upload (Send-SeedreamFile) or an earlier result.",
                new PSInvalidCastException("Not an image: " + type));
        }

        private static bool IsModuleOutput(PSObject pso)
        {
            foreach (var name in pso.TypeNames)
                if (name.EndsWith("Seedream.Image", StringComparison.Ordinal) || name.EndsWith("Seedream.EditResult", StringComparison.Ordinal)) return true;
            return false;
        }

        private static object? Find(IDictionary dict, string key)
        {
            foreach (DictionaryEntry e in dict)
                if (string.Equals(Convert.ToString(e.Key, CultureInfo.InvariantCulture), key, StringComparison.OrdinalIgnoreCase)) return e.Value;
            return null;
        }

        private static string? Text(object? value)
        {
            value = value is PSObject p ? p.BaseObject : value;
            return value is string s && s.Trim().Length > 0 ? s.Trim() : value is Uri u ? u.OriginalString : null;
        }
    }

    /// <summary>
    /// For a prompt that also binds from the pipeline: only text is a prompt. Any other object is
    /// refused as an invalid cast, so the binder tries its properties instead (a CSV row's Prompt
    /// column), and an object without one is a binding error, never its ToString() sent as a prompt.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class PromptTextTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            var value = inputData is PSObject p ? p.BaseObject : inputData;
            if (value == null || value is string) return value;
            throw new ArgumentTransformationMetadataException(
                $"A {value.GetType().FullName} is not a prompt. Pass text, or objects with a Prompt property (such as Import-Csv rows).",
                new PSInvalidCastException("Not a prompt: " + value.GetType().FullName));
        }
    }

    /// <summary>
    /// Lets -RequestId take a job object itself (Seedream.Job, Seedream.JobStatus, an EditResult or
    /// any object with a RequestId / request_id property): its id is used, not its ToString().
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class RequestIdTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            var value = inputData is PSObject p ? p.BaseObject : inputData;
            if (value == null || value is string || value is Guid) return inputData;
            var wrapped = PSObject.AsPSObject(value);
            var id = wrapped.Properties["RequestId"]?.Value ?? wrapped.Properties["request_id"]?.Value;
            return id ?? inputData;
        }
    }

    /// <summary>Accepts a SecureString, or plain text (converted at once, e.g. from an automation variable).</summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class SecureStringTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            var value = inputData is PSObject p ? p.BaseObject : inputData;
            if (value is string s)
            {
                var secure = new SecureString();
                foreach (var c in s) secure.AppendChar(c);
                secure.MakeReadOnly();
                return secure;
            }
            return inputData;
        }
    }

    internal static class SecureText
    {
        public static string ToPlain(SecureString secure) => new NetworkCredential(string.Empty, secure).Password;
    }

    /// <summary>Reads -ImageSize: a preset, "WIDTHxHEIGHT", a hashtable/object with width and height, or an ImageSize.</summary>
    internal static class ImageSizeReader
    {
        /// <param name="value">What was given.</param>
        /// <param name="profile">The endpoint's profile (its presets are the valid names); null for an endpoint without one: any preset name is sent as given.</param>
        public static ImageSize Read(object? value, EndpointProfile? profile)
        {
            value = value is PSObject p ? p.BaseObject : value;
            switch (value)
            {
                case null:
                    throw new FormatException("The image size is empty.");
                case ImageSize size:
                    return size;
                case string s:
                    return ImageSize.Parse(s, profile);
                case IDictionary dict:
                    return FromPair(Find(dict, "width"), Find(dict, "height"));
                case PSCustomObject _:
                    var pso = (PSObject)(object)PSObject.AsPSObject(value);
                    return FromPair(pso.Properties["width"]?.Value, pso.Properties["height"]?.Value);
                default:
                    var wrapped = PSObject.AsPSObject(value);
                    var w = wrapped.Properties["Width"]?.Value;
                    var h = wrapped.Properties["Height"]?.Value;
                    if (w != null && h != null) return FromPair(w, h);
                    throw new FormatException($"A value of type {value.GetType().Name} is not an image size. Use a preset, WIDTHxHEIGHT, or @{{ width = 2560; height = 1440 }}.");
            }
        }

        private static object? Find(IDictionary dict, string key)
        {
            foreach (DictionaryEntry e in dict)
                if (string.Equals(Convert.ToString(e.Key, CultureInfo.InvariantCulture), key, StringComparison.OrdinalIgnoreCase)) return e.Value;
            return null;
        }

        private static ImageSize FromPair(object? w, object? h)
        {
            if (w == null || h == null) throw new FormatException("A custom image size needs both width and height.");
            if (!TryLong(w, out var width) || !TryLong(h, out var height))
                throw new FormatException($"The image width and height must be whole numbers, not '{w}' and '{h}'.");
            return ImageSize.FromDimensions(width, height);
        }

        private static bool TryLong(object v, out long n)
        {
            v = v is PSObject p ? p.BaseObject : v;
            switch (v)
            {
                case int i: n = i; return true;
                case long l: n = l; return true;
                case short s: n = s; return true;
                case byte b: n = b; return true;
                case double d when d == Math.Floor(d) && Math.Abs(d) < 1e9: n = (long)d; return true;
                case decimal m when m == Math.Floor(m) && Math.Abs(m) < 1000000000m: n = (long)m; return true;
                case string s2: return long.TryParse(s2.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out n);
                default: n = 0; return false;
            }
        }
    }
}
