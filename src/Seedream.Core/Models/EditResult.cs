namespace Seedream
{
    /// <summary>The outcome of one edit request (<c>Seedream.EditResult</c>).</summary>
    public sealed class EditResult
    {
        public string RequestId { get; set; } = string.Empty;
        public string Endpoint { get; set; } = string.Empty;
        public string? Prompt { get; set; }
        /// <summary>The seed the model used (64-bit).</summary>
        public long? Seed { get; set; }
        public Image[] Images { get; set; } = Array.Empty<Image>();
        /// <summary>The input images of the edit, as given: local paths, URLs, or a short label for a data URI.</summary>
        public string[] InputImages { get; set; } = Array.Empty<string>();
        /// <summary>Seconds from submit to result, as this client saw it (a number, so it serializes plainly).</summary>
        public double? Duration { get; set; }
        /// <summary>Seconds the model ran, when the server reports it.</summary>
        public double? InferenceTime { get; set; }
        /// <summary>Output fields this version does not know (schema drift), as plain values.</summary>
        public IDictionary<string, object?> AdditionalProperties { get; set; } = new Dictionary<string, object?>();
        /// <summary>The raw result JSON, for callers who need every detail.</summary>
        public string RawJson { get; set; } = string.Empty;

        public override string ToString() => $"{RequestId}: {Images.Length} image(s)";
    }

    /// <summary>One output image (<c>Seedream.Image</c>).</summary>
    public sealed class Image
    {
        public string Url { get; set; } = string.Empty;
        public string? ContentType { get; set; }
        public string? FileName { get; set; }
        public long? FileSize { get; set; }
        public int? Width { get; set; }
        public int? Height { get; set; }
        /// <summary>The request that produced the image.</summary>
        public string? RequestId { get; set; }
        /// <summary>The seed of the request that produced the image, when known.</summary>
        public long? Seed { get; set; }
        /// <summary>Position of the image in the result, from 0.</summary>
        public int Index { get; set; }
        /// <summary>Where the image was saved, once it has been.</summary>
        public string? LocalPath { get; set; }

        /// <summary>True when <see cref="Url"/> is an inline data URI (sync mode).</summary>
        public bool IsDataUri => Url.StartsWith("data:", StringComparison.OrdinalIgnoreCase);

        public override string ToString() => LocalPath ?? (IsDataUri ? $"data URI ({ContentType}, {Width}x{Height})" : Url);
    }

    /// <summary>What a cancel request achieved (<c>Seedream.CancelResult</c>).</summary>
    public sealed class CancelResult
    {
        public string RequestId { get; set; } = string.Empty;
        public string Endpoint { get; set; } = string.Empty;
        /// <summary>CancellationRequested, AlreadyCompleted or NotFound (the name, so it serializes as text).</summary>
        public string Outcome { get; set; } = nameof(CancelOutcome.CancellationRequested);
        public override string ToString() => $"{RequestId}: {Outcome}";
    }

    public enum CancelOutcome
    {
        CancellationRequested,
        AlreadyCompleted,
        NotFound,
    }
}
