namespace Seedream.Emulator;

/// <summary>What can go wrong with one request when faults are on (<c>--fault-kinds</c> names in brackets).</summary>
public enum FaultKind
{
    /// <summary>[429] rejected before processing; a quarter with <c>Retry-After: 0</c>, a quarter with <c>1</c>.</summary>
    RateLimited,
    /// <summary>[500] internal error before processing.</summary>
    InternalError,
    /// <summary>
    /// [502] one of two shapes, by the draw's variant (see <see cref="FaultInjector.IsIngress"/>): fal's
    /// ingress proxy fails before the request reaches the queue (nginx's HTML page, no request id, no
    /// work), or fal's own server fails after the work (fal's JSON error, <c>x-fal-request-id</c> names it).
    /// </summary>
    BadGateway,
    /// <summary>[503] no runner: rejected before processing.</summary>
    Unavailable,
    /// <summary>[504] the same two shapes as <see cref="BadGateway"/>, as a timeout.</summary>
    GatewayTimeout,
    /// <summary>[reset] the work was done; the connection drops after the headers and a few body bytes.</summary>
    Reset,
    /// <summary>[slow] the work was done; the answer waits <c>--fault-slow-ms</c> (beyond a short client timeout).</summary>
    Slow,
    /// <summary>[truncated] the work was done; Content-Length promises the whole body, half arrives.</summary>
    Truncated,
    /// <summary>[badjson] the work was done; the body (or one SSE event) is not JSON.</summary>
    BadJson,
    /// <summary>[sse-drop] the status stream ends cleanly, but before COMPLETED.</summary>
    SseDrop,
    /// <summary>[upload-fail] a storage PUT (or part) is read and answered 500; nothing is stored.</summary>
    UploadFail,
}

/// <summary>The <c>--fault-*</c> option values: names of kinds, parsing and checks.</summary>
public static class FaultOptions
{
    private static readonly (string Name, FaultKind Kind)[] Names =
    {
        ("429", FaultKind.RateLimited), ("500", FaultKind.InternalError), ("502", FaultKind.BadGateway),
        ("503", FaultKind.Unavailable), ("504", FaultKind.GatewayTimeout), ("reset", FaultKind.Reset),
        ("slow", FaultKind.Slow), ("truncated", FaultKind.Truncated), ("badjson", FaultKind.BadJson),
        ("sse-drop", FaultKind.SseDrop), ("upload-fail", FaultKind.UploadFail),
    };

    public static IReadOnlyList<FaultKind> AllKinds { get; } = Names.Select(n => n.Kind).ToArray();

    public static string NameOf(FaultKind kind) => Names.First(n => n.Kind == kind).Name;

    /// <summary>A comma list of kind names, or <c>all</c>.</summary>
    /// <exception cref="ArgumentException">An unknown or empty list.</exception>
    public static IReadOnlyList<FaultKind> ParseKinds(string text)
    {
        var parts = (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ArgumentException("Option --fault-kinds needs at least one kind.");
        var kinds = new List<FaultKind>();
        foreach (var part in parts)
        {
            if (part.Equals("all", StringComparison.OrdinalIgnoreCase)) return AllKinds;
            var match = Names.FirstOrDefault(n => n.Name.Equals(part, StringComparison.OrdinalIgnoreCase));
            if (match.Name is null)
                throw new ArgumentException($"Option --fault-kinds: unknown kind '{part}' (known: {string.Join(", ", Names.Select(n => n.Name))}, or all).");
            if (!kinds.Contains(match.Kind)) kinds.Add(match.Kind);
        }

        return kinds;
    }

    /// <exception cref="ArgumentException">Not a number between 0 and 1.</exception>
    public static double ParseRate(string text)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate))
            throw new ArgumentException($"Option --fault-rate: '{text}' is not a number.");
        CheckRate(rate);
        return rate;
    }

    internal static void CheckRate(double rate)
    {
        if (!double.IsFinite(rate) || rate < 0 || rate > 1)
            throw new ArgumentException($"Option --fault-rate: {rate.ToString(CultureInfo.InvariantCulture)} is out of range (0..1).");
    }

    /// <summary>The fault part of <see cref="EmulatorOptions.Validate"/>.</summary>
    internal static void Validate(EmulatorOptions options)
    {
        CheckRate(options.FaultRate);
        if (options.FaultKinds is { Count: 0 }) throw new ArgumentException("Option --fault-kinds needs at least one kind.");
    }
}

