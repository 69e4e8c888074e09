namespace Seedream
{
    /// <summary>
    /// An endpoint profile as Get-SeedreamModel shows it (<c>Seedream.Model</c>). Its property names
    /// are chosen not to bind to the request parameters of the other commands: piped to them, only
    /// <see cref="Endpoint"/> binds (to -Endpoint).
    /// </summary>
    public sealed class Model
    {
        public string Endpoint { get; set; } = string.Empty;
        /// <summary>Other ids of the same model.</summary>
        public string[] Aliases { get; set; } = Array.Empty<string>();
        public string Name { get; set; } = string.Empty;
        /// <summary>Edit or TextToImage (the name, so it serializes as text).</summary>
        public string Kind { get; set; } = string.Empty;
        /// <summary>The API fields the endpoint takes.</summary>
        public string[] Fields { get; set; } = Array.Empty<string>();
        public string[] SizePresets { get; set; } = Array.Empty<string>();
        public string? DefaultSize { get; set; }
        /// <summary>Custom size rule in words, e.g. "2560x1440..4096x4096 px (scaled into range)".</summary>
        public string SizeBounds { get; set; } = string.Empty;
        public long? MinPixels { get; set; }
        public long? MaxPixels { get; set; }
        public int? MinSide { get; set; }
        public int? MaxSide { get; set; }
        public double? MaxAspectRatio { get; set; }
        public string[] OutputFormats { get; set; } = Array.Empty<string>();
        public string[] EnhancePromptModes { get; set; } = Array.Empty<string>();
        /// <summary>num_images goes from 1 to this.</summary>
        public int MaxNumImages { get; set; }
        /// <summary>max_images goes from 1 to this; null when the endpoint has no max_images.</summary>
        public int? MaxMaxImages { get; set; }
        /// <summary>Input images used (the last ones when more are sent); 0 for text-to-image.</summary>
        public int MaxInputImages { get; set; }
        /// <summary>Input plus output images may not exceed this (Seedream 4.x); null when unlimited.</summary>
        public int? MaxInputsPlusOutputs { get; set; }
        /// <summary>USD per output image; null when unknown (then -WhatIf says "cost unknown").</summary>
        public decimal? PricePerImage { get; set; }
        /// <summary>True when the price comes from a third-party listing, not from fal.</summary>
        public bool PriceIsThirdParty { get; set; }
        public string PriceNote { get; set; } = string.Empty;
        public string PriceSource { get; set; } = string.Empty;
        public string? PriceDate { get; set; }
        public string SchemaSource { get; set; } = string.Empty;
        public string SchemaDate { get; set; } = string.Empty;
        /// <summary>Limits the module assumed where its sources state none.</summary>
        public string? Note { get; set; }

        public static Model From(EndpointProfile p) => new Model
        {
            Endpoint = p.Id,
            Aliases = p.Aliases.ToArray(),
            Name = p.Name,
            Kind = p.Kind.ToString(),
            Fields = p.Fields.ToArray(),
            SizePresets = p.SizePresets.ToArray(),
            DefaultSize = p.DefaultSize,
            SizeBounds = p.DescribeSizeBounds(),
            MinPixels = p.MinPixels,
            MaxPixels = p.MaxPixels,
            MinSide = p.MinSide,
            MaxSide = p.MaxSide,
            MaxAspectRatio = p.MaxAspectRatio,
            OutputFormats = p.OutputFormats.ToArray(),
            EnhancePromptModes = p.EnhancePromptModes.ToArray(),
            MaxNumImages = p.MaxNumImages,
            MaxMaxImages = p.MaxMaxImages,
            MaxInputImages = p.MaxInputImages,
            MaxInputsPlusOutputs = p.MaxInputsPlusOutputs,
            PricePerImage = p.PricePerImage,
            PriceIsThirdParty = p.PriceIsThirdParty,
            PriceNote = p.PriceNote,
            PriceSource = p.PriceSource,
            PriceDate = p.PriceDate,
            SchemaSource = p.SchemaSource,
            SchemaDate = p.SchemaDate,
            Note = p.Note,
        };

        public override string ToString() => Endpoint;
    }
}
