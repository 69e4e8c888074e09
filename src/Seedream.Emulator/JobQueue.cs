using System.Diagnostics;

namespace Seedream.Emulator;

/// <summary>Runs one job on a runner; <c>log</c> appends an INFO line visible in status logs.</summary>
internal delegate Task<JobOutcome> JobExecutor(FalJob job, Action<string> log, CancellationToken ct);

internal enum CancelResult { Requested, AlreadyCompleted }

/// <summary>
/// The fal queue: priority FIFO (every normal job before any low one), <c>runners</c> jobs at a
/// time, start timeouts, cancellation. One gate guards all job state so that queue positions,
/// status snapshots and transitions are always consistent with each other.
/// </summary>
internal sealed class JobQueue : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly LinkedList<FalJob> _normal = new();
    private readonly LinkedList<FalJob> _low = new();
    private readonly HashSet<FalJob> _running = new();
    private readonly HashSet<Task> _runnerTasks = new();
    private readonly ConcurrentDictionary<string, FalJob> _jobs = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly int _runners;
    private readonly JobExecutor _execute;
    private readonly StatsCollector _stats;
    private readonly Action<FalJob> _onCompleted;
    private bool _disposed;

    public JobQueue(int runners, JobExecutor execute, StatsCollector stats, Action<FalJob> onCompleted)
    {
        _runners = runners;
        _execute = execute;
        _stats = stats;
        _onCompleted = onCompleted;
    }

    public bool TryGet(string id, out FalJob job) => _jobs.TryGetValue(id, out job!);

    /// <summary>Adds a job at the back of its priority class and starts it if a runner is free.</summary>
    public int Enqueue(FalJob job)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _jobs[job.Id] = job;
            if (job.Kind == JobKind.Queue) StatsCollector.Increment(ref _stats.Submitted);
            else StatsCollector.Increment(ref _stats.SyncRuns);

            var list = job.Priority == JobPriority.Low ? _low : _normal;
            job.QueueNode = list.AddLast(job);
            var position = PositionLocked(job);
            if (job.StartTimeoutSeconds is { } seconds)
            {
                // Time-to-start deadline: it only matters while the job still waits in the queue.
                job.StartTimeoutTimer = new Timer(_ => OnStartTimeout(job), null,
                    TimeSpan.FromSeconds(seconds), Timeout.InfiniteTimeSpan);
            }

            DispatchLocked();
            return position;
        }
    }

    public int QueuePosition(FalJob job)
    {
        lock (_gate) return PositionLocked(job);
    }

    /// <summary>Cancels a queued job at once, or signals a running job's runner to stop.</summary>
    public CancelResult Cancel(FalJob job)
    {
        CancellationTokenSource? toCancel = null;
        var completedNow = false;
        lock (_gate)
        {
            switch (job.State)
            {
                case JobState.Completed:
                    return CancelResult.AlreadyCompleted;
                case JobState.InQueue:
                    RemoveFromQueueLocked(job);
                    CompleteLocked(job, JobOutcome.Cancelled());
                    completedNow = true;
                    break;
                case JobState.InProgress:
                    job.CancelRequested = true;
                    toCancel = job.RunCts;
                    break;
            }
        }

        // Cancel outside the gate: token callbacks run inline and may need the gate themselves.
        try { toCancel?.Cancel(); } catch (ObjectDisposedException) { }
        if (completedNow) _onCompleted(job);
        return CancelResult.Requested;
    }

    public (int InQueue, int InProgress) CountQueueJobs()
    {
        lock (_gate)
        {
            var queued = _normal.Count(j => j.Kind == JobKind.Queue) + _low.Count(j => j.Kind == JobKind.Queue);
            var running = _running.Count(j => j.Kind == JobKind.Queue);
            return (queued, running);
        }
    }

    /// <summary>
    /// The status document of fal's status endpoint. <paramref name="logsFrom"/> lets the SSE
    /// stream send only log lines it has not sent yet.
    /// </summary>
    public (JsonObject Json, JobState State, int LogCount, int Position) Snapshot(FalJob job, bool withLogs, int logsFrom = 0)
    {
        lock (_gate)
        {
            var state = job.State;
            var json = new JsonObject
            {
                ["status"] = state switch
                {
                    JobState.InQueue => "IN_QUEUE",
                    JobState.InProgress => "IN_PROGRESS",
                    _ => "COMPLETED",
                },
                ["request_id"] = job.Id,
                ["response_url"] = job.ResponseUrl,
                ["status_url"] = job.StatusUrl,
                ["cancel_url"] = job.CancelUrl,
            };
            var position = -1;
            if (state == JobState.InQueue)
            {
                position = PositionLocked(job);
                json["queue_position"] = position;
            }

            if (withLogs)
            {
                var logs = new JsonArray();
                for (var i = Math.Max(0, logsFrom); i < job.Logs.Count; i++) logs.Add(job.Logs[i].ToJson());
                json["logs"] = logs;
            }
            else
            {
                json["logs"] = null;
            }

            var metrics = new JsonObject();
            if (state == JobState.Completed && job.StartedAt is { } started && job.CompletedAt is { } done)
                metrics["inference_time"] = Math.Round((done - started).TotalSeconds, 3);
            json["metrics"] = metrics;

            if (state == JobState.Completed && job.Outcome is { Kind: not OutcomeKind.Ok } failed)
            {
                json["error"] = failed.Error;
                json["error_type"] = failed.ErrorType;
            }

            return (json, state, job.Logs.Count, position);
        }
    }

    /// <summary>Waits for the next change of the job (status, queue position, logs).</summary>
    public Task ChangedTask(FalJob job)
    {
        lock (_gate) return job.ChangedLocked();
    }

    /// <summary>The debugging view served at <c>/_emulator/jobs/{id}</c>.</summary>
    public JsonObject Describe(FalJob job)
    {
        JsonNode? input;
        try { input = JsonNode.Parse(job.ReadInput()); }
        catch (System.Text.Json.JsonException) { input = null; }
        catch (System.IO.IOException) { input = null; }

        lock (_gate)
        {
            return new JsonObject
            {
                ["requestId"] = job.Id,
                ["kind"] = job.Kind == JobKind.Queue ? "queue" : "sync",
                ["endpointId"] = job.Endpoint.FullId,
                ["status"] = job.State switch { JobState.InQueue => "IN_QUEUE", JobState.InProgress => "IN_PROGRESS", _ => "COMPLETED" },
                ["outcome"] = job.Outcome?.Kind switch { OutcomeKind.Ok => "ok", OutcomeKind.Failed => "failed", OutcomeKind.Cancelled => "cancelled", _ => null },
                ["resultStatusCode"] = job.Outcome?.StatusCode,
                ["error"] = job.Outcome?.Error,
                ["errorType"] = job.Outcome?.ErrorType,
                ["queuePosition"] = job.State == JobState.InQueue ? PositionLocked(job) : null,
                ["priority"] = job.Priority == JobPriority.Low ? "low" : "normal",
                ["startTimeoutSeconds"] = job.StartTimeoutSeconds,
                ["webhookUrl"] = job.WebhookUrl,
                ["webhook"] = job.WebhookUrl is null ? null : job.Webhook.ToJson(),
                ["objectLifecyclePreference"] = job.ObjectLifecyclePreference,
                ["cancelRequested"] = job.CancelRequested,
                ["submittedAt"] = FalHttp.Iso(job.SubmittedAt),
                ["startedAt"] = FalHttp.IsoOrNull(job.StartedAt),
                ["completedAt"] = FalHttp.IsoOrNull(job.CompletedAt),
                ["resultFetchedAt"] = FalHttp.IsoOrNull(job.ResultFetchedAt),
                ["logCount"] = job.Logs.Count,
                ["input"] = input,
            };
        }
    }

    public void MarkResultFetched(FalJob job)
    {
        lock (_gate) job.ResultFetchedAt ??= DateTimeOffset.UtcNow;
    }

    private void AddLog(FalJob job, string message)
    {
        lock (_gate)
        {
            job.Logs.Add(new JobLog(message, "INFO", "USER", DateTimeOffset.UtcNow));
            job.NotifyChangedLocked();
        }
    }

    private void OnStartTimeout(FalJob job)
    {
        lock (_gate)
        {
            if (job.State != JobState.InQueue) return;
            RemoveFromQueueLocked(job);
            CompleteLocked(job, JobOutcome.StartTimeout(job.StartTimeoutSeconds ?? 0));
        }

        _onCompleted(job);
    }

    private void DispatchLocked()
    {
        while (!_disposed && _running.Count < _runners)
        {
            var next = _normal.First ?? _low.First;
            if (next is null) break;
            var job = next.Value;
            RemoveFromQueueLocked(job);
            StartLocked(job);
        }
    }

    private void StartLocked(FalJob job)
    {
        job.State = JobState.InProgress;
        job.StartedAt = DateTimeOffset.UtcNow;
        job.RunCts = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        _running.Add(job);
        _stats.ObserveRunning(_running.Count);
        job.NotifyChangedLocked();

        Task? task = null;
        task = Task.Run(async () =>
        {
            await RunAsync(job).ConfigureAwait(false);
            lock (_gate) _runnerTasks.Remove(task!);
        });
        _runnerTasks.Add(task);
    }

    private async Task RunAsync(FalJob job)
    {
        var token = job.RunCts!.Token;
        JobOutcome outcome;
        try
        {
            outcome = await _execute(job, message => AddLog(job, message), token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            outcome = job.CancelRequested
                ? JobOutcome.Cancelled()
                : JobOutcome.RequestError(OutcomeKind.Failed, 503, "The emulator is shutting down", "runner_disconnected");
        }
        catch (Exception ex)
        {
            Debug.WriteLine(ex);
            outcome = JobOutcome.RequestError(OutcomeKind.Failed, 500, "Internal error in the emulated model: " + ex.Message, "internal_error");
        }

        lock (_gate)
        {
            _running.Remove(job);
            CompleteLocked(job, outcome);
            DispatchLocked();
        }

        job.RunCts.Dispose();
        _onCompleted(job);
    }

    private void CompleteLocked(FalJob job, JobOutcome outcome)
    {
        if (job.State == JobState.Completed) return;
        job.StartTimeoutTimer?.Dispose();
        job.StartTimeoutTimer = null;
        job.State = JobState.Completed;
        job.CompletedAt = DateTimeOffset.UtcNow;
        job.Outcome = outcome;
        if (job.Kind == JobKind.Queue)
        {
            switch (outcome.Kind)
            {
                case OutcomeKind.Ok: StatsCollector.Increment(ref _stats.Completed); break;
                case OutcomeKind.Failed: StatsCollector.Increment(ref _stats.Failed); break;
                case OutcomeKind.Cancelled: StatsCollector.Increment(ref _stats.Cancelled); break;
            }
        }

        job.NotifyChangedLocked();
        job.Finished.TrySetResult();
    }

    private void RemoveFromQueueLocked(FalJob job)
    {
        if (job.QueueNode is not { } node) return;
        node.List?.Remove(node);
        job.QueueNode = null;
        job.StartTimeoutTimer?.Dispose();
        job.StartTimeoutTimer = null;
        // Everyone behind the removed job moved up one place: wake their status streams.
        foreach (var waiting in _normal) waiting.NotifyChangedLocked();
        foreach (var waiting in _low) waiting.NotifyChangedLocked();
    }

    private int PositionLocked(FalJob job)
    {
        if (job.State != JobState.InQueue || job.QueueNode is null) return -1;
        var position = 0;
        if (job.Priority == JobPriority.Low) position += _normal.Count;
        var list = job.Priority == JobPriority.Low ? _low : _normal;
        for (var n = list.First; n is not null && !ReferenceEquals(n.Value, job); n = n.Next) position++;
        return position;
    }

    public async ValueTask DisposeAsync()
    {
        Task[] running;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            running = _runnerTasks.ToArray();
            foreach (var job in _normal.Concat(_low).ToList())
            {
                RemoveFromQueueLocked(job);
                CompleteLocked(job, JobOutcome.RequestError(OutcomeKind.Failed, 503, "The emulator is shutting down", "runner_disconnected"));
            }
        }

        _shutdown.Cancel();
        try { await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); }
        catch (Exception) { /* runners end with their own outcome; nothing left to report */ }
        _shutdown.Dispose();
    }
}
