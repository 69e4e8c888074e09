using System.Text.RegularExpressions;

namespace Seedream
{
    /// <summary>
    /// The <c>image_size</c> input: a preset name or a custom width and height
    /// (<c>Seedream.ImageSize</c>).
    /// </summary>
    public sealed class ImageSize
    {
        /// <summary>
        /// Preset names of the Seedream 5.0 Lite Edit schema (its profile, <see cref="EndpointProfiles.V5LiteEdit"/>,
        /// holds the source). Other endpoints have their own, in their profile.
        /// </summary>
        public static string[] Presets => EndpointProfiles.V5LiteEdit.SizePresets;

        /// <summary>Common custom sizes offered by completion (all inside the model's pixel bounds).</summary>
        public static readonly string[] CommonSizes = { "2048x2048", "2560x1440", "1440x2560", "2304x1728", "1728x2304", "3072x3072", "2880x1620" };

        /// <summary>Smallest total pixel count the model produces (2560×1440).</summary>
        public const long MinPixels = 2560L * 1440;
        /// <summary>Largest total pixel count the model produces (4096×4096; see <see cref="Presets"/> for the source).</summary>
        public const long MaxPixels = 4096L * 4096;
        /// <summary>Largest width or height the schema accepts.</summary>
        public const int MaxSide = 14142;

        private static readonly Regex SizeText = new Regex(@"^\s*(\d{1,6})\s*[xX×*,]\s*(\d{1,6})\s*$", RegexOptions.CultureInvariant);

        private ImageSize(string? preset, int? width, int? height)
        {
            Preset = preset;
            Width = width;
            Height = height;
        }

        public string? Preset { get; }
        public int? Width { get; }
        public int? Height { get; }
        public bool IsCustom => Preset == null;

        public static ImageSize FromPreset(string preset) => FromPreset(preset, EndpointProfiles.V5LiteEdit);

        /// <summary>A preset of the profile's endpoint (any case); refused when the endpoint has no such preset.</summary>
        public static ImageSize FromPreset(string preset, EndpointProfile profile)
        {
            var match = profile.SizePresets.FirstOrDefault(p => string.Equals(p, preset?.Trim(), StringComparison.OrdinalIgnoreCase));
            if (match == null)
                throw new FormatException($"'{preset}' is not an image size of {profile.Name}. Use a preset ({string.Join(", ", profile.SizePresets)}) or WIDTHxHEIGHT such as {ExampleSize(profile)}.");
            return new ImageSize(match, null, null);
        }

        private static string ExampleSize(EndpointProfile profile) =>
            profile.MaxPixels.HasValue && profile.MaxPixels <= 2048L * 2048 ? "1536x1536" : profile.MaxSide.HasValue && profile.MaxSide < 2560 ? "1024x1024" : "2560x1440";

        public static ImageSize FromDimensions(long width, long height)
        {
            if (width < 1 || height < 1 || width > MaxSide || height > MaxSide)
                throw new FormatException($"Image width and height must each be between 1 and {MaxSide}; {width}x{height} is not.");
            return new ImageSize(null, (int)width, (int)height);
        }

        /// <summary>Parses a preset name or WIDTHxHEIGHT text.</summary>
        /// <param name="text">The size.</param>
        /// <param name="knownPresetsOnly">False for an endpoint the module has no profile for: any preset name is sent as given.</param>
        public static ImageSize Parse(string text, bool knownPresetsOnly = true) => Parse(text, knownPresetsOnly ? EndpointProfiles.V5LiteEdit : null);

