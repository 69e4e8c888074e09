namespace Seedream.Commands.Internal
{
    /// <summary>
    /// One progress bar for a batch of pipeline records: done of received, running, queued on the
    /// server, failed. Shown once a second record arrives (a single edit needs no batch bar); the
    /// per-job bars then hang under it. Counted on the pipeline thread; <see cref="Observe"/> and
    /// <see cref="Parent"/> are called by workers too, so every count is read and changed under one lock.
    /// </summary>
    internal sealed class BatchProgress
    {
        private readonly int _activityId;
        private readonly string _activity;
        private readonly object _gate = new object();
        private readonly Dictionary<int, string> _states = new Dictionary<int, string>();
        private int _received;
        private int _done;
        private int _failed;
        private bool _shown;
        private string? _last;

        public BatchProgress(int activityId, string activity)
        {
            _activityId = activityId;
            _activity = activity;
        }

        private bool IsBatch => _received > 1;

        /// <summary>A new record; returns its sequence number.</summary>
        public int Add()
        {
            lock (_gate) return _received++;
        }

        /// <summary>Records a job's status (any thread); the batch bar to write when its counts changed, else null.</summary>
        public ProgressRecord? Observe(int sequence, JobStatus status)
        {
            lock (_gate)
            {
                if (_states.TryGetValue(sequence, out var old) && old == status.Status) return null;
                _states[sequence] = status.Status;
                return Bar();
            }
        }

        public void Finished(int sequence, bool failed)
        {
            lock (_gate)
            {
                _states.Remove(sequence);
                _done++;
                if (failed) _failed++;
            }
        }

        /// <summary>Puts a per-job bar under the batch bar once there is one (any thread).</summary>
        public ProgressRecord Parent(ProgressRecord record)
        {
            lock (_gate)
            {
                if (IsBatch) record.ParentActivityId = _activityId;
            }
            return record;
        }

        public void Write(Action<ProgressRecord> write)
        {
            ProgressRecord? bar;
            lock (_gate) bar = Bar();
            if (bar != null) write(bar);
        }

        /// <summary>The batch bar, or null when there is no batch or nothing changed since the last one; under the lock.</summary>
        private ProgressRecord? Bar()
        {
            if (!IsBatch) return null;
            var queued = _states.Values.Count(s => s == JobStatus.InQueue);
            var running = _states.Count - queued;
            var open = _received - _done;
            var waiting = Math.Max(0, open - queued - running);
            var text = $"{_done} of {_received} done{Failed()}, {running} running, {queued} queued on the server, {waiting} starting";
            if (text == _last) return null;
            _last = text;
            _shown = true;
            return new ProgressRecord(_activityId, _activity, text) { PercentComplete = _received == 0 ? 0 : Math.Min(100, 100 * _done / _received) };
        }

        // Failures are among the done ones: "3 of 4 done (1 failed)", never a count beside them.
        private string Failed() => _failed == 0 ? string.Empty : $" ({_failed} failed)";

        public void Complete(Action<ProgressRecord> write)
        {
            string text;
            lock (_gate)
            {
                if (!_shown) return;
                text = $"{_done} done{Failed()}";
            }
            write(new ProgressRecord(_activityId, _activity, text) { RecordType = ProgressRecordType.Completed });
        }
    }
}