/// <summary>Faults as <c>GET /_emulator/stats</c> reports them.</summary>
public sealed class FaultStats
{
    public long Total { get; set; }
    /// <summary>By kind name (<c>429</c>, <c>reset</c>, <c>sse-drop</c> ...).</summary>
    public Dictionary<string, long> ByKind { get; set; } = new();
    /// <summary>By route name (<c>submit</c>, <c>stream</c>, <c>storage.put</c> ...).</summary>
    public Dictionary<string, long> ByRoute { get; set; } = new();
    /// <summary>
    /// 502/504 faults by route and shape: <c>submit.ingress</c> (the proxy's page, nothing done) or
    /// <c>submit.server</c> (fal's JSON error naming the request) ...
    /// </summary>
    public Dictionary<string, long> ByShape { get; set; } = new();
}

/// <summary>Thread-safe counters behind <see cref="FaultStats"/>.</summary>
internal sealed class FaultCounters
{
    private readonly ConcurrentDictionary<string, long> _byKind = new();
    private readonly ConcurrentDictionary<string, long> _byRoute = new();
    private readonly ConcurrentDictionary<string, long> _byShape = new();
    private long _total;

    public void Record(FaultKind kind, string route, string? shape = null)
    {
        Interlocked.Increment(ref _total);
        _byKind.AddOrUpdate(FaultOptions.NameOf(kind), 1, static (_, n) => n + 1);
        _byRoute.AddOrUpdate(route, 1, static (_, n) => n + 1);
        if (shape != null) _byShape.AddOrUpdate(route + "." + shape, 1, static (_, n) => n + 1);
    }

    public FaultStats Snapshot() => new()
    {
        Total = Interlocked.Read(ref _total),
        ByKind = _byKind.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value),
        ByRoute = _byRoute.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value),
        ByShape = _byShape.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value),
    };
}

/// <summary>
/// Jobs created per request body (submit and sync run). Two jobs from one body mean a client sent
/// the same edit twice, normally a retry of a call that had already created work: billed twice.
/// </summary>
internal sealed class JobBodyLedger
{
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    public void Record(byte[] body)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(body))[..16];
        _counts.AddOrUpdate(hash, 1, static (_, n) => n + 1);
    }

    public int DuplicateCount => _counts.Count(p => p.Value > 1);

    public Dictionary<string, int> Duplicates() =>
        _counts.Where(p => p.Value > 1).OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value);
}

/// <summary>
/// Injects faults into requests (<c>--fault-rate</c>, <c>--fault-kinds</c>, <c>--fault-seed</c>,
/// <c>--fault-slow-ms</c>). Each route has its own seeded random sequence, so with a fixed seed the
/// n-th request of a route always gets the same fate. Where a fault happens mirrors real
/// infrastructure: 429/500/503 reject a request before it is processed (no job, no upload); resets,
/// slow, truncated and garbled answers come after the work was done, so a submit hit by them has
/// created a job whose id the client may not learn. 502/504 come in fal's two shapes (the
/// variant picks one): an ingress error before the work, or a server error after it that names
/// the request in <c>x-fal-request-id</c>.
/// </summary>
internal sealed class FaultInjector
{
    private enum RouteClass { None, Json, Stream, Upload, Completion }

    private static readonly FaultKind[] JsonKinds =
    {
        FaultKind.RateLimited, FaultKind.InternalError, FaultKind.BadGateway, FaultKind.Unavailable, FaultKind.GatewayTimeout,
        FaultKind.Reset, FaultKind.Slow, FaultKind.Truncated, FaultKind.BadJson,
    };

    private static readonly FaultKind[] StreamKinds =
    {
        FaultKind.RateLimited, FaultKind.InternalError, FaultKind.BadGateway, FaultKind.Unavailable, FaultKind.GatewayTimeout,
        FaultKind.Reset, FaultKind.Slow, FaultKind.BadJson, FaultKind.SseDrop,
    };

