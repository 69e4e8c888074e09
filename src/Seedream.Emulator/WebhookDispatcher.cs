using System.Net;
using System.Net.Http;

namespace Seedream.Emulator;

internal enum WebhookState { Pending, Delivered, Failed, Skipped, Abandoned }

/// <summary>Delivery progress of one job's webhook; shown by <c>/_emulator/jobs/{id}</c>.</summary>
internal sealed class WebhookDelivery
{
    private readonly object _gate = new();
    private WebhookState _state = WebhookState.Pending;
    private int _attempts;
    private int? _lastStatusCode;
    private string? _lastError;
    private DateTimeOffset? _finishedAt;

    public WebhookState State
    {
        get { lock (_gate) return _state; }
    }

    public void RecordAttempt(int? statusCode, string? error)
    {
        lock (_gate)
        {
            _attempts++;
            _lastStatusCode = statusCode;
            _lastError = error;
        }
    }

    public void Finish(WebhookState state, string? error = null)
    {
        lock (_gate)
        {
            _state = state;
            if (error is not null) _lastError = error;
            _finishedAt = DateTimeOffset.UtcNow;
        }
    }

    public JsonObject ToJson()
    {
        lock (_gate)
        {
            return new JsonObject
            {
                ["state"] = _state.ToString().ToLowerInvariant(),
                ["attempts"] = _attempts,
                ["lastStatusCode"] = _lastStatusCode,
                ["lastError"] = _lastError,
                ["finishedAt"] = FalHttp.IsoOrNull(_finishedAt),
            };
        }
    }
}

/// <summary>
/// Sends fal's webhook POST when a queue job with <c>fal_webhook</c> completes: the documented
/// payload, signed per attempt, retried with exponential backoff on non-2xx answers and transport
/// failures. Only loopback targets are ever contacted; anything else is recorded as skipped.
/// </summary>
internal sealed class WebhookDispatcher : IAsyncDisposable
{
    /// <summary>The fixed user id the emulator signs with (fal sends the account's id).</summary>
    public const string UserId = "seedream-emulator-user";

    public const string RequestIdHeader = "X-Fal-Webhook-Request-Id";
    public const string UserIdHeader = "X-Fal-Webhook-User-Id";
    public const string TimestampHeader = "X-Fal-Webhook-Timestamp";
    public const string SignatureHeader = "X-Fal-Webhook-Signature";

    /// <summary>fal's wording when a model output cannot be serialised.</summary>
    private const string PayloadErrorText =
        "Response payload is not JSON serializable. Either return a JSON serializable object or use the queue endpoint to retrieve the response.";

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    private readonly WebhookSigner _signer;
    private readonly EmulatorOptions _options;
    private readonly StatsCollector _stats;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<Task> _deliveries = new();
    private readonly object _gate = new();
    private bool _disposed;

