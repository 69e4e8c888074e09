using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace Seedream.Emulator;

/// <summary>
/// <c>/api/fal/proxy</c>: fal's server-proxy convention. The real target is in
/// <c>x-fal-target-url</c>; instead of forwarding, the emulator answers as that fal host would.
/// </summary>
internal sealed class ProxyHandler(EmulatorOptions options, JobQueue queue, StorageService storage, FileStore store, StatsCollector stats, FaultInjector faults, CancellationToken shutdown)
{
    public const string TargetUrlHeader = "x-fal-target-url";
    private static readonly string[] QueueHosts = ["queue.fal.run", "queue.falrun.com"];
    private static readonly string[] RunHosts = ["fal.run"];
    private static readonly string[] RestHosts = ["rest.fal.ai", "rest.alpha.fal.ai"];

    private readonly EmulatorOptions _options = options;
    private readonly JobQueue _queue = queue;
    private readonly StorageService _storage = storage;
    private readonly FileStore _store = store;
    private readonly StatsCollector _stats = stats;
    private readonly CancellationToken _shutdown = shutdown;
    private readonly byte[]? _expectedAuth = options.RequireKey is null ? null : Encoding.UTF8.GetBytes(options.RequireKey);
    private readonly FaultInjector _faults = faults;

    public async Task HandleAsync(HttpContext ctx)
    {
        var header = ctx.Request.Headers[TargetUrlHeader].ToString();
        if (string.IsNullOrWhiteSpace(header))
        {
            _stats.Route("proxy.bad_request");
            await FalHttp.WriteErrorAsync(ctx, 400, $"Missing the {TargetUrlHeader} header", "bad_request").ConfigureAwait(false);
            return;
        }

        if (!Uri.TryCreate(header.Trim(), UriKind.Absolute, out var target)
            || (target.Scheme != Uri.UriSchemeHttps && target.Scheme != Uri.UriSchemeHttp))
        {
            _stats.Route("proxy.bad_request");
            await FalHttp.WriteErrorAsync(ctx, 400, $"Invalid {TargetUrlHeader} header: not an absolute http(s) URL", "bad_request").ConfigureAwait(false);
            return;
        }

        var host = target.Host.ToLowerInvariant();
        var isQueue = QueueHosts.Contains(host);
        var isRun = RunHosts.Contains(host);
        var isRest = RestHosts.Contains(host);
        if (!isQueue && !isRun && !isRest)
        {
            _stats.Route("proxy.forbidden");
            await FalHttp.WriteErrorAsync(ctx, 403, "Target URL is not allowed", "bad_request").ConfigureAwait(false);
            return;
        }

        if (!Authorized(ctx))
        {
            StatsCollector.Increment(ref _stats.Unauthorized);
            _stats.Route("proxy.unauthorized");
            await FalHttp.WriteDetailAsync(ctx, 401, "Invalid or missing API key").ConfigureAwait(false);
            return;
        }

        var segments = target.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Select(Uri.UnescapeDataString).ToArray();
        var query = QueryHelpers.ParseQuery(target.Query);
        if (isQueue) await HandleQueueAsync(ctx, target, segments, query).ConfigureAwait(false);
        else if (isRun) await HandleRunAsync(ctx, segments).ConfigureAwait(false);
        else await HandleRestAsync(ctx, segments).ConfigureAwait(false);
    }

