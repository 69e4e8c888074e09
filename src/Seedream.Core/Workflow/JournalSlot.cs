namespace Seedream.Workflow
{
    /// <summary>
    /// One edit's place in a journal, as the workflow sees it: what an earlier run left for it, and
    /// where to record each step. The workflow only calls these; a host may plug in any store.
    /// </summary>
    public interface IEditJournalSlot
    {
        /// <summary>What an earlier run recorded for this edit; null when nothing.</summary>
        JournalEntry? Entry { get; }

        /// <summary>The journal's file, named in messages that tell the user to rerun.</summary>
        string JournalPath { get; }

        /// <summary>The submit is about to go on the wire (durable before it does).</summary>
        Task RecordSubmittingAsync(string endpoint, string? prompt, IReadOnlyList<string> inputImages);

        /// <summary>fal accepted the request and named its id.</summary>
        Task RecordSubmittedAsync(Job job);

        /// <summary>The result, with the paths its images were saved to.</summary>
        Task RecordCompletedAsync(EditResult result);

        /// <summary>The edit failed (or never went out); a rerun submits it again.</summary>
        Task RecordFailedAsync(string? requestId, string error);
    }

    /// <summary>An <see cref="IEditJournalSlot"/> over an <see cref="EditJournal"/> entry (fingerprint and occurrence).</summary>
    public sealed class JournalSlot(EditJournal journal, string fingerprint, int occurrence, JournalEntry? entry) : IEditJournalSlot
    {
        private readonly EditJournal _journal = journal;

        public string Fingerprint { get; } = fingerprint;
        public int Occurrence { get; } = occurrence;
        public JournalEntry? Entry { get; } = entry;
        public string? State => Entry?.State;
        public string JournalPath => _journal.Path;

        public Task RecordSubmittingAsync(string endpoint, string? prompt, IReadOnlyList<string> inputImages) =>
            _journal.RecordSubmittingAsync(Fingerprint, Occurrence, endpoint, prompt, inputImages);

        public Task RecordSubmittedAsync(Job job) => _journal.RecordSubmittedAsync(Fingerprint, Occurrence, job);

        public Task RecordCompletedAsync(EditResult result) =>
            _journal.RecordCompletedAsync(Fingerprint, Occurrence, result.RequestId, result.RawJson, result.InferenceTime, result.Duration,
                result.Images.Select(i => i.LocalPath).ToArray());

        public Task RecordFailedAsync(string? requestId, string error) => _journal.RecordFailedAsync(Fingerprint, Occurrence, requestId, error);
    }
}
