namespace Seedream.Commands.Internal
{
    /// <summary>
    /// Turns status readings (arriving on worker threads) into a progress bar with the status and
    /// queue position, and new model log lines into Verbose messages, handed to the command's
    /// engine (which writes them on the pipeline thread).
    /// </summary>
    internal sealed class WaitReporter
    {
        private readonly Action<ProgressRecord> _progress;
        private readonly Action<string> _verbose;
        private readonly int _activityId;
        private readonly string _activity;
        private readonly object _gate = new object();
        private JobStatus? _last;
        private bool _closed;

        public WaitReporter(Action<ProgressRecord> progress, Action<string> verbose, int activityId, string activity)
        {
            _progress = progress;
            _verbose = verbose;
            _activityId = activityId;
            _activity = activity;
        }

        public void Update(JobStatus status)
        {
            JobStatus? previous;
            lock (_gate)
            {
                previous = _last;
                _last = status;
            }
            foreach (var log in JobStatus.NewLogs(previous, status))
                _verbose($"[{status.RequestId}] {log.Message}");
            if (previous != null && previous.Status == status.Status && previous.QueuePosition == status.QueuePosition) return;
            if (status.IsCompleted)
            {
                lock (_gate)
                {
                    if (_closed) return;
                    _closed = true;
                }
            }
            var description = status.Status switch
            {
                JobStatus.InQueue => status.QueuePosition.HasValue ? $"In queue (position {status.QueuePosition})" : "In queue",
                JobStatus.InProgress => "Running",
                _ when status.IsCancelled => "Cancelled",
                _ => status.IsFailed ? "Failed" : "Completed",
            };
            var record = new ProgressRecord(_activityId, _activity, description) { CurrentOperation = "Request " + status.RequestId };
            if (status.IsCompleted) record.RecordType = ProgressRecordType.Completed;
            _progress(record);
        }

        /// <summary>The record that clears the bar (on success, failure or stop); null when a completed status already cleared it.</summary>
        public ProgressRecord? Closing()
        {
            lock (_gate)
            {
                if (_closed) return null;
                _closed = true;
            }
            return new ProgressRecord(_activityId, _activity, "Done") { RecordType = ProgressRecordType.Completed };
        }
    }
}
