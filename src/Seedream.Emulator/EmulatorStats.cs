namespace Seedream.Emulator;

/// <summary>
/// Counters of one emulator instance; serialised (camelCase) by <c>GET /_emulator/stats</c>.
/// Job counters describe queue jobs only, so that
/// <c>submitted == completed + failed + cancelled + inQueue + inProgress</c> always holds;
/// synchronous <c>fal.run</c> calls are counted in <see cref="SyncRuns"/> alone.
/// </summary>
public sealed class EmulatorStats
{
    /// <summary>Queue jobs created by submit.</summary>
    public int Submitted { get; set; }
    /// <summary>Queue jobs that finished with a model output (HTTP 200 result).</summary>
    public int Completed { get; set; }
    /// <summary>Queue jobs that finished with an error (validation, image load, start timeout, internal).</summary>
    public int Failed { get; set; }
    /// <summary>Queue jobs that ended by cancellation.</summary>
    public int Cancelled { get; set; }
    /// <summary>Synchronous runs received on the fal.run host (including ones that failed).</summary>
    public int SyncRuns { get; set; }
    /// <summary>Queue jobs waiting for a runner now.</summary>
    public int InQueue { get; set; }
    /// <summary>Queue jobs on a runner now.</summary>
    public int InProgress { get; set; }
    /// <summary>Highest number of jobs (queue and sync) that ever ran at the same time.</summary>
    public int MaxConcurrentRunning { get; set; }
    /// <summary>Completed single-request uploads.</summary>
    public int Uploads { get; set; }
    /// <summary>Completed (assembled) multipart uploads.</summary>
    public int MultipartUploads { get; set; }
    /// <summary>Parts received for multipart uploads.</summary>
    public int UploadParts { get; set; }
    /// <summary>Uploads whose initiate call carried an object-lifecycle header.</summary>
    public int UploadsWithLifecycle { get; set; }
    /// <summary>Requests to direct routes (uploads, files) that carried an Authorization header; must stay 0.</summary>
    public int DirectRequestsWithAuthorization { get; set; }
    /// <summary>Proxy requests answered 401.</summary>
    public int Unauthorized { get; set; }
    /// <summary>Webhooks answered 2xx (one per job, however many attempts it took).</summary>
    public int WebhooksDelivered { get; set; }
    /// <summary>Webhook POSTs sent, retries included.</summary>
    public int WebhookAttempts { get; set; }
    /// <summary>Webhooks given up after the last retry.</summary>
    public int WebhooksFailed { get; set; }
    /// <summary>Webhooks not sent because the URL is not on loopback (the emulator contacts nothing else).</summary>
    public int WebhooksSkipped { get; set; }
    /// <summary>Requests per route name (submit, status, stream, result, cancel, run, storage.*, file, tokens, ...).</summary>
    public Dictionary<string, long> RequestsByRoute { get; set; } = new();
    /// <summary>Faults injected (--fault-rate): total, by kind, by route.</summary>
    public FaultStats FaultsInjected { get; set; } = new();
    /// <summary>Request bodies (submit and run) that created more than one job: an edit billed twice. Must stay 0.</summary>
    public int DuplicateJobs { get; set; }
    /// <summary>For those bodies only: SHA-256 prefix of the body → jobs it created.</summary>
    public Dictionary<string, int> DuplicateBodies { get; set; } = new();
}

/// <summary>Thread-safe counters behind <see cref="EmulatorStats"/>.</summary>
internal sealed class StatsCollector
{
    private readonly ConcurrentDictionary<string, long> _routes = new();
    public readonly FaultCounters Faults = new();
    public readonly JobBodyLedger JobBodies = new();
    public int Submitted;
    public int Completed;
    public int Failed;
    public int Cancelled;
    public int SyncRuns;
    public int MaxConcurrentRunning;
    public int Uploads;
    public int MultipartUploads;
    public int UploadParts;
    public int UploadsWithLifecycle;
    public int DirectRequestsWithAuthorization;
    public int Unauthorized;
    public int WebhooksDelivered;
    public int WebhookAttempts;
    public int WebhooksFailed;
    public int WebhooksSkipped;

    public void Route(string name) => _routes.AddOrUpdate(name, 1, static (_, n) => n + 1);

    public static void Increment(ref int field) => Interlocked.Increment(ref field);

    public void ObserveRunning(int running)
    {
        // Lock-free max: retry until our value is stored or a larger one is already there.
        var current = Volatile.Read(ref MaxConcurrentRunning);
        while (running > current)
        {
            var seen = Interlocked.CompareExchange(ref MaxConcurrentRunning, running, current);
            if (seen == current) break;
            current = seen;
        }
    }

    public EmulatorStats Snapshot(int inQueue, int inProgress) => new()
    {
        Submitted = Volatile.Read(ref Submitted),
        Completed = Volatile.Read(ref Completed),
        Failed = Volatile.Read(ref Failed),
        Cancelled = Volatile.Read(ref Cancelled),
        SyncRuns = Volatile.Read(ref SyncRuns),
        InQueue = inQueue,
        InProgress = inProgress,
        MaxConcurrentRunning = Volatile.Read(ref MaxConcurrentRunning),
        Uploads = Volatile.Read(ref Uploads),
        MultipartUploads = Volatile.Read(ref MultipartUploads),
        UploadParts = Volatile.Read(ref UploadParts),
        UploadsWithLifecycle = Volatile.Read(ref UploadsWithLifecycle),
        DirectRequestsWithAuthorization = Volatile.Read(ref DirectRequestsWithAuthorization),
        Unauthorized = Volatile.Read(ref Unauthorized),
        WebhooksDelivered = Volatile.Read(ref WebhooksDelivered),
        WebhookAttempts = Volatile.Read(ref WebhookAttempts),
        WebhooksFailed = Volatile.Read(ref WebhooksFailed),
        WebhooksSkipped = Volatile.Read(ref WebhooksSkipped),
        RequestsByRoute = _routes.OrderBy(p => p.Key, System.StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value),
        FaultsInjected = Faults.Snapshot(),
        DuplicateJobs = JobBodies.DuplicateCount,
        DuplicateBodies = JobBodies.Duplicates(),
    };
}