    // Upload PUTs fail before anything is stored, so a retried PUT finds its upload still open.
    private static readonly FaultKind[] UploadKinds =
    {
        FaultKind.RateLimited, FaultKind.InternalError, FaultKind.BadGateway, FaultKind.Unavailable, FaultKind.GatewayTimeout,
        FaultKind.Reset, FaultKind.Slow, FaultKind.UploadFail,
    };

    // Completing a multipart upload twice fails, so completions only get faults that precede the work.
    private static readonly FaultKind[] CompletionKinds = { FaultKind.RateLimited, FaultKind.InternalError, FaultKind.Unavailable };

    private readonly double _rate;
    private readonly HashSet<FaultKind> _kinds;
    private readonly int _seed;
    private readonly int _slowMs;
    private readonly FaultCounters _counters;
    private readonly CancellationToken _shutdown;
    private readonly ConcurrentDictionary<string, Random> _random = new(StringComparer.Ordinal);

    public FaultInjector(EmulatorOptions options, FaultCounters counters, CancellationToken shutdown)
    {
        _rate = options.FaultRate;
        _kinds = new HashSet<FaultKind>(options.FaultKinds ?? FaultOptions.AllKinds);
        _seed = options.FaultSeed ?? Environment.TickCount;
        _slowMs = options.FaultSlowMs;
        _counters = counters;
        _shutdown = shutdown;
    }

    public bool Enabled => _rate > 0 && _kinds.Count > 0;

    /// <summary>One request's fate: the fault, plus a variant number (e.g. which Retry-After a 429 carries).</summary>
    internal readonly record struct Decision(FaultKind Kind, int Variant);

    /// <summary>Draws the fate of the next request on <paramref name="route"/> (null: no fault).</summary>
    internal Decision? Decide(string route)
    {
        var applicable = Applicable(Classify(route));
        if (!Enabled || applicable.Count == 0) return null;
        var random = _random.GetOrAdd(route, r => new Random(unchecked(_seed * 31 + StableHash(r))));
        double roll;
        int pick, variant;
        lock (random)
        {
            // Always three draws, so one request's outcome never shifts the next one's numbers.
            roll = random.NextDouble();
            pick = random.Next(int.MaxValue);
            variant = random.Next(4);
        }

        return roll < _rate ? new Decision(applicable[pick % applicable.Count], variant) : null;
    }

    private List<FaultKind> Applicable(RouteClass c)
    {
        var candidates = c switch
        {
            RouteClass.Json => JsonKinds,
            RouteClass.Stream => StreamKinds,
            RouteClass.Upload => UploadKinds,
            RouteClass.Completion => CompletionKinds,
            _ => Array.Empty<FaultKind>(),
        };
        return candidates.Where(_kinds.Contains).ToList();
    }

    private static RouteClass Classify(string route) => route switch
    {
        "submit" or "run" or "status" or "result" or "cancel" or "tokens" or "storage.initiate" or "storage.initiate-multipart" => RouteClass.Json,
        "stream" => RouteClass.Stream,
        "storage.put" or "storage.part" => RouteClass.Upload,
        "storage.complete" => RouteClass.Completion,
        _ => RouteClass.None,
    };

    private static int StableHash(string s)
    {
        // string.GetHashCode differs per process; the seed must mean the same thing every run.
        var h = 2166136261u;
        foreach (var ch in s) h = (h ^ ch) * 16777619u;
        return unchecked((int)h);
    }

    /// <summary>
    /// A 502/504 draw is an ingress error (variants 0 and 1: half of them) or a server error. fal's
    /// Python client tells them apart the same way: an ingress error carries no x-fal-request-id and
    /// its body is the proxy's own page (it looks for "nginx").
    /// </summary>
    internal static bool IsIngress(Decision d) => d.Kind is FaultKind.BadGateway or FaultKind.GatewayTimeout && d.Variant < 2;

    private static string? ShapeOf(Decision d) =>
        d.Kind is FaultKind.BadGateway or FaultKind.GatewayTimeout ? (IsIngress(d) ? "ingress" : "server") : null;

