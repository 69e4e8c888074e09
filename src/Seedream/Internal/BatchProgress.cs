using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace Seedream.Commands.Internal
{
    /// <summary>
    /// One progress bar for a batch of pipeline records: done of received, running, queued on the
    /// server, failed. Shown once a second record arrives (a single edit needs no batch bar); the
    /// per-job bars then hang under it. Used on the pipeline thread, except <see cref="Observe"/>.
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

        public bool IsBatch => _received > 1;

        /// <summary>A new record; returns its sequence number.</summary>
        public int Add() => _received++;

        /// <summary>Records a job's status (any thread); true when the counts shown changed.</summary>
        public bool Observe(int sequence, JobStatus status)
        {
            lock (_gate)
            {
                if (_states.TryGetValue(sequence, out var old) && old == status.Status) return false;
                _states[sequence] = status.Status;
                return IsBatch;
            }
        }

        public void Finished(int sequence, bool failed)
        {
            lock (_gate) _states.Remove(sequence);
            _done++;
            if (failed) _failed++;
        }

        /// <summary>Puts a per-job bar under the batch bar once there is one.</summary>
        public ProgressRecord Parent(ProgressRecord record)
        {
            if (IsBatch) record.ParentActivityId = _activityId;
            return record;
        }

        public void Write(Cmdlet cmdlet)
        {
            if (!IsBatch) return;
            int queued, running;
            lock (_gate)
            {
                queued = _states.Values.Count(s => s == JobStatus.InQueue);
                running = _states.Count - queued;
            }
            var open = _received - _done;
            var waiting = Math.Max(0, open - queued - running);
            var text = $"{_done} of {_received} done, {running} running, {queued} queued on the server, {waiting} starting, {_failed} failed";
            if (text == _last) return;
            _last = text;
            _shown = true;
            cmdlet.WriteProgress(new ProgressRecord(_activityId, _activity, text) { PercentComplete = _received == 0 ? 0 : Math.Min(100, 100 * _done / _received) });
        }

        public void Complete(Cmdlet cmdlet)
        {
            if (!_shown) return;
            cmdlet.WriteProgress(new ProgressRecord(_activityId, _activity, $"{_done} done, {_failed} failed") { RecordType = ProgressRecordType.Completed });
        }
    }
}
