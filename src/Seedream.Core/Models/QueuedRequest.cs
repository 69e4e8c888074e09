namespace Seedream
{
    /// <summary>
    /// What every record of one queued request carries (<c>Seedream.QueuedRequest</c>, the base of
    /// Seedream.Job, Seedream.JobStatus and Seedream.JournalEntry): what was asked, so results can be
    /// matched to their input, and where fal keeps the request. These properties come after each
    /// type's own ones (in Format-List *, ConvertTo-Json and CSV columns).
    /// </summary>
    public abstract class QueuedRequest
    {
        private protected QueuedRequest() { }

        /// <summary>The prompt sent, when known.</summary>
        public string? Prompt { get; set; }
        /// <summary>The input images sent (paths, URLs, or a label for a data URI), when known.</summary>
        public string[] InputImages { get; set; } = Array.Empty<string>();
        /// <summary>The URLs fal returned for the request, when it returned them.</summary>
        public string? StatusUrl { get; set; }
        public string? ResponseUrl { get; set; }
        public string? CancelUrl { get; set; }
    }
}
