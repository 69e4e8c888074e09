using System.Net.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Seedream.Emulator;

/// <summary>
/// A local fal.ai look-alike for the Seedream endpoints (<see cref="SeedreamEndpoints"/>): a real Kestrel server on loopback that
/// answers fal's queue, run and storage protocols behind the <c>/api/fal/proxy</c> convention.
/// </summary>
public sealed class FalEmulator : IAsyncDisposable
{
    private readonly StatsCollector _stats = new();
    private readonly FileStore _store = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly HttpClient _http;
    private readonly JobQueue _queue;
    private readonly StorageService _storage;
    private readonly FaultInjector _faults;
    private readonly WebhookSigner _signer = new();
    private readonly WebhookDispatcher _webhooks;
    private WebApplication? _app;
    private int _disposed;

    private FalEmulator(EmulatorOptions options)
    {
        Options = options;
        // Input images come from loopback only; never through a proxy, never following redirects off-host.
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(3),
        })
        { Timeout = TimeSpan.FromSeconds(10) };
        _webhooks = new WebhookDispatcher(_signer, options, _stats);
        var model = new SeedreamModel(_store, _http, options.ProcessingMs);
        _queue = new JobQueue(options.Runners, model.ExecuteAsync, _stats, OnJobCompleted);
        _storage = new StorageService(_store, _stats, options.UploadBytesPerSecond);
        _faults = new FaultInjector(options, _stats.Faults, _shutdown.Token);
    }

    public EmulatorOptions Options { get; }

    /// <summary>Root of the emulator's own origin, e.g. <c>http://127.0.0.1:43121/</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The fal server-proxy endpoint: <see cref="BaseUrl"/> + <c>api/fal/proxy</c>.</summary>
    public Uri ProxyUrl { get; private set; } = null!;

    /// <summary>Where the webhook signing keys are published: <see cref="BaseUrl"/> + <c>.well-known/jwks.json</c>.</summary>
    public Uri JwksUrl { get; private set; } = null!;

    /// <summary>The user id every webhook is signed with (<c>X-Fal-Webhook-User-Id</c>).</summary>
    public static string WebhookUserId => WebhookDispatcher.UserId;

    /// <summary>The 32-byte ED25519 public key of this instance's webhook signatures (also in the JWKS).</summary>
    public ReadOnlyMemory<byte> WebhookPublicKey => _signer.PublicKey;

    /// <summary>Temp directory holding uploads and outputs; deleted on dispose.</summary>
    public string StorageDirectory => _store.Root;

    /// <summary>Same data as <c>GET /_emulator/stats</c>.</summary>
    public EmulatorStats GetStats()
    {
        var (inQueue, inProgress) = _queue.CountQueueJobs();
        return _stats.Snapshot(inQueue, inProgress);
    }

    /// <summary>Binds, starts serving and returns once the port is known.</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public static async Task<FalEmulator> StartAsync(EmulatorOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var emulator = new FalEmulator(options);
        try
        {
            await emulator.StartCoreAsync(ct).ConfigureAwait(false);
            return emulator;
        }
        catch
        {
            await emulator.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(CancellationToken ct)
    {
        // Bind through --urls given as host arguments: they take precedence over ASPNETCORE_URLS /
        // ASPNETCORE_HTTP_PORTS from the environment (container images set those), so only the
        // loopback endpoints of the options are ever bound, and Kestrel has nothing to "override".
        var urls = string.Join(';', Options.GetListenEndPoints().Select(e => $"http://{e}"));
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = ["--urls", urls, "--http_ports", "", "--https_ports", ""],
            ContentRootPath = AppContext.BaseDirectory,
        });

        // Quiet: warnings and errors only, all on stderr, so stdout carries just the "listening" line.
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        // Signals belong to whoever hosts the emulator (CLI or test), not to each instance.
        builder.Services.AddSingleton<IHostLifetime, PassiveHostLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null; // 200 MB uploads are normal for fal storage
        });

        var app = builder.Build();
        _app = app;
        MapRoutes(app);
        await app.StartAsync(ct).ConfigureAwait(false);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no bound address.");
        BaseUrl = new Uri(address.TrimEnd('/') + "/");
        ProxyUrl = new Uri(BaseUrl, "api/fal/proxy");
        JwksUrl = new Uri(BaseUrl, ".well-known/jwks.json");
        _store.BaseUrl = BaseUrl;
    }

    private void MapRoutes(WebApplication app)
    {
        var proxy = new ProxyHandler(Options, _queue, _storage, _store, _stats, _faults, _shutdown.Token);
        app.Map("/api/fal/proxy", proxy.HandleAsync);

        app.MapMethods("/files/{id}/{fileName}", ["GET", "HEAD"], ctx =>
            Direct(ctx, "file", () => _storage.ServeFileAsync(ctx, Route(ctx, "id"), Route(ctx, "fileName"))));
        app.MapPut("/uploads/{uploadId}", ctx =>
            Direct(ctx, "storage.put", () => _storage.PutAsync(ctx, Route(ctx, "uploadId"))));
        app.MapPut("/uploads/{uploadId}/{part}", ctx =>
            Direct(ctx, "storage.part", () => _storage.PutPartAsync(ctx, Route(ctx, "uploadId"), Route(ctx, "part"))));
        app.MapPost("/uploads/{uploadId}/complete", ctx =>
            Direct(ctx, "storage.complete", () => _storage.CompleteDirectAsync(ctx, Route(ctx, "uploadId"))));

        // Public like fal's (no key): receivers fetch it to check webhook signatures.
        app.MapGet("/.well-known/jwks.json", ctx =>
        {
            _stats.Route("jwks");
            ctx.Response.Headers.CacheControl = "public, max-age=3600";
            return FalHttp.WriteJsonAsync(ctx, 200, _signer.Jwks());
        });

        app.MapGet("/_emulator/stats", ctx =>
            FalHttp.WriteJsonBytesAsync(ctx, 200, JsonSerializer.SerializeToUtf8Bytes(GetStats(), FalHttp.JsonOptions)));
        app.MapGet("/_emulator/jobs/{id}", ctx => _queue.TryGet(Route(ctx, "id"), out var job)
            ? FalHttp.WriteJsonAsync(ctx, 200, _queue.Describe(job))
            : FalHttp.WriteDetailAsync(ctx, 404, "Request not found"));
        app.MapGet("/_emulator/files/{id}", ctx => _storage.Describe(Route(ctx, "id")) is { } file
            ? FalHttp.WriteJsonAsync(ctx, 200, file)
            : FalHttp.WriteDetailAsync(ctx, 404, "File not found"));

        app.MapFallback(ctx =>
        {
            _stats.Route("not_found");
            return FalHttp.WriteJsonAsync(ctx, 404, new JsonObject { ["detail"] = "Not Found" });
        });
    }

    /// <summary>Direct routes need no key; a client that sends one anyway is leaking it, so count it.</summary>
    private Task Direct(HttpContext ctx, string route, Func<Task> handler)
    {
        _stats.Route(route);
        if (ctx.Request.Headers.ContainsKey("Authorization"))
            StatsCollector.Increment(ref _stats.DirectRequestsWithAuthorization);
        return _faults.RunAsync(ctx, route, handler); // upload PUTs get faults too (--fault-rate)
    }

    private static string Route(HttpContext ctx, string name) => ctx.GetRouteValue(name)?.ToString() ?? "";

    /// <summary>
    /// Called once per job (queue or sync) right after it reaches COMPLETED, outside all locks:
    /// queue jobs submitted with <c>fal_webhook</c> get their signed webhook POST (in the background).
    /// </summary>
    private void OnJobCompleted(FalJob job) => _webhooks.Dispatch(job);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _shutdown.Cancel(); // ends status streams
        // Webhooks first: jobs the queue fails while shutting down must not start new deliveries.
        await _webhooks.DisposeAsync().ConfigureAwait(false);
        await _queue.DisposeAsync().ConfigureAwait(false);
        if (_app is not null)
        {
            try { await _app.StopAsync().ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        _http.Dispose();
        _store.Dispose();
        _shutdown.Dispose();
    }

    /// <summary>A host lifetime that ignores Ctrl+C/SIGTERM; the owner disposes the emulator.</summary>
    private sealed class PassiveHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
