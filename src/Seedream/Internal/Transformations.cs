using System;
using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Net;
using System.Security;

namespace Seedream.Commands.Internal
{
    /// <summary>
    /// Lets a boolean parameter bind from CSV text ("true", "false", "1", "0", "yes", "no"), which
    /// PowerShell's own binder refuses for bool and misreads ("False" is true) for switches.
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    internal sealed class BooleanTextTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            var value = inputData is PSObject p ? p.BaseObject : inputData;
            if (value is string s)
            {
                switch (s.Trim().ToLowerInvariant())
                {
                    case "true": case "1": case "yes": case "on": case "$true": return true;
                    case "false": case "0": case "no": case "off": case "$false": case "": return false;
                    default: throw new ArgumentTransformationMetadataException($"'{s}' is not a boolean. Use true or false.");
                }
            }
            return inputData;
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
        public static ImageSize Read(object? value)
        {
            value = value is PSObject p ? p.BaseObject : value;
            switch (value)
            {
                case null:
                    throw new FormatException("The image size is empty.");
                case ImageSize size:
                    return size;
                case string s:
                    return ImageSize.Parse(s);
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