        /// <summary>Parses a preset name or WIDTHxHEIGHT text for an endpoint.</summary>
        /// <param name="text">The size.</param>
        /// <param name="profile">The endpoint's profile, whose presets are the valid names; null for an endpoint the module has no profile for (any name is sent as given).</param>
        public static ImageSize Parse(string text, EndpointProfile? profile)
        {
            if (text == null) throw new FormatException("The image size is empty.");
            var m = SizeText.Match(text);
            if (m.Success)
                return FromDimensions(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
            if (profile == null && text.Trim().Length > 0)
            {
                // Known spellings are normalised (AUTO_4k -> auto_4K); anything else goes as typed.
                var known = EndpointProfiles.All.SelectMany(p => p.SizePresets).FirstOrDefault(p => string.Equals(p, text.Trim(), StringComparison.OrdinalIgnoreCase));
                return new ImageSize(known ?? text.Trim(), null, null);
            }
            return FromPreset(text, profile ?? EndpointProfiles.V5LiteEdit);
        }

        /// <summary>
        /// Why a custom size breaks the profile's rules that the model does not fix by scaling (side
        /// bounds, pixel bounds stated as a rule, aspect ratio); null when it is fine or a preset.
        /// </summary>
        public string? BoundsProblem(EndpointProfile profile)
        {
            if (Preset != null) return null;
            int w = Width!.Value, h = Height!.Value;
            long area = (long)w * h;
            var sidesOk = (!profile.MinSide.HasValue || (w >= profile.MinSide && h >= profile.MinSide)) && (!profile.MaxSide.HasValue || (w <= profile.MaxSide && h <= profile.MaxSide));
            var pixelsOk = (!profile.MinPixels.HasValue || area >= profile.MinPixels) && (!profile.MaxPixels.HasValue || area <= profile.MaxPixels);
            var hasSides = profile.MinSide.HasValue || profile.MaxSide.HasValue;
            var hasPixels = profile.MinPixels.HasValue || profile.MaxPixels.HasValue;
            if (profile.MaxAspectRatio.HasValue && Math.Max(w, h) > profile.MaxAspectRatio.Value * Math.Min(w, h))
                return string.Format(CultureInfo.InvariantCulture, "{0} cannot make {1}x{2}: its aspect ratio must be between 1:{3} and {3}:1.", profile.Name, w, h, profile.MaxAspectRatio.Value);
            bool ok;
            if (profile.SidesOrPixels && hasSides && hasPixels) ok = sidesOk || pixelsOk;
            else ok = sidesOk && (pixelsOk || profile.OutOfBounds == OutOfBoundsSize.Scaled);
            if (ok) return null;
            // Said in words: "1024x1024..2048x2048" reads as a bound on each side, but it is a pixel count.
            var rules = new List<string>();
            if (hasSides) rules.Add($"each side {profile.MinSide ?? 1} to {profile.MaxSide ?? MaxSide} pixels");
            if (hasPixels)
                rules.Add(string.Format(CultureInfo.InvariantCulture, "a total of {0:N0} to {1:N0} pixels ({2} to {3}, any shape)",
                    profile.MinPixels ?? 1, profile.MaxPixels ?? (long)MaxSide * MaxSide,
                    EndpointProfile.Square(profile.MinPixels ?? 1), EndpointProfile.Square(profile.MaxPixels ?? (long)MaxSide * MaxSide)));
            var rule = string.Join(profile.SidesOrPixels ? ", or " : ", and ", rules);
            return $"{profile.Name} cannot make {w}x{h} ({area.ToString("N0", CultureInfo.InvariantCulture)} pixels): a custom size must have {rule}.";
        }

        /// <summary>For a custom size the model scales (outside the profile's pixel bounds), the size it will make; null otherwise.</summary>
        public (int Width, int Height)? ScaledFor(EndpointProfile profile)
        {
            if (Preset != null || profile.OutOfBounds != OutOfBoundsSize.Scaled) return null;
            var scaled = ScaleIntoBounds(Width!.Value, Height!.Value, profile.MinPixels ?? 1, profile.MaxPixels ?? long.MaxValue);
            return scaled == (Width!.Value, Height!.Value) ? ((int, int)?)null : scaled;
        }

        /// <summary>The value sent as <c>image_size</c>: the preset string or {width, height}.</summary>
        public object ToWireValue() =>
            Preset != null
                ? Preset
                : new System.Collections.Generic.Dictionary<string, object?> { ["width"] = Width!.Value, ["height"] = Height!.Value };

        /// <summary>
        /// For custom sizes: the size the model will actually produce. The model keeps the total pixel
        /// count between <see cref="MinPixels"/> and <see cref="MaxPixels"/>, scaling a size outside
        /// that range while keeping its aspect ratio. Returns null for presets.
        /// </summary>
        public (int Width, int Height)? ScaledToModelBounds()
        {
            if (Preset != null) return null;
            return ScaleIntoBounds(Width!.Value, Height!.Value);
        }

        public static (int Width, int Height) ScaleIntoBounds(int width, int height) => ScaleIntoBounds(width, height, MinPixels, MaxPixels);

        /// <summary>Scales a size into [minPixels, maxPixels] total pixels, keeping its aspect ratio.</summary>
        public static (int Width, int Height) ScaleIntoBounds(int width, int height, long minPixels, long maxPixels)
        {
            long area = (long)width * height;
            if (area >= minPixels && area <= maxPixels) return (width, height);
            var factor = Math.Sqrt((double)(area < minPixels ? minPixels : maxPixels) / area);
            // The epsilon stops float noise in an exact product (1000 × 1.92 = 1920) from moving a
            // side by a pixel; the loops then make sure rounding never leaves the pixel range.
            if (area < minPixels)
            {
                var w = (long)Math.Ceiling(width * factor - 1e-7);
                var h = (long)Math.Ceiling(height * factor - 1e-7);
                while (w * h < minPixels) { if (w <= h) w++; else h++; }
                return ((int)w, (int)h);
            }
            else
            {
                var w = Math.Max(1L, (long)Math.Floor(width * factor + 1e-7));
                var h = Math.Max(1L, (long)Math.Floor(height * factor + 1e-7));
                while (w * h > maxPixels) { if (w >= h) w--; else h--; }
                return ((int)w, (int)h);
            }
        }

        public override string ToString() => Preset ?? $"{Width}x{Height}";
    }
}