    /// <summary><c>Authorization: Key KEY</c> (scheme case-insensitive), compared in constant time.</summary>
    private bool Authorized(HttpContext ctx)
    {
        if (_expectedAuth is null) return true;
        var value = ctx.Request.Headers.Authorization.ToString().Trim();
        const string scheme = "Key ";
        if (!value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var given = Encoding.UTF8.GetBytes(value[scheme.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, _expectedAuth);
    }

    // ---------------------------------------------------------------- queue host

    private async Task HandleQueueAsync(HttpContext ctx, Uri target, string[] segments, System.Collections.Generic.Dictionary<string, StringValues> query)
    {
        var method = ctx.Request.Method;
        // Lenient: whatever precedes "requests/{id}" (owner/alias or the full endpoint path) is accepted.
        var r = Array.IndexOf(segments, "requests");
        if (r >= 0 && r + 1 < segments.Length)
        {
            var id = segments[r + 1];
            var tail = string.Join('/', segments[(r + 2)..]);
            var logs = ParseLogs(query);
            switch (tail)
            {
                case "" when HttpMethods.IsGet(method):
                    _stats.Route("result");
                    await _faults.RunAsync(ctx, "result", () => ResultAsync(ctx, id), id).ConfigureAwait(false);
                    return;
                case "status" when HttpMethods.IsGet(method):
                    _stats.Route("status");
                    await _faults.RunAsync(ctx, "status", () => StatusAsync(ctx, id, logs), id).ConfigureAwait(false);
                    return;
                case "status/stream" when HttpMethods.IsGet(method):
                    _stats.Route("stream");
                    await _faults.RunAsync(ctx, "stream", () => StreamAsync(ctx, id, logs), id).ConfigureAwait(false);
                    return;
                case "cancel" when HttpMethods.IsPut(method):
                    _stats.Route("cancel");
                    await _faults.RunAsync(ctx, "cancel", () => CancelAsync(ctx, id), id).ConfigureAwait(false);
                    return;
                case "" or "status" or "status/stream" or "cancel":
                    _stats.Route("proxy.method_not_allowed");
                    await FalHttp.WriteJsonAsync(ctx, 405, new JsonObject { ["detail"] = "Method Not Allowed" }).ConfigureAwait(false);
                    return;
                default:
                    _stats.Route("proxy.not_found");
                    await FalHttp.WriteDetailAsync(ctx, 404, $"Path {target.AbsolutePath} not found").ConfigureAwait(false);
                    return;
            }
        }

        if (!HttpMethods.IsPost(method))
        {
            _stats.Route("proxy.method_not_allowed");
            await FalHttp.WriteJsonAsync(ctx, 405, new JsonObject { ["detail"] = "Method Not Allowed" }).ConfigureAwait(false);
            return;
        }

        _stats.Route("submit");
        await _faults.RunAsync(ctx, "submit", () => SubmitAsync(ctx, target, segments, query)).ConfigureAwait(false);
    }

    private static bool ParseLogs(System.Collections.Generic.Dictionary<string, StringValues> query) =>
        query.TryGetValue("logs", out var v) && v.ToString().Trim().ToLowerInvariant() is "1" or "true";

    private async Task SubmitAsync(HttpContext ctx, Uri target, string[] segments, System.Collections.Generic.Dictionary<string, StringValues> query)
    {
        var prepared = await PrepareJobAsync(ctx, segments).ConfigureAwait(false);
        if (prepared is null) return;
        var (endpoint, body, priority, timeout) = prepared.Value;

        var id = Guid.NewGuid().ToString();
        var urlBase = $"{target.Scheme}://{target.Authority}/{endpoint.AppPrefix}/requests/{id}";
        var job = new FalJob(id, JobKind.Queue, endpoint, urlBase, _store.SaveJobInput(id, body))
        {
            Priority = priority,
            StartTimeoutSeconds = timeout,
            WebhookUrl = query.TryGetValue("fal_webhook", out var hook) && !StringValues.IsNullOrEmpty(hook) ? hook.ToString() : null,
            ObjectLifecyclePreference = HeaderOrNull(ctx, "x-fal-object-lifecycle-preference"),
        };
        var position = _queue.Enqueue(job);
        _stats.JobBodies.Record(body);
        ctx.Response.Headers[FalHttp.RequestIdHeader] = id;
        await FalHttp.WriteJsonAsync(ctx, 200, new JsonObject
        {
            ["status"] = "IN_QUEUE",
            ["request_id"] = id,
            ["gateway_request_id"] = id,
            ["response_url"] = job.ResponseUrl,
            ["status_url"] = job.StatusUrl,
            ["cancel_url"] = job.CancelUrl,
            ["queue_position"] = Math.Max(0, position),
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Shared by submit and run: endpoint check (404, no job), platform headers (400), JSON body (422).
    /// Null means an error answer was already written.
    /// </summary>
    private async Task<(EndpointId Endpoint, byte[] Body, JobPriority Priority, double? Timeout)?> PrepareJobAsync(HttpContext ctx, string[] segments)
    {
        var rawId = string.Join('/', segments);
        if (!EndpointId.TryParse(rawId, out var endpoint) || !SeedreamModel.Serves(endpoint))
        {
            await FalHttp.WriteDetailAsync(ctx, 404, $"Application '{rawId}' not found").ConfigureAwait(false);
            return null;
        }

        var priority = JobPriority.Normal;
        var priorityText = HeaderOrNull(ctx, "x-fal-queue-priority");
        if (priorityText is not null)
        {
            switch (priorityText.Trim().ToLowerInvariant())
            {
                case "normal": break;
                case "low": priority = JobPriority.Low; break;
                default:
                    await FalHttp.WriteErrorAsync(ctx, 400, $"Invalid x-fal-queue-priority '{priorityText}': expected 'normal' or 'low'", "bad_request").ConfigureAwait(false);
                    return null;
            }
        }

        double? timeout = null;
        var timeoutText = HeaderOrNull(ctx, "x-fal-request-timeout");
        if (timeoutText is not null)
        {
            if (!double.TryParse(timeoutText.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                || !double.IsFinite(seconds) || seconds <= 0 || seconds > 86_400 * 365)
            {
                await FalHttp.WriteErrorAsync(ctx, 400, $"Invalid x-fal-request-timeout '{timeoutText}': expected a positive number of seconds", "bad_request").ConfigureAwait(false);
                return null;
            }

            timeout = seconds;
        }

        var body = await ReadBodyAsync(ctx).ConfigureAwait(false);
        try
        {
            using var _ = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            // Like FastAPI: the body never became a request, so no job exists.
            await FalHttp.WriteJsonAsync(ctx, 422, ValidationIssue.DetailBody([
                new ValidationIssue(new JsonArray { "body", 0 }, "JSON decode error", "json_invalid",
                    new JsonObject { ["error"] = ex.Message.Split('.')[0] })])).ConfigureAwait(false);
            return null;
        }

        return (endpoint, body, priority, timeout);
    }

    private async Task StatusAsync(HttpContext ctx, string id, bool logs)
    {
        ctx.Response.Headers[FalHttp.RequestIdHeader] = id;
        if (!TryFindQueueJob(id, out var job))
        {
            await FalHttp.WriteDetailAsync(ctx, 404, "Request not found").ConfigureAwait(false);
            return;
        }

        var (json, state, _, _) = _queue.Snapshot(job, logs);
        await FalHttp.WriteJsonAsync(ctx, state == JobState.Completed ? 200 : 202, json).ConfigureAwait(false);
    }

    /// <summary>
    /// SSE: an event now and on every change, <c>: ping</c> every --ping-ms, end after COMPLETED.
    /// With logs on, each event carries only the log lines not sent before (the JS client
    /// accumulates them across events).
    /// </summary>
    private async Task StreamAsync(HttpContext ctx, string id, bool logs)
    {
        ctx.Response.Headers[FalHttp.RequestIdHeader] = id;
        if (!TryFindQueueJob(id, out var job))
        {
            await FalHttp.WriteDetailAsync(ctx, 404, "Request not found").ConfigureAwait(false);
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _shutdown);
        var ct = linked.Token;
        ctx.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        var body = ctx.Response.Body;

        string? lastSignature = null;
        var sentLogs = 0;
        var nextPing = DateTime.UtcNow.AddMilliseconds(_options.PingMs);
        try
        {
            await ctx.Response.StartAsync(ct).ConfigureAwait(false);
            while (!ct.IsCancellationRequested)
            {
                // Take the change signal before the snapshot so no change between them is missed.
                var changed = _queue.ChangedTask(job);
                var (json, state, logCount, position) = _queue.Snapshot(job, logs, sentLogs);
                var signature = $"{state}|{position}|{(logs ? logCount : 0)}";
                if (signature != lastSignature)
                {
                    lastSignature = signature;
                    sentLogs = logCount;
                    await WriteSseAsync(body, "data: " + json.ToJsonString(FalHttp.JsonOptions) + "\n\n", ct).ConfigureAwait(false);
                    if (state == JobState.Completed) return;
                }

                var untilPing = nextPing - DateTime.UtcNow;
                if (untilPing > TimeSpan.Zero)
                {
                    var delay = Task.Delay(untilPing, ct);
                    if (await Task.WhenAny(changed, delay).ConfigureAwait(false) == changed) continue;
                    ct.ThrowIfCancellationRequested();
                }

                await WriteSseAsync(body, ": ping\n\n", ct).ConfigureAwait(false);
                nextPing = DateTime.UtcNow.AddMilliseconds(_options.PingMs);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // Client went away (or shutdown): just stop; the job itself is unaffected.
        }
    }

    private static async Task WriteSseAsync(Stream body, string text, CancellationToken ct)
    {
        await body.WriteAsync(Encoding.UTF8.GetBytes(text), ct).ConfigureAwait(false);
        await body.FlushAsync(ct).ConfigureAwait(false);
    }

    private async Task ResultAsync(HttpContext ctx, string id)
    {
        ctx.Response.Headers[FalHttp.RequestIdHeader] = id;
        if (!TryFindQueueJob(id, out var job))
        {
            await FalHttp.WriteDetailAsync(ctx, 404, "Request not found").ConfigureAwait(false);
            return;
        }

        var (_, state, _, _) = _queue.Snapshot(job, false);
        if (state != JobState.Completed || job.Outcome is not { } outcome)
        {
            await FalHttp.WriteErrorAsync(ctx, 400, "Request is still in progress", "bad_request").ConfigureAwait(false);
            return;
        }

        _queue.MarkResultFetched(job);
        await WriteOutcomeAsync(ctx, outcome).ConfigureAwait(false);
    }

    private static Task WriteOutcomeAsync(HttpContext ctx, JobOutcome outcome)
    {
        if (outcome.Headers is not null)
            foreach (var (k, v) in outcome.Headers) ctx.Response.Headers[k] = v;
        return FalHttp.WriteJsonBytesAsync(ctx, outcome.StatusCode, outcome.Body);
    }

    private async Task CancelAsync(HttpContext ctx, string id)
    {
        ctx.Response.Headers[FalHttp.RequestIdHeader] = id;
        if (!TryFindQueueJob(id, out var job))
        {
            await FalHttp.WriteJsonAsync(ctx, 404, new JsonObject { ["status"] = "NOT_FOUND" }).ConfigureAwait(false);
            return;
        }

        var result = _queue.Cancel(job);
        await FalHttp.WriteJsonAsync(ctx, result == CancelResult.AlreadyCompleted ? 400 : 202, new JsonObject
        {
            ["status"] = result == CancelResult.AlreadyCompleted ? "ALREADY_COMPLETED" : "CANCELLATION_REQUESTED",
        }).ConfigureAwait(false);
    }

    private bool TryFindQueueJob(string id, out FalJob job) =>
        _queue.TryGet(id, out job) && job.Kind == JobKind.Queue;

    // ---------------------------------------------------------------- fal.run host

    /// <summary>Synchronous run: waits for a runner like a queued job and answers the model's output or error.</summary>
    private async Task HandleRunAsync(HttpContext ctx, string[] segments)
    {
        if (!HttpMethods.IsPost(ctx.Request.Method))
        {
            _stats.Route("proxy.method_not_allowed");
            await FalHttp.WriteJsonAsync(ctx, 405, new JsonObject { ["detail"] = "Method Not Allowed" }).ConfigureAwait(false);
            return;
        }

        _stats.Route("run");
        await _faults.RunAsync(ctx, "run", () => RunCoreAsync(ctx, segments)).ConfigureAwait(false);
    }

    private async Task RunCoreAsync(HttpContext ctx, string[] segments)
    {
        var prepared = await PrepareJobAsync(ctx, segments).ConfigureAwait(false);
        if (prepared is null) return;
        var (endpoint, body, priority, timeout) = prepared.Value;
        var id = Guid.NewGuid().ToString();
        var job = new FalJob(id, JobKind.Sync, endpoint, null, _store.SaveJobInput(id, body))
        {
            Priority = priority,
            StartTimeoutSeconds = timeout,
            ObjectLifecyclePreference = HeaderOrNull(ctx, "x-fal-object-lifecycle-preference"),
        };
        ctx.Response.Headers[FalHttp.RequestIdHeader] = id;
        _queue.Enqueue(job);
        _stats.JobBodies.Record(body);
        try
        {
            await job.Finished.Task.WaitAsync(ctx.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _queue.Cancel(job); // caller hung up: free the runner
            return;
        }

        await WriteOutcomeAsync(ctx, job.Outcome!).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- rest host

    private async Task HandleRestAsync(HttpContext ctx, string[] segments)
    {
        var path = string.Join('/', segments);
        var isPost = HttpMethods.IsPost(ctx.Request.Method);
        switch (path)
        {
            case "storage/upload/initiate" when isPost:
                _stats.Route("storage.initiate");
                await _faults.RunAsync(ctx, "storage.initiate", () => _storage.InitiateAsync(ctx, multipart: false)).ConfigureAwait(false);
                return;
            case "storage/upload/initiate-multipart" when isPost:
                _stats.Route("storage.initiate-multipart");
                await _faults.RunAsync(ctx, "storage.initiate-multipart", () => _storage.InitiateAsync(ctx, multipart: true)).ConfigureAwait(false);
                return;
            case "storage/upload/complete-multipart" when isPost:
                _stats.Route("storage.complete");
                await _faults.RunAsync(ctx, "storage.complete", () => _storage.CompleteViaRestAsync(ctx)).ConfigureAwait(false);
                return;
            case "tokens" when isPost:
                // The JS client expects a bare JSON string (it unwraps {"detail": token} from old proxies).
                _stats.Route("tokens");
                await _faults.RunAsync(ctx, "tokens", () => FalHttp.WriteJsonAsync(ctx, 200, JsonValue.Create("emulator-token-" + FileStore.NewId())!)).ConfigureAwait(false);
                return;
            default:
                _stats.Route("proxy.not_found");
                await FalHttp.WriteDetailAsync(ctx, 404, $"Path /{path} not found").ConfigureAwait(false);
                return;
        }
    }

    private static string? HeaderOrNull(HttpContext ctx, string name) =>
        ctx.Request.Headers.TryGetValue(name, out var v) && !StringValues.IsNullOrEmpty(v) ? v.ToString() : null;

    private static async Task<byte[]> ReadBodyAsync(HttpContext ctx)
    {
        using var ms = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted).ConfigureAwait(false);
        return ms.ToArray();
    }
}
