using System.Diagnostics;
using System.Globalization;

namespace Seedream.Commands.Internal
{
    /// <summary>
    /// Progress of one upload or download: bytes, percentage and rate in MB/s. Fed from worker
    /// threads; records are handed to <c>post</c> at most four times a second so a fast transfer
    /// does not flood the host.
    /// </summary>
    internal sealed class TransferProgress
    {
        private const double MB = 1024 * 1024;
        private readonly int _activityId;
        private readonly string _activity;
        private readonly string _label;
        private readonly Action<ProgressRecord> _post;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _lastPostTicks = -1;

        public TransferProgress(int activityId, string activity, string label, Action<ProgressRecord> post)
        {
            _activityId = activityId;
            _activity = activity;
            _label = label;
            _post = post;
        }

        public void Report(long done, long? total)
        {
            var now = _clock.ElapsedTicks;
            var last = Interlocked.Read(ref _lastPostTicks);
            var finished = total.HasValue && done >= total.Value;
            if (!finished && last >= 0 && now - last < Stopwatch.Frequency / 4) return;
            if (Interlocked.CompareExchange(ref _lastPostTicks, now, last) != last) return;
            var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
            var rate = done / MB / seconds;
            var text = total.HasValue
                ? string.Format(CultureInfo.InvariantCulture, "{0}: {1} of {2} ({3:0.0} MB/s)", _label, Size(done), Size(total.Value), rate)
                : string.Format(CultureInfo.InvariantCulture, "{0}: {1} ({2:0.0} MB/s)", _label, Size(done), rate);
            var record = new ProgressRecord(_activityId, _activity, text);
            if (total.HasValue && total.Value > 0) record.PercentComplete = (int)Math.Min(100, done * 100 / total.Value);
            _post(record);
        }

        public void Report(long done, long total) => Report(done, (long?)total);

        // Small files in KB: "0.0 of 0.0 MB" says nothing.
        private static string Size(long bytes) =>
            bytes < 1024 ? string.Format(CultureInfo.InvariantCulture, "{0} B", bytes)
            : bytes < MB ? string.Format(CultureInfo.InvariantCulture, "{0:0.0} KB", bytes / 1024.0)
            : string.Format(CultureInfo.InvariantCulture, "{0:0.0} MB", bytes / MB);

        public ProgressRecord Completed() => new ProgressRecord(_activityId, _activity, _label) { RecordType = ProgressRecordType.Completed };
    }
}
