using System.Text.RegularExpressions;

namespace Seedream.Protocol
{
    /// <summary>
    /// A fal endpoint id such as <c>fal-ai/bytedance/seedream/v5/lite/edit</c>:
    /// <c>[namespace/]owner/alias[/path]</c>. Submit and run use the full id; status, result
    /// and cancel use only <see cref="AppId"/> (namespace, owner and alias).
    /// </summary>
    public sealed class EndpointId : IEquatable<EndpointId>
    {
        /// <summary>The endpoint this module is built for.</summary>
        public const string SeedreamV5LiteEdit = "fal-ai/bytedance/seedream/v5/lite/edit";

        /// <summary>The default endpoint of New-SeedreamImage.</summary>
        public const string SeedreamV5LiteTextToImage = "fal-ai/bytedance/seedream/v5/lite/text-to-image";

        /// <summary>
        /// Its ids: fal's endpoint types (mid-2026) list it with and without the fal-ai/ prefix.
        /// </summary>
        public static readonly string[] SeedreamV5LiteEditIds = { SeedreamV5LiteEdit, "bytedance/seedream/v5/lite/edit" };

        /// <summary>
        /// The module's schema of this endpoint (<see cref="EndpointProfiles"/>); null for an endpoint
        /// it has none for, which is sent as given, with the checks that hold for every fal endpoint.
        /// </summary>
        public EndpointProfile? Profile => EndpointProfiles.Find(Full);

        /// <summary>True when the module knows this endpoint's schema.</summary>
        public bool IsProfiled => Profile != null;

        private static readonly string[] Namespaces = { "workflows", "comfy" };
        private static readonly Regex LegacyNumericOwner = new Regex(@"^([0-9]+)-([a-zA-Z0-9_.-]+)$", RegexOptions.CultureInvariant);
        private static readonly Regex Segment = new Regex(@"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", RegexOptions.CultureInvariant);

        private EndpointId(string? ns, string owner, string alias, string? path)
        {
            Namespace = ns;
            Owner = owner;
            Alias = alias;
            Path = path;
        }

        public string? Namespace { get; }
        public string Owner { get; }
        public string Alias { get; }
        /// <summary>Everything after the alias, e.g. <c>seedream/v5/lite/edit</c>; null when absent.</summary>
        public string? Path { get; }

        /// <summary>The id used to submit or run: every segment.</summary>
        public string Full => AppId + (Path == null ? string.Empty : "/" + Path);

        /// <summary>The id used for status, result and cancel: <c>[namespace/]owner/alias</c>.</summary>
        public string AppId => (Namespace == null ? string.Empty : Namespace + "/") + Owner + "/" + Alias;

        public override string ToString() => Full;

        public static EndpointId Parse(string value)
        {
            if (TryParse(value, out var id, out var error)) return id!;
            throw new FormatException(error);
        }

        public static bool TryParse(string? value, out EndpointId? id, out string? error)
        {
            id = null;
            error = null;
            var text = (value ?? string.Empty).Trim().Trim('/');
            if (text.Length == 0)
            {
                error = "The endpoint id is empty. Use the form owner/alias[/path], for example " + SeedreamV5LiteEdit + ".";
                return false;
            }
            if (text.IndexOf("://", StringComparison.Ordinal) >= 0 || text.IndexOfAny(new[] { '?', '#', ' ', '\\' }) >= 0)
            {
                error = $"'{value}' is not an endpoint id. Use the form owner/alias[/path], for example {SeedreamV5LiteEdit}.";
                return false;
            }
            var parts = text.Split('/');
            if (parts.Length == 1)
            {
                // fal still accepts the legacy "<digits>-<name>" app ids.
                var m = LegacyNumericOwner.Match(parts[0]);
                if (!m.Success)
                {
                    error = $"The endpoint id '{value}' must be in the form owner/alias[/path], for example {SeedreamV5LiteEdit}.";
                    return false;
                }
                parts = new[] { m.Groups[1].Value, m.Groups[2].Value };
            }
            foreach (var p in parts)
            {
                if (!Segment.IsMatch(p))
                {
                    error = $"The endpoint id '{value}' has an empty or invalid segment '{p}'.";
                    return false;
                }
            }
            string? ns = null;
            var i = 0;
            if (Array.IndexOf(Namespaces, parts[0]) >= 0)
            {
                if (parts.Length < 3)
                {
                    error = $"The endpoint id '{value}' names the namespace '{parts[0]}' but no owner/alias after it.";
                    return false;
                }
                ns = parts[0];
                i = 1;
            }
            var path = parts.Length > i + 2 ? string.Join("/", parts, i + 2, parts.Length - i - 2) : null;
            id = new EndpointId(ns, parts[i], parts[i + 1], path);
            return true;
        }

        public bool Equals(EndpointId? other) => other != null && string.Equals(Full, other.Full, StringComparison.Ordinal);
        public override bool Equals(object? obj) => Equals(obj as EndpointId);
        public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Full);
    }
}
