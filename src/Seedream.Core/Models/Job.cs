namespace Seedream
{
    /// <summary>A request submitted to the fal queue (<c>Seedream.Job</c>).</summary>
    public sealed class Job
    {
        public string RequestId { get; set; } = string.Empty;
        public string Endpoint { get; set; } = string.Empty;
        /// <summary>Queue status at submit time, normally IN_QUEUE.</summary>
        public string Status { get; set; } = JobStatus.InQueue;
        public int? QueuePosition { get; set; }
        public string? StatusUrl { get; set; }
        public string? ResponseUrl { get; set; }
        public string? CancelUrl { get; set; }
        public DateTime SubmittedAt { get; set; }
        /// <summary>The prompt sent, kept so results can be matched to their input.</summary>
        public string? Prompt { get; set; }
        /// <summary>How many images the request may produce (num_images × max_images).</summary>
        public int MaxImageCount { get; set; }
        public string? WebhookUrl { get; set; }
        /// <summary>The input images sent (paths, URLs, or a label for a data URI), so results can be matched to their input.</summary>
        public string[] InputImages { get; set; } = Array.Empty<string>();

        public override string ToString() => $"{RequestId} ({Status})";
    }
}
