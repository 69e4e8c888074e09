using System.Collections.Concurrent;

namespace Seedream.Commands.Internal
{
    /// <summary>
    /// A command's use of a journal: fingerprints computed off the pipeline thread (local files
    /// are hashed once per command), and entries claimed strictly in input order, so the n-th
    /// identical edit of a run always meets the n-th journal entry of that fingerprint however
    /// the workers interleave. The claim chain never waits on a throttle slot, so it cannot deadlock.
    /// </summary>
    internal sealed class JournalSession : IDisposable
    {
        private readonly ConcurrentDictionary<string, Lazy<string>> _fileHashes = new ConcurrentDictionary<string, Lazy<string>>(StringComparer.Ordinal);
        private Task _lastClaim = Task.CompletedTask;

        public JournalSession(EditJournal journal) => Journal = journal;

        public EditJournal Journal { get; }
        public string Path => Journal.Path;

        /// <summary>Starts fingerprinting <paramref name="edit"/> and claims its entry after every earlier record's; call on the pipeline thread, in input order.</summary>
        public Task<JournalSlot> Claim(PreparedEdit edit)
        {
            var fingerprint = Task.Run(() => Fingerprint(edit));
            var claim = ClaimAfter(_lastClaim, fingerprint);
            _lastClaim = claim;
            return claim;
        }

        private async Task<JournalSlot> ClaimAfter(Task previous, Task<string> fingerprint)
        {
            try { await previous.ConfigureAwait(false); }
            catch { /* an earlier record's failure is its own */ }
            var fp = await fingerprint.ConfigureAwait(false);
            var (n, entry) = Journal.Claim(fp);
            return new JournalSlot(Journal, fp, n, entry);
        }

        private string Fingerprint(PreparedEdit edit) => FingerprintOf(edit, _fileHashes);

        /// <summary>An edit's fingerprint (local files hashed once per <paramref name="fileHashes"/>).</summary>
        public static string FingerprintOf(PreparedEdit edit, ConcurrentDictionary<string, Lazy<string>> fileHashes)
        {
            var ids = new List<string>(edit.Images.Count);
            foreach (var image in edit.Images)
            {
                if (!image.IsLocal)
                {
                    ids.Add(EditFingerprint.ForUrl(image.Url!));
                    continue;
                }
                var info = new FileInfo(image.Path!);
                var key = info.FullName + "|" + info.Length + "|" + info.LastWriteTimeUtc.Ticks;
                ids.Add(fileHashes.GetOrAdd(key, _ => new Lazy<string>(() => EditFingerprint.ForFile(image.Path!))).Value);
            }
            return EditFingerprint.Compute(edit.Endpoint.Full, edit.Request, ids);
        }

        public void Dispose() => Journal.Dispose();
    }

    /// <summary>
    /// What a journal already holds, for -WhatIf: read without opening it for writing, and matched
    /// edit by edit as a real run would match it, so the preview names what would be replayed or
    /// collected (at no cost) and totals only what would be submitted.
    /// </summary>
    internal sealed class JournalPreview
    {
        private readonly Dictionary<string, JournalEntry> _entries;
        private readonly Dictionary<string, int> _claimed = new Dictionary<string, int>(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, Lazy<string>> _fileHashes = new ConcurrentDictionary<string, Lazy<string>>(StringComparer.Ordinal);

        public JournalPreview(JournalInfo info) =>
            _entries = info.Entries.ToDictionary(e => e.Key, StringComparer.Ordinal);

        /// <summary>The journal's entry for the next edit of this run like <paramref name="edit"/>, if any.</summary>
        public JournalEntry? Claim(PreparedEdit edit)
        {
            var fingerprint = JournalSession.FingerprintOf(edit, _fileHashes);
            _claimed.TryGetValue(fingerprint, out var n);
            _claimed[fingerprint] = n + 1;
            return _entries.TryGetValue(fingerprint + "#" + n.ToString(System.Globalization.CultureInfo.InvariantCulture), out var entry) ? entry : null;
        }
    }
}
