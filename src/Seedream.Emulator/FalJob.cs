namespace Seedream.Emulator;

internal enum JobState { InQueue, InProgress, Completed }

internal enum JobKind { Queue, Sync }

internal enum JobPriority { Normal, Low }

internal enum OutcomeKind { Ok, Failed, Cancelled }

internal sealed record JobLog(string Message, string Level, string Source, DateTimeOffset Timestamp)
{
    public JsonObject ToJson() => new()
    {
        ["message"] = Message,
        ["level"] = Level,
        ["source"] = Source,
        ["timestamp"] = FalHttp.Iso(Timestamp),
    };
}

/// <summary>How a job ended: the HTTP answer its result replays, plus the status fields.</summary>
internal sealed record JobOutcome(
    OutcomeKind Kind,
    int StatusCode,
    byte[] Body,
    string? Error = null,
    string? ErrorType = null,
    IReadOnlyDictionary<string, string>? Headers = null)
{
    public static JobOutcome Ok(JsonNode output) => new(OutcomeKind.Ok, 200, FalHttp.ToBytes(output));

    public static JobOutcome Validation(IReadOnlyList<ValidationIssue> issues) =>
        new(OutcomeKind.Failed, 422, FalHttp.ToBytes(ValidationIssue.DetailBody(issues)), issues[0].Msg, issues[0].Type);

    public static JobOutcome RequestError(OutcomeKind kind, int status, string detail, string errorType, IReadOnlyDictionary<string, string>? extraHeaders = null)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [FalHttp.ErrorTypeHeader] = errorType };
        if (extraHeaders is not null)
            foreach (var (k, v) in extraHeaders) headers[k] = v;
        return new(kind, status, FalHttp.ToBytes(FalHttp.ErrorBody(detail, errorType)), detail, errorType, headers);
    }

    public static JobOutcome Cancelled() =>
        RequestError(OutcomeKind.Cancelled, 400, "Request was cancelled", "client_cancelled");

    public static JobOutcome StartTimeout(double seconds) =>
        RequestError(OutcomeKind.Failed, 504,
            $"Request timed out: no runner picked it up within the requested start timeout of {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} s",
            "request_timeout",
            new Dictionary<string, string> { [FalHttp.TimeoutTypeHeader] = "user" });
}

/// <summary>
/// One request (queue job or synchronous run). Mutable state is guarded by the owning
/// <see cref="JobQueue"/>'s gate; methods named *Locked must be called while holding it.
/// </summary>
internal sealed class FalJob(string id, JobKind kind, EndpointId endpoint, string? urlBase, string inputPath)
{
    private TaskCompletionSource _changed = NewSignal();

    public string Id { get; } = id;
    public JobKind Kind { get; } = kind;
    public EndpointId Endpoint { get; } = endpoint;
    /// <summary><c>https://queue.fal.run/{owner}/{alias}/requests/{id}</c> for queue jobs, null for sync runs.</summary>
    public string? UrlBase { get; } = urlBase;
    /// <summary>
    /// File holding the raw request body as received. Kept on disk, not in memory: benchmarks
    /// submit hundreds of jobs whose inputs may carry megabytes of data URIs.
    /// </summary>
    public string InputPath { get; } = inputPath;

    public byte[] ReadInput() => System.IO.File.ReadAllBytes(InputPath);
    public JobPriority Priority { get; init; }
    public double? StartTimeoutSeconds { get; init; }
    public string? WebhookUrl { get; init; }
    /// <summary>Delivery progress of the <c>fal_webhook</c> POST (meaningful only when <see cref="WebhookUrl"/> is set).</summary>
    public WebhookDelivery Webhook { get; } = new();
    public string? ObjectLifecyclePreference { get; init; }
    public DateTimeOffset SubmittedAt { get; init; } = DateTimeOffset.UtcNow;

    public JobState State { get; set; } = JobState.InQueue;
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public DateTimeOffset? ResultFetchedAt { get; set; }
    public JobOutcome? Outcome { get; set; }
    public bool CancelRequested { get; set; }
    public List<JobLog> Logs { get; } = new();
    public CancellationTokenSource? RunCts { get; set; }
    public Timer? StartTimeoutTimer { get; set; }
    /// <summary>Node of this job in the queue list while IN_QUEUE.</summary>
    public LinkedListNode<FalJob>? QueueNode { get; set; }

    /// <summary>Completes when the job reaches COMPLETED (sync runs await this).</summary>
    public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Task that completes at the next change of status, queue position or logs.</summary>
    public Task ChangedLocked() => _changed.Task;

    public void NotifyChangedLocked()
    {
        var previous = _changed;
        _changed = NewSignal();
        previous.TrySetResult();
    }

    public string? ResponseUrl => UrlBase;
    public string? StatusUrl => UrlBase is null ? null : UrlBase + "/status";
    public string? CancelUrl => UrlBase is null ? null : UrlBase + "/cancel";

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