    /// <summary>
    /// Runs <paramref name="handler"/> for a request on <paramref name="route"/>, faulting it when its
    /// draw says so. <paramref name="requestId"/>: the request the route is about (status, stream ...),
    /// which a server-side 502/504 names.
    /// </summary>
    public async Task RunAsync(HttpContext ctx, string route, Func<Task> handler, string? requestId = null)
    {
        if (!Enabled || Decide(route) is not { } decision)
        {
            await handler().ConfigureAwait(false);
            return;
        }

        _counters.Record(decision.Kind, route, ShapeOf(decision));
        switch (Classify(route))
        {
            case RouteClass.Stream:
                await StreamAsync(ctx, decision, handler, requestId).ConfigureAwait(false);
                break;
            case RouteClass.Upload:
                await UploadAsync(ctx, decision, handler).ConfigureAwait(false);
                break;
            default:
                await JsonAsync(ctx, decision, handler, requestId).ConfigureAwait(false);
                break;
        }
    }

    // ---------------------------------------------------------------- JSON routes

    private async Task JsonAsync(HttpContext ctx, Decision d, Func<Task> handler, string? requestId)
    {
        if (d.Kind is FaultKind.RateLimited or FaultKind.InternalError or FaultKind.Unavailable)
        {
            await WriteErrorAsync(ctx, d).ConfigureAwait(false);
            return;
        }

        if (IsIngress(d))
        {
            // The proxy in front of fal failed: the request never reached the queue.
            await WriteIngressPageAsync(ctx, d).ConfigureAwait(false);
            return;
        }

        // Everything else happens after the work: run the handler into a buffer first.
        var body = await CaptureAsync(ctx, handler).ConfigureAwait(false);
        if (body is null) return;
        switch (d.Kind)
        {
            case FaultKind.BadGateway or FaultKind.GatewayTimeout:
                // fal's server failed after the work: its error names the request (a submit's new
                // job). Routes about no request still get an id, as every fal answer does.
                var id = ctx.Response.Headers[FalHttp.RequestIdHeader].ToString();
                if (id.Length == 0 && ctx.Response.StatusCode >= 400)
                {
                    // The handler refused (e.g. a 422 submit): no work to lose, so its answer stands.
                    await WriteQuietlyAsync(ctx, body, body.Length, abort: false).ConfigureAwait(false);
                    return;
                }

                await WriteServerErrorAsync(ctx, d, id.Length > 0 ? id : requestId ?? Guid.NewGuid().ToString()).ConfigureAwait(false);
                return;
            case FaultKind.Slow:
                if (!await DelayAsync(ctx).ConfigureAwait(false)) return;
                await WriteQuietlyAsync(ctx, body, body.Length, abort: false).ConfigureAwait(false);
                return;
            case FaultKind.Truncated:
                // Content-Length promises the whole body; half of it arrives, then the connection goes.
                ctx.Response.ContentLength = Math.Max(body.Length, 16);
                await WriteQuietlyAsync(ctx, body, body.Length / 2, abort: true).ConfigureAwait(false);
                return;
            case FaultKind.Reset:
                // Headers (with the request id) and a few chunked bytes, then the connection drops.
                ctx.Response.ContentLength = null;
                await WriteQuietlyAsync(ctx, body, Math.Min(body.Length / 2, 8), abort: true).ConfigureAwait(false);
                return;
            case FaultKind.BadJson:
                var garbled = Garble(body);
                ctx.Response.ContentLength = garbled.Length;
                await WriteQuietlyAsync(ctx, garbled, garbled.Length, abort: false).ConfigureAwait(false);
                return;
        }
    }

    /// <summary>The first half of the real body followed by markup: never valid JSON.</summary>
    internal static byte[] Garble(byte[] body) =>
        body.AsSpan(0, body.Length / 2).ToArray().Concat(Encoding.UTF8.GetBytes("<html>emulated fault: not JSON</html>")).ToArray();

