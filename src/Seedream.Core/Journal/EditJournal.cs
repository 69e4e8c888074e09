namespace Seedream
{
    /// <summary>
    /// The durable record of a batch: an append-only JSON-lines file (format "seedream-journal",
    /// version 1). Line 1 is a header; every later line is one state change of one edit
    /// (submitting, submitted, completed, failed). A record is written and flushed to disk
    /// (fsync) before the step that relies on it, so a process killed at any instant leaves a
    /// file whose only possible damage is a cut-off last line, which the next open drops.
    /// The file is held open with FileShare.None while in use: a second writer fails fast.
    /// </summary>
    public sealed class EditJournal : IDisposable
    {
        public const string FormatName = "seedream-journal";
        public const int FormatVersion = 1;

        private readonly FileStream _file;
        private readonly Dictionary<string, JournalEntry> _entries;
        private readonly Dictionary<string, int> _claimed = new Dictionary<string, int>(StringComparer.Ordinal);
        private readonly object _gate = new object();
        private List<(byte[] Line, TaskCompletionSource<bool> Done)> _queue = new List<(byte[], TaskCompletionSource<bool>)>();
        private bool _writing;
        private bool _disposed;

        private EditJournal(string path, FileStream file, Dictionary<string, JournalEntry> entries, DateTime created)
        {
            Path = path;
            _file = file;
            _entries = entries;
            Created = created;
        }

        public string Path { get; }
        public DateTime Created { get; }

        /// <summary>Entries read when the journal was opened (with the changes of this run).</summary>
        public int Count { get { lock (_gate) return _entries.Count; } }

        /// <summary>
        /// Opens (or creates) the journal at <paramref name="path"/> for writing, holding it
        /// exclusively until disposed. Drops a cut-off last line; refuses anything else that is
        /// not a journal this version can read.
        /// </summary>
        /// <exception cref="JournalException">InUse, Damaged, Invalid or Unwritable.</exception>
        public static EditJournal Open(string path)
        {
            FileStream file;
            try
            {
                file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 4096, FileOptions.None);
            }
            catch (Exception ex) when (IsSharingViolation(ex))
            {
                throw new JournalException("JournalInUse", $"The journal '{path}' is in use by another command or process. Two batches cannot share a journal at once; wait until the other one has finished, or use another -Journal.", ex);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException || ex is ArgumentException || ex is System.Security.SecurityException)
            {
                throw new JournalException("JournalUnwritable", $"The journal '{path}' cannot be opened for writing: {ex.Message}", ex);
            }
            try
            {
                var bytes = ReadAll(file);
                var parsed = Parse(path, bytes, forWriting: true);
                if (parsed.Header == null)
                {
                    // New (or empty, or only a cut-off header): start it with the header, durably.
                    file.SetLength(0);
                    var created = DateTime.UtcNow;
                    WriteDurably(file, HeaderLine(created));
                    return new EditJournal(path, file, parsed.Entries, created);
                }
                if (parsed.GoodLength < bytes.Length)
                {
                    // A kill cut the last record short: nothing relied on it (it was never flushed
                    // to completion), so it is dropped before anything is appended after it.
                    file.SetLength(parsed.GoodLength);
                    file.Flush(true);
                }
                file.Seek(0, SeekOrigin.End);
                return new EditJournal(path, file, parsed.Entries, parsed.Created);
            }
            catch (JournalException)
            {
                file.Dispose();
                throw;
            }
            catch (IOException ex)
            {
                file.Dispose();
                throw new JournalException("JournalUnwritable", $"The journal '{path}' cannot be read or written: {ex.Message}", ex);
            }
        }

        /// <summary>Reads a journal without changing it (Get-SeedreamJournal).</summary>
        /// <exception cref="JournalException">InUse, Damaged, Invalid, or NotFound.</exception>
        public static JournalInfo Read(string path)
        {
            byte[] bytes;
            try
            {
                using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
                bytes = ReadAll(file);
            }
            catch (Exception ex) when (ex is FileNotFoundException || ex is DirectoryNotFoundException)
            {
                throw new JournalException("JournalNotFound", $"The journal '{path}' does not exist.", ex);
            }
            catch (Exception ex) when (IsSharingViolation(ex))
            {
                throw new JournalException("JournalInUse", $"The journal '{path}' is in use by a running batch; read it when that batch has finished.", ex);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new JournalException("JournalUnreadable", $"The journal '{path}' cannot be read: {ex.Message}", ex);
            }
            var parsed = Parse(path, bytes, forWriting: false);
            if (parsed.Header == null)
                throw new JournalException("JournalInvalid", $"'{path}' is empty: it holds no Seedream journal.");
            var entries = parsed.Entries.Values.OrderBy(e => e.Updated).ThenBy(e => e.Key, StringComparer.Ordinal).ToArray();
            return new JournalInfo
            {
                Path = path,
                Version = parsed.Version,
                Created = parsed.Created,
                Entries = entries,
                Total = entries.Length,
                Completed = entries.Count(e => e.State == JournalState.Completed),
                Submitted = entries.Count(e => e.State == JournalState.Submitted),
                Submitting = entries.Count(e => e.State == JournalState.Submitting),
                Failed = entries.Count(e => e.State == JournalState.Failed),
                TornTail = parsed.GoodLength < bytes.Length,
            };
        }

        /// <summary>
        /// The journal's entry for the next edit of this run with <paramref name="fingerprint"/>:
        /// the n-th identical edit of a run gets the n-th entry of that fingerprint (null if the
        /// journal has none yet). Claims are made in input order by the caller.
        /// </summary>
        public (int Occurrence, JournalEntry? Entry) Claim(string fingerprint)
        {
            lock (_gate)
            {
                _claimed.TryGetValue(fingerprint, out var n);
                _claimed[fingerprint] = n + 1;
                return (n, _entries.TryGetValue(Key(fingerprint, n), out var e) ? e.Clone() : null);
            }
        }

        /// <summary>Records that the edit's submit is about to be sent. Durable when the task completes.</summary>
        public Task RecordSubmittingAsync(string fingerprint, int occurrence, string endpoint, string? prompt, IReadOnlyList<string> inputImages)
        {
            return Append(fingerprint, occurrence, "submitting", w =>
            {
                w.WriteString("endpoint", endpoint);
                if (prompt != null) w.WriteString("prompt", prompt);
                w.WriteStartArray("inputs");
                foreach (var i in inputImages) w.WriteStringValue(i);
                w.WriteEndArray();
            });
        }

        /// <summary>Records fal's acceptance (the request id). Durable when the task completes.</summary>
        public Task RecordSubmittedAsync(string fingerprint, int occurrence, Job job)
        {
            return Append(fingerprint, occurrence, "submitted", w =>
            {
                w.WriteString("requestId", job.RequestId);
                if (job.StatusUrl != null) w.WriteString("statusUrl", job.StatusUrl);
                if (job.ResponseUrl != null) w.WriteString("responseUrl", job.ResponseUrl);
                if (job.CancelUrl != null) w.WriteString("cancelUrl", job.CancelUrl);
            });
        }

        /// <summary>Records the result (and where its images were saved). Durable when the task completes.</summary>
        public Task RecordCompletedAsync(string fingerprint, int occurrence, string requestId, string resultJson, double? inferenceTime, double? duration, IReadOnlyList<string?> savedPaths)
        {
            return Append(fingerprint, occurrence, "completed", w =>
            {
                w.WriteString("requestId", requestId);
                w.WriteString("result", resultJson);
                if (inferenceTime.HasValue) w.WriteNumber("inferenceTime", inferenceTime.Value);
                if (duration.HasValue) w.WriteNumber("duration", duration.Value);
                w.WriteStartArray("saved");
                foreach (var s in savedPaths)
                {
                    if (s == null) w.WriteNullValue();
                    else w.WriteStringValue(s);
                }
                w.WriteEndArray();
            });
        }

        /// <summary>Records that the job failed or was cancelled (a rerun submits the edit again).</summary>
        public Task RecordFailedAsync(string fingerprint, int occurrence, string? requestId, string error)
        {
            return Append(fingerprint, occurrence, "failed", w =>
            {
                if (requestId != null) w.WriteString("requestId", requestId);
                w.WriteString("error", error);
            });
        }

        private Task Append(string fingerprint, int occurrence, string op, Action<Utf8JsonWriter> fields)
        {
            var at = DateTime.UtcNow;
            byte[] line;
            using (var ms = new MemoryStream())
            {
                using (var w = new Utf8JsonWriter(ms))
                {
                    w.WriteStartObject();
                    w.WriteString("op", op);
                    w.WriteString("fp", fingerprint);
                    w.WriteNumber("n", occurrence);
                    w.WriteString("at", at.ToString("o", CultureInfo.InvariantCulture));
                    fields(w);
                    w.WriteEndObject();
                }
                ms.WriteByte((byte)'\n');
                line = ms.ToArray();
            }
            var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            bool start;
            lock (_gate)
            {
                if (_disposed) throw new ObjectDisposedException(nameof(EditJournal), $"The journal '{Path}' is closed.");
                // The in-memory entry follows at once: a later claim in this run sees it.
                Apply(_entries, ParseRecord(line, Path, 0));
                _queue.Add((line, done));
                start = !_writing;
                _writing = true;
            }
            if (start) Task.Run(WriteLoop);
            return done.Task;
        }

        /// <summary>
        /// Group commit: whatever records queued while the previous fsync ran are written together
        /// and made durable by one fsync, so many concurrent edits share the cost of each flush.
        /// </summary>
        private void WriteLoop()
        {
            while (true)
            {
                List<(byte[] Line, TaskCompletionSource<bool> Done)> batch;
                lock (_gate)
                {
                    if (_queue.Count == 0)
                    {
                        _writing = false;
                        Monitor.PulseAll(_gate);
                        return;
                    }
                    batch = _queue;
                    _queue = new List<(byte[], TaskCompletionSource<bool>)>();
                }
                Exception? failure = null;
                try
                {
                    var total = batch.Sum(b => b.Line.Length);
                    var buffer = new byte[total];
                    var at = 0;
                    foreach (var b in batch)
                    {
                        Buffer.BlockCopy(b.Line, 0, buffer, at, b.Line.Length);
                        at += b.Line.Length;
                    }
                    // One write call per batch: a kill can cut only its tail, never leave a gap.
                    _file.Write(buffer, 0, buffer.Length);
                    _file.Flush(true);
                }
                catch (Exception ex)
                {
                    failure = new JournalException("JournalUnwritable", $"The journal '{Path}' could not be written: {ex.Message}", ex);
                }
                foreach (var b in batch)
                {
                    if (failure == null) b.Done.TrySetResult(true);
                    else b.Done.TrySetException(failure);
                }
            }
        }

        /// <summary>Waits for queued records to be durable, then releases the file.</summary>
        public void Dispose()
        {
            lock (_gate)
            {
                if (_disposed) return;
                _disposed = true;
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (_writing && DateTime.UtcNow < deadline) Monitor.Wait(_gate, TimeSpan.FromMilliseconds(100));
            }
            _file.Dispose();
        }

        // ------------------------------------------------------------------ reading

        private sealed class Parsed
        {
            public JsonElement? Header;
            public int Version;
            public DateTime Created;
            public long GoodLength;
            public Dictionary<string, JournalEntry> Entries = new Dictionary<string, JournalEntry>(StringComparer.Ordinal);
        }

        private static byte[] ReadAll(FileStream file)
        {
            file.Seek(0, SeekOrigin.Begin);
            var ms = new MemoryStream();
            file.CopyTo(ms);
            return ms.ToArray();
        }

        private static Parsed Parse(string path, byte[] bytes, bool forWriting)
        {
            var parsed = new Parsed();
            if (bytes.Length == 0) return parsed;
            var start = 0;
            // A BOM (an editor saved it) is tolerated.
            if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) start = 3;
            var lineNo = 0;
            while (start < bytes.Length)
            {
                var end = Array.IndexOf(bytes, (byte)'\n', start);
                var complete = end >= 0;
                var length = (complete ? end : bytes.Length) - start;
                lineNo++;
                if (!complete)
                {
                    // The cut-off tail of a kill mid-write (no newline yet): ignored.
                    if (lineNo == 1)
                    {
                        if (LooksLikeHeaderStart(bytes, start, length)) return parsed;
                        throw Invalid(path, "its first line is not a Seedream journal header");
                    }
                    break;
                }
                if (lineNo == 1)
                {
                    ReadHeader(path, bytes, start, length, parsed);
                }
                else if (length > 0)
                {
                    JournalRecord record;
                    try { record = ParseRecord(bytes, path, lineNo, start, length); }
                    catch (JournalException ex)
                    {
                        // A bad line that is not the last one is not what a kill leaves: damage.
                        throw new JournalException("JournalDamaged", $"The journal '{path}' is damaged at line {lineNo}: {ex.Message} It was not changed; move it aside (or repair that line) to run the batch.", ex);
                    }
                    Apply(parsed.Entries, record);
                }
                start = end + 1;
                parsed.GoodLength = start;
            }
            return parsed;
        }

        private static bool LooksLikeHeaderStart(byte[] bytes, int start, int length)
        {
            var text = Encoding.UTF8.GetString(bytes, start, Math.Min(length, 64)).Replace(" ", string.Empty);
            var expected = "{\"format\":\"" + FormatName + "\"";
            return text.Length == 0 || expected.StartsWith(text, StringComparison.Ordinal) || text.StartsWith(expected, StringComparison.Ordinal);
        }

        private static JournalException Invalid(string path, string why) =>
            new JournalException("JournalInvalid", $"'{path}' is not a Seedream journal ({why}). It was not changed; give -Journal a new file or an existing journal.");

        private static void ReadHeader(string path, byte[] bytes, int start, int length, Parsed parsed)
        {
            try
            {
                using var doc = JsonDocument.Parse(new ReadOnlyMemory<byte>(bytes, start, length));
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var f) || f.ValueKind != JsonValueKind.String || f.GetString() != FormatName)
                    throw Invalid(path, "its first line is not a Seedream journal header");
                if (!root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var version))
                    throw Invalid(path, "its header has no version");
                if (version != FormatVersion)
                    throw new JournalException("JournalInvalid", $"The journal '{path}' has format version {version}; this version of Seedream reads version {FormatVersion} only. It was not changed.");
                parsed.Version = version;
                parsed.Created = root.TryGetProperty("created", out var c) && c.ValueKind == JsonValueKind.String && c.TryGetDateTime(out var created) ? created.ToUniversalTime() : DateTime.MinValue;
                parsed.Header = root.Clone();
            }
            catch (JsonException)
            {
                throw Invalid(path, "its first line is not JSON");
            }
        }

        private sealed class JournalRecord
        {
            public string Op = string.Empty;
            public string Fp = string.Empty;
            public int N;
            public DateTime At;
            public JsonElement Root;
        }

        private static JournalRecord ParseRecord(byte[] line, string path, int lineNo) => ParseRecord(line, path, lineNo, 0, line.Length - 1);

        private static JournalRecord ParseRecord(byte[] bytes, string path, int lineNo, int start, int length)
        {
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(new ReadOnlyMemory<byte>(bytes, start, length));
                root = doc.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new JournalException("JournalDamaged", "the line is not JSON (" + ex.Message + ").", ex);
            }
            if (root.ValueKind != JsonValueKind.Object) throw new JournalException("JournalDamaged", "the line is not a JSON object.");
            var op = Str(root, "op");
            var fp = Str(root, "fp");
            if (op == null || fp == null || !root.TryGetProperty("n", out var n) || n.ValueKind != JsonValueKind.Number || !n.TryGetInt32(out var occurrence) || occurrence < 0)
                throw new JournalException("JournalDamaged", "the record lacks op, fp or n.");
            if (op != "submitting" && op != "submitted" && op != "completed" && op != "failed")
                throw new JournalException("JournalDamaged", $"the record has an unknown op '{op}'.");
            if ((op == "submitted" || op == "completed") && Str(root, "requestId") == null)
                throw new JournalException("JournalDamaged", $"the {op} record has no requestId.");
            if (op == "completed" && Str(root, "result") == null)
                throw new JournalException("JournalDamaged", "the completed record has no result.");
            var at = root.TryGetProperty("at", out var a) && a.ValueKind == JsonValueKind.String && a.TryGetDateTime(out var when) ? when.ToUniversalTime() : DateTime.MinValue;
            return new JournalRecord { Op = op, Fp = fp, N = occurrence, At = at, Root = root };
        }

        private static void Apply(Dictionary<string, JournalEntry> entries, JournalRecord r)
        {
            var key = Key(r.Fp, r.N);
            if (!entries.TryGetValue(key, out var e))
            {
                e = new JournalEntry { Fingerprint = r.Fp, Occurrence = r.N };
                entries[key] = e;
            }
            var root = r.Root;
            e.Updated = r.At;
            switch (r.Op)
            {
                case "submitting":
                    e.State = JournalState.Submitting;
                    e.Attempts++;
                    e.RequestId = null;
                    e.Error = null;
                    e.Endpoint = Str(root, "endpoint") ?? e.Endpoint;
                    e.Prompt = Str(root, "prompt") ?? e.Prompt;
                    if (root.TryGetProperty("inputs", out var inputs) && inputs.ValueKind == JsonValueKind.Array)
                        e.InputImages = inputs.EnumerateArray().Select(i => i.ValueKind == JsonValueKind.String ? i.GetString() ?? "" : "").ToArray();
                    break;
                case "submitted":
                    e.State = JournalState.Submitted;
                    e.RequestId = Str(root, "requestId");
                    e.StatusUrl = Str(root, "statusUrl");
                    e.ResponseUrl = Str(root, "responseUrl");
                    e.CancelUrl = Str(root, "cancelUrl");
                    break;
                case "completed":
                    e.State = JournalState.Completed;
                    e.RequestId = Str(root, "requestId");
                    e.ResultJson = Str(root, "result");
                    e.InferenceTime = Num(root, "inferenceTime");
                    e.Duration = Num(root, "duration");
                    e.SavedPaths = root.TryGetProperty("saved", out var saved) && saved.ValueKind == JsonValueKind.Array
                        ? saved.EnumerateArray().Select(s => s.ValueKind == JsonValueKind.String ? s.GetString() : null).ToArray()
                        : Array.Empty<string?>();
                    break;
                case "failed":
                    e.State = JournalState.Failed;
                    e.RequestId = Str(root, "requestId") ?? e.RequestId;
                    e.Error = Str(root, "error");
                    break;
            }
        }

        private static string? Str(JsonElement o, string name) =>
            o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        private static double? Num(JsonElement o, string name) =>
            o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) ? d : (double?)null;

        private static string Key(string fingerprint, int occurrence) => fingerprint + "#" + occurrence.ToString(CultureInfo.InvariantCulture);

        private static byte[] HeaderLine(DateTime created)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms))
            {
                w.WriteStartObject();
                w.WriteString("format", FormatName);
                w.WriteNumber("version", FormatVersion);
                w.WriteString("created", created.ToString("o", CultureInfo.InvariantCulture));
                w.WriteString("writer", "Seedream " + typeof(EditJournal).Assembly.GetName().Version);
                w.WriteEndObject();
            }
            ms.WriteByte((byte)'\n');
            return ms.ToArray();
        }

        private static void WriteDurably(FileStream file, byte[] bytes)
        {
            file.Write(bytes, 0, bytes.Length);
            file.Flush(true);
        }

        private static bool IsSharingViolation(Exception ex)
        {
            if (!(ex is IOException) || ex is FileNotFoundException || ex is DirectoryNotFoundException || ex is PathTooLongException) return false;
            var code = ex.HResult & 0xFFFF;
            // Windows: ERROR_SHARING_VIOLATION (32) / ERROR_LOCK_VIOLATION (33). Unix: flock's EWOULDBLOCK (11 on Linux, 35 on macOS).
            return code == 32 || code == 33 || ex.HResult == 11 || ex.HResult == 35;
        }
    }
}
