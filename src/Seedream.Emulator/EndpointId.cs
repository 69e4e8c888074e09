using System.Text.RegularExpressions;

namespace Seedream.Emulator;

/// <summary>
/// A fal endpoint id split the way the official clients split it (fal-protocol.md §1.2):
/// <c>[namespace/]owner/alias[/path]</c>; status/result/cancel URLs use only <see cref="AppPrefix"/>.
/// </summary>
internal sealed partial record EndpointId(string? Namespace, string Owner, string Alias, string? Path)
{
    private static readonly string[] Namespaces = ["workflows", "comfy"];

    /// <summary>The id endpoints served by this emulator are compared against.</summary>
    public string FullId =>
        string.Join('/', new[] { Namespace, Owner, Alias, Path }.Where(s => !string.IsNullOrEmpty(s)));

    /// <summary><c>[namespace/]owner/alias</c>: the part before <c>/requests/{id}</c>.</summary>
    public string AppPrefix => Namespace is null ? $"{Owner}/{Alias}" : $"{Namespace}/{Owner}/{Alias}";

    [GeneratedRegex(@"^([0-9]+)-([a-zA-Z0-9-]+)$")]
    private static partial Regex LegacyNumericId();

    public static bool TryParse(string raw, out EndpointId id)
    {
        id = null!;
        var segments = raw.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 1)
        {
            // Legacy "<digits>-<name>" ids mean "<digits>/<name>"; any other single segment is invalid.
            var m = LegacyNumericId().Match(segments[0]);
            if (!m.Success) return false;
            segments = [m.Groups[1].Value, m.Groups[2].Value];
        }

        if (segments.Length < 2) return false;
        if (Namespaces.Contains(segments[0]))
        {
            if (segments.Length < 3) return false;
            id = new EndpointId(segments[0], segments[1], segments[2], Rest(segments, 3));
            return true;
        }

        id = new EndpointId(null, segments[0], segments[1], Rest(segments, 2));
        return true;
    }

    private static string? Rest(string[] segments, int from) =>
        segments.Length > from ? string.Join('/', segments[from..]) : null;
}