    /// <summary>Runs the handler with the response body buffered; null when it started the response itself.</summary>
    private static async Task<byte[]?> CaptureAsync(HttpContext ctx, Func<Task> handler)
    {
        var original = ctx.Response.Body;
        using var buffer = new MemoryStream();
        ctx.Response.Body = buffer;
        try
        {
            await handler().ConfigureAwait(false);
        }
        finally
        {
            ctx.Response.Body = original;
        }

        return ctx.Response.HasStarted ? null : buffer.ToArray();
    }

    private static async Task WriteQuietlyAsync(HttpContext ctx, byte[] body, int count, bool abort)
    {
        try
        {
            await ctx.Response.Body.WriteAsync(body.AsMemory(0, count), ctx.RequestAborted).ConfigureAwait(false);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            return; // the client left first
        }

        if (abort) await AbortSoonAsync(ctx).ConfigureAwait(false);
    }

    /// <summary>
    /// Drops the connection a moment after the last bytes went out: a reset that arrives before
    /// the client has read them would make the client discard them, and the headers must arrive.
    /// 300 ms: on a loaded 2-core machine 50 ms was sometimes too short for the client to read them.
    /// </summary>
    private static async Task AbortSoonAsync(HttpContext ctx)
    {
        try { await Task.Delay(300, ctx.RequestAborted).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        ctx.Abort();
    }

    /// <summary>Waits --fault-slow-ms; false when the client or the emulator went away meanwhile.</summary>
    private async Task<bool> DelayAsync(HttpContext ctx)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _shutdown);
        try
        {
            await Task.Delay(_slowMs, linked.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static Task WriteErrorAsync(HttpContext ctx, Decision d)
    {
        // A rejection carries nothing of the answer it replaces (no request id either).
        ctx.Response.Headers.Clear();
        // Only error types fal documents (its request-errors list); fal names none for 429.
        var (status, detail, type) = d.Kind switch
        {
            FaultKind.RateLimited => (429, "Too many requests", null),
            FaultKind.InternalError => (500, "Internal server error", "internal_error"),
            FaultKind.BadGateway => (502, "The runner sent an incomplete response", "runner_incomplete_response"),
            FaultKind.Unavailable => (503, "No runner is available", "runner_scheduling_failure"),
            FaultKind.GatewayTimeout => (504, "The request timed out", "request_timeout"),
            _ => (500, "The upload failed", "internal_error"),
        };
        if (d.Kind == FaultKind.RateLimited && d.Variant < 2)
            ctx.Response.Headers.RetryAfter = d.Variant.ToString(CultureInfo.InvariantCulture);
        return type is null
            ? FalHttp.WriteDetailAsync(ctx, status, detail + " (emulated fault)")
            : FalHttp.WriteErrorAsync(ctx, status, detail + " (emulated fault)", type);
    }

    /// <summary>fal's own 502/504: its JSON error shape, <c>X-Fal-Error-Type</c>, and the request id it is about.</summary>
    private static Task WriteServerErrorAsync(HttpContext ctx, Decision d, string? requestId)
    {
        ctx.Response.Headers.Clear();
        if (requestId != null) ctx.Response.Headers[FalHttp.RequestIdHeader] = requestId;
        var (status, detail, type) = d.Kind == FaultKind.BadGateway
            ? (502, "The runner sent an incomplete response", "runner_incomplete_response")
            : (504, "The request timed out", "request_timeout");
        return FalHttp.WriteErrorAsync(ctx, status, detail + " (emulated fault)", type);
    }

    /// <summary>
    /// The ingress proxy's own error page, byte for byte what nginx sends (plus a comment naming the
    /// fault): HTML, no x-fal-request-id, nothing of fal's.
    /// </summary>
    private static async Task WriteIngressPageAsync(HttpContext ctx, Decision d)
    {
        ctx.Response.Headers.Clear();
        var title = d.Kind == FaultKind.BadGateway ? "502 Bad Gateway" : "504 Gateway Time-out";
        var page = Encoding.ASCII.GetBytes(
            $"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n" +
            "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n<!-- emulated fault: ingress -->\r\n");
        ctx.Response.StatusCode = d.Kind == FaultKind.BadGateway ? 502 : 504;
        ctx.Response.ContentType = "text/html";
        ctx.Response.ContentLength = page.Length;
        try { await ctx.Response.Body.WriteAsync(page, ctx.RequestAborted).ConfigureAwait(false); }
        catch (Exception ex) when (ex is IOException or OperationCanceledException) { }
    }

    // ---------------------------------------------------------------- status stream

    private async Task StreamAsync(HttpContext ctx, Decision d, Func<Task> handler, string? requestId)
    {
        switch (d.Kind)
        {
            case FaultKind.RateLimited or FaultKind.InternalError or FaultKind.Unavailable:
                await WriteErrorAsync(ctx, d).ConfigureAwait(false);
                return;
            // Before the first event either way: a stream does no work a client could lose.
            case FaultKind.BadGateway or FaultKind.GatewayTimeout when IsIngress(d):
                await WriteIngressPageAsync(ctx, d).ConfigureAwait(false);
                return;
            case FaultKind.BadGateway or FaultKind.GatewayTimeout:
                await WriteServerErrorAsync(ctx, d, requestId ?? Guid.NewGuid().ToString()).ConfigureAwait(false);
                return;
            case FaultKind.Slow:
                if (await DelayAsync(ctx).ConfigureAwait(false)) await handler().ConfigureAwait(false);
                return;
        }

        var original = ctx.Response.Body;
        ctx.Response.Body = new SseFaultStream(original, d.Kind, ctx);
        try
        {
            await handler().ConfigureAwait(false);
        }
        finally
        {
            ctx.Response.Body = original;
        }
    }

    /// <summary>
    /// Sits between the SSE handler and the connection. badjson: the first event's data is not
    /// JSON. reset: the connection drops after the first event. sse-drop: the stream ends cleanly
    /// (the handler sees a write error and returns) after the first event, and a COMPLETED event
    /// is never let through.
    /// </summary>
    private sealed class SseFaultStream : Stream
    {
        private readonly Stream _inner;
        private readonly FaultKind _kind;
        private readonly HttpContext _ctx;
        private int _events;

        public SseFaultStream(Stream inner, FaultKind kind, HttpContext ctx)
        {
            _inner = inner;
            _kind = kind;
            _ctx = ctx;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!buffer.Span.StartsWith("data:"u8))
            {
                await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false); // pings
                return;
            }

            if (_kind == FaultKind.BadJson && _events++ == 0)
            {
                await _inner.WriteAsync("data: {\"status\": <emulated fault: not JSON>\n\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
                return;
            }

            if (_kind == FaultKind.SseDrop && buffer.Span.IndexOf("\"COMPLETED\""u8) >= 0)
                throw new IOException("Emulated fault: stream dropped before COMPLETED.");
            await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (_kind is FaultKind.Reset or FaultKind.SseDrop)
            {
                // One event gets through; then the connection drops (reset) or the stream just ends (sse-drop).
                await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (_kind == FaultKind.Reset) await AbortSoonAsync(_ctx).ConfigureAwait(false);
                throw new IOException("Emulated fault: stream interrupted.");
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();
        public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);
        public override void Flush() => _inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    // ---------------------------------------------------------------- upload PUTs

    private async Task UploadAsync(HttpContext ctx, Decision d, Func<Task> handler)
    {
        switch (d.Kind)
        {
            case FaultKind.Slow:
                if (await DelayAsync(ctx).ConfigureAwait(false)) await handler().ConfigureAwait(false);
                return;
            case FaultKind.Reset:
                ctx.Abort(); // the connection drops while the bytes are on their way
                return;
            case FaultKind.UploadFail:
                try { await ctx.Request.Body.CopyToAsync(Stream.Null, ctx.RequestAborted).ConfigureAwait(false); }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or BadHttpRequestException) { return; }
                await WriteErrorAsync(ctx, d).ConfigureAwait(false);
                return;
            // The storage host is not the queue: both shapes fail before anything is stored, so the
            // upload stays open for a retry; only the answer differs (the proxy's page or a JSON error).
            case FaultKind.BadGateway or FaultKind.GatewayTimeout when IsIngress(d):
                await WriteIngressPageAsync(ctx, d).ConfigureAwait(false);
                return;
            default:
                await WriteErrorAsync(ctx, d).ConfigureAwait(false);
                return;
        }
    }
}
