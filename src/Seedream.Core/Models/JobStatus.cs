namespace Seedream
{
    /// <summary>One reading of a queued request's status (<c>Seedream.JobStatus</c>).</summary>
    public sealed class JobStatus : QueuedRequest
    {
        public const string InQueue = "IN_QUEUE";
        public const string InProgress = "IN_PROGRESS";
        public const string Completed = "COMPLETED";

        public string RequestId { get; set; } = string.Empty;
        public string Endpoint { get; set; } = string.Empty;
        /// <summary>IN_QUEUE, IN_PROGRESS or COMPLETED (a failed or cancelled request is COMPLETED too).</summary>
        public string Status { get; set; } = InQueue;
        public int? QueuePosition { get; set; }
        public LogEntry[] Logs { get; set; } = Array.Empty<LogEntry>();
        /// <summary>Seconds the model ran, when the server reports it.</summary>
        public double? InferenceTime { get; set; }
        /// <summary>Set when the request completed with an error.</summary>
        public string? Error { get; set; }
        public string? ErrorType { get; set; }
        public DateTime RetrievedAt { get; set; }

        public bool IsCompleted => string.Equals(Status, Completed, StringComparison.Ordinal);
        /// <summary>COMPLETED with an error (model error, timeout or cancellation).</summary>
        public bool IsFailed => IsCompleted && (Error != null || ErrorType != null);
        public bool IsSucceeded => IsCompleted && !IsFailed;
        /// <summary>Failed because it was cancelled (fal's error type client_cancelled).</summary>
        public bool IsCancelled => IsFailed && string.Equals(ErrorType, CancelledErrorType, StringComparison.Ordinal);

        /// <summary>The error type fal gives a cancelled request.</summary>
        public const string CancelledErrorType = "client_cancelled";

        public override string ToString()
        {
            if (IsFailed) return $"{RequestId} FAILED ({ErrorType ?? "error"}: {Error})";
            return QueuePosition.HasValue && Status == InQueue ? $"{RequestId} {Status} (position {QueuePosition})" : $"{RequestId} {Status}";
        }

        public static IEnumerable<LogEntry> NewLogs(JobStatus? previous, JobStatus current)
        {
            // Servers resend the full log list on each reading; report only what is new.
            var seen = previous?.Logs.Length ?? 0;
            return current.Logs.Length > seen ? current.Logs.Skip(seen) : Enumerable.Empty<LogEntry>();
        }
    }

    /// <summary>A model log line (<c>Seedream.LogEntry</c>).</summary>
    public sealed class LogEntry
    {
        public string Message { get; set; } = string.Empty;
        public string? Level { get; set; }
        public string? Source { get; set; }
        public DateTime? Timestamp { get; set; }
        public override string ToString() => Level == null ? Message : $"[{Level}] {Message}";
    }
}
