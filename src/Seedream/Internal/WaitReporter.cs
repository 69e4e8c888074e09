using System;
using System.Linq;
using System.Management.Automation;

namespace Seedream.Commands.Internal
{
    /// <summary>
    /// Turns status readings (arriving on worker threads) into a progress bar with the status and
    /// queue position, and new model log lines into Verbose messages, posted to the pipeline thread.
    /// </summary>
    internal sealed class WaitReporter
    {
        private readonly Action<Action> _post;
        private readonly Func<ProgressRecord, Action> _progress;
        private readonly Func<string, Action> _verbose;
        private readonly int _activityId;
        private readonly string _activity;
        private readonly object _gate = new object();
        private JobStatus? _last;

        public WaitReporter(Action<Action> post, Func<ProgressRecord, Action> progress, Func<string, Action> verbose, int activityId, string activity)
        {
            _post = post;
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
                _post(_verbose($"[{status.RequestId}] {log.Message}"));
            if (previous != null && previous.Status == status.Status && previous.QueuePosition == status.QueuePosition) return;
            var description = status.Status switch
            {
                JobStatus.InQueue => status.QueuePosition.HasValue ? $"In queue (position {status.QueuePosition})" : "In queue",
                JobStatus.InProgress => "Running",
                _ => status.IsFailed ? "Failed" : "Completed",
            };
            var record = new ProgressRecord(_activityId, _activity, description) { CurrentOperation = "Request " + status.RequestId };
            if (status.IsCompleted) record.RecordType = ProgressRecordType.Completed;
            _post(_progress(record));
        }

        /// <summary>Clears the bar (on success, failure or stop).</summary>
        public ProgressRecord Completed() => new ProgressRecord(_activityId, _activity, "Done") { RecordType = ProgressRecordType.Completed };
    }
}
