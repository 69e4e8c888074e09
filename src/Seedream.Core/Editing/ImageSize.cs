using System;
using System.Globalization;
using System.Linq;
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
        /// Preset names of the v5 lite edit schema. auto_4K and the 4096x4096 bound come from the
        /// endpoint types published with the official fal JS client in mid-2026 (the types of
        /// @fal-ai/client 1.10.1, 2026-08, still list only auto_2K and auto_3K and a 3072x3072 bound).
        /// </summary>
        public static readonly string[] Presets =
        {
            "square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9", "auto_2K", "auto_3K", "auto_4K",
        };

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

        public static ImageSize FromPreset(string preset)
        {
            var match = Presets.FirstOrDefault(p => string.Equals(p, preset?.Trim(), StringComparison.OrdinalIgnoreCase));
            if (match == null)
                throw new FormatException($"'{preset}' is not an image size. Use a preset ({string.Join(", ", Presets)}) or WIDTHxHEIGHT such as 2560x1440.");
            return new ImageSize(match, null, null);
        }

        public static ImageSize FromDimensions(long width, long height)
        {
            if (width < 1 || height < 1 || width > MaxSide || height > MaxSide)
                throw new FormatException($"Image width and height must each be between 1 and {MaxSide}; {width}x{height} is not.");
            return new ImageSize(null, (int)width, (int)height);
        }

        /// <summary>Parses a preset name or WIDTHxHEIGHT text.</summary>
        /// <param name="text">The size.</param>
        /// <param name="knownPresetsOnly">False for an endpoint the module has no profile for: any preset name is sent as given.</param>
        public static ImageSize Parse(string text, bool knownPresetsOnly = true)
        {
            if (text == null) throw new FormatException("The image size is empty.");
            var m = SizeText.Match(text);
            if (m.Success)
                return FromDimensions(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
            if (!knownPresetsOnly && text.Trim().Length > 0)
                return Presets.Any(p => string.Equals(p, text.Trim(), StringComparison.OrdinalIgnoreCase)) ? FromPreset(text) : new ImageSize(text.Trim(), null, null);
            return FromPreset(text);
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

        public static (int Width, int Height) ScaleIntoBounds(int width, int height)
        {
            long area = (long)width * height;
            if (area >= MinPixels && area <= MaxPixels) return (width, height);
            var factor = Math.Sqrt((double)(area < MinPixels ? MinPixels : MaxPixels) / area);
            // The epsilon stops float noise in an exact product (1000 × 1.92 = 1920) from moving a
            // side by a pixel; the loops then make sure rounding never leaves the pixel range.
            if (area < MinPixels)
            {
                var w = (long)Math.Ceiling(width * factor - 1e-7);
                var h = (long)Math.Ceiling(height * factor - 1e-7);
                while (w * h < MinPixels) { if (w <= h) w++; else h++; }
                return ((int)w, (int)h);
            }
            else
            {
                var w = Math.Max(1L, (long)Math.Floor(width * factor + 1e-7));
                var h = Math.Max(1L, (long)Math.Floor(height * factor + 1e-7));
                while (w * h > MaxPixels) { if (w >= h) w--; else h--; }
                return ((int)w, (int)h);
            }
        }

        public override string ToString() => Preset ?? $"{Width}x{Height}";
    }
}
