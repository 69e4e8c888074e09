namespace Seedream
{
    /// <summary>A request submitted to the fal queue (<c>Seedream.Job</c>).</summary>
    public sealed class Job : QueuedRequest
    {
        public string RequestId { get; set; } = string.Empty;
        public string Endpoint { get; set; } = string.Empty;
        /// <summary>Queue status at submit time, normally IN_QUEUE.</summary>
        public string Status { get; set; } = JobStatus.InQueue;
        public int? QueuePosition { get; set; }
        public DateTime SubmittedAt { get; set; }
        /// <summary>How many images the request may produce (num_images × max_images).</summary>
        public int MaxImageCount { get; set; }
        public string? WebhookUrl { get; set; }

        public override string ToString() => $"{RequestId} ({Status})";
    }
}