    public WebhookDispatcher(WebhookSigner signer, EmulatorOptions options, StatsCollector stats)
    {
        _signer = signer;
        _options = options;
        _stats = stats;
        // Receivers are local test servers: no proxy, no redirects (a redirect could leave loopback).
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(3),
        })
        { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Starts delivery for a finished job that asked for a webhook; returns at once.</summary>
    public void Dispatch(FalJob job)
    {
        if (job.Kind != JobKind.Queue || job.WebhookUrl is null || job.Outcome is null) return;
        var delivery = job.Webhook;
        if (!TryGetLoopbackTarget(job.WebhookUrl, out var target))
        {
            StatsCollector.Increment(ref _stats.WebhooksSkipped);
            delivery.Finish(WebhookState.Skipped, "not delivered: the emulator only sends webhooks to loopback http(s) URLs");
            return;
        }

        var body = FalHttp.ToBytes(Payload(job.Id, job.Outcome));
        lock (_gate)
        {
            if (_disposed)
            {
                delivery.Finish(WebhookState.Abandoned, "the emulator was stopping");
                return;
            }

            Task? task = null;
            task = Task.Run(async () =>
            {
                await DeliverAsync(job.Id, target, body, delivery).ConfigureAwait(false);
                lock (_gate) _deliveries.Remove(task!);
            });
            _deliveries.Add(task);
        }
    }

    /// <summary>
    /// fal's body: <c>request_id</c>, <c>gateway_request_id</c>, <c>status</c> OK/ERROR, <c>payload</c>
    /// (the model output, or the error body), <c>error</c> on failure, <c>payload_error</c> when the
    /// body is not JSON.
    /// </summary>
    internal static JsonObject Payload(string requestId, JobOutcome outcome)
    {
        JsonNode? payload = null;
        string? payloadError = null;
        try
        {
            payload = JsonNode.Parse(outcome.Body);
        }
        catch (JsonException)
        {
            payloadError = PayloadErrorText;
        }

        var ok = outcome.Kind == OutcomeKind.Ok;
        var json = new JsonObject
        {
            ["request_id"] = requestId,
            ["gateway_request_id"] = requestId,
            ["status"] = ok ? "OK" : "ERROR",
        };
        if (!ok) json["error"] = "Invalid status code: " + outcome.StatusCode.ToString(CultureInfo.InvariantCulture);
        json["payload"] = payload;
        if (payloadError is not null) json["payload_error"] = payloadError;
        return json;
    }

    /// <summary>Absolute http(s) URL whose host is <c>localhost</c> or a loopback address literal (no DNS).</summary>
    internal static bool TryGetLoopbackTarget(string url, out Uri target)
    {
        target = null!;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return false;
        var loopback = string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
        if (!loopback) return false;
        target = uri;
        return true;
    }

    /// <summary>Delay before retry number <paramref name="retry"/> (1-based): base × 2^(retry−1), capped.</summary>
    internal static TimeSpan Backoff(int baseMs, int retry)
    {
        var ms = baseMs * Math.Pow(2, retry - 1);
        return ms >= MaxBackoff.TotalMilliseconds ? MaxBackoff : TimeSpan.FromMilliseconds(ms);
    }

    private async Task DeliverAsync(string requestId, Uri target, byte[] body, WebhookDelivery delivery)
    {
        var ct = _stop.Token;
        var attempts = 1 + _options.WebhookRetries;
        try
        {
            for (var attempt = 1; attempt <= attempts; attempt++)
            {
                if (attempt > 1) await Task.Delay(Backoff(_options.WebhookRetryMs, attempt - 1), ct).ConfigureAwait(false);

                StatsCollector.Increment(ref _stats.WebhookAttempts);
                var (status, error) = await SendOnceAsync(requestId, target, body, ct).ConfigureAwait(false);
                delivery.RecordAttempt(status, error);
                if (status is >= 200 and < 300)
                {
                    StatsCollector.Increment(ref _stats.WebhooksDelivered);
                    delivery.Finish(WebhookState.Delivered);
                    return;
                }
            }

            StatsCollector.Increment(ref _stats.WebhooksFailed);
            delivery.Finish(WebhookState.Failed);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            delivery.Finish(WebhookState.Abandoned, "the emulator was stopping");
        }
    }

    /// <summary>One POST, signed with a fresh timestamp (a retry hours later must still pass the receiver's freshness check).</summary>
    private async Task<(int? Status, string? Error)> SendOnceAsync(string requestId, Uri target, byte[] body, CancellationToken ct)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(RequestIdHeader, requestId);
        request.Headers.TryAddWithoutValidation(UserIdHeader, UserId);
        request.Headers.TryAddWithoutValidation(TimestampHeader, timestamp);
        request.Headers.TryAddWithoutValidation(SignatureHeader, _signer.Sign(requestId, UserId, timestamp, body));
        request.Headers.TryAddWithoutValidation("User-Agent", "Seedream.Emulator-webhook/1");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(AttemptTimeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            return (code, code is >= 200 and < 300 ? null : "HTTP " + code.ToString(CultureInfo.InvariantCulture));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, $"no answer within {AttemptTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException ex)
        {
            return (null, ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task[] pending;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            pending = new Task[_deliveries.Count];
            _deliveries.CopyTo(pending);
        }

        _stop.Cancel();
        try { await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); }
        catch (Exception) { /* each delivery records its own end state */ }
        _http.Dispose();
        _stop.Dispose();
    }
}
