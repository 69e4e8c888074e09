using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Seedream.TestSupport;

/// <summary>One request as the receiver saw it: the exact body bytes and every header.</summary>
public sealed record ReceivedWebhook(
    string Method,
    string Path,
    IReadOnlyDictionary<string, string> Headers,
    byte[] Body,
    DateTimeOffset ReceivedAt,
    int AnsweredWith);

/// <summary>
/// A loopback HTTP server standing in for a webhook endpoint. It records every request and answers
/// with the scripted status codes in order (200 once the script runs out). Used by the emulator
/// and module tests.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private LoopbackHost _host = null!;
    private readonly object _gate = new();
    private readonly List<ReceivedWebhook> _received = new();
    private readonly Queue<int> _script;
    private readonly SemaphoreSlim _arrived = new(0);

    private WebhookReceiver(IEnumerable<int> script)
    {
        _script = new Queue<int>(script);
    }

    /// <summary>The URL to hand out as <c>fal_webhook</c>.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>When set, 2xx answers carry this JSON instead of "ok" (lets the receiver serve a JWKS too).</summary>
    public string? JsonAnswer { get; set; }

    public static async Task<WebhookReceiver> StartAsync(params int[] answers)
    {
        var receiver = new WebhookReceiver(answers);
        receiver._host = await LoopbackHost.StartAsync(app => app.Run(receiver.HandleAsync));
        receiver.Url = new Uri(receiver._host.BaseUrl, "hooks/fal?source=test");
        return receiver;
    }

    public IReadOnlyList<ReceivedWebhook> Received
    {
        get { lock (_gate) return _received.ToArray(); }
    }

    /// <summary>Waits until at least <paramref name="count"/> requests arrived; returns them all.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(int count, int timeoutMs = 20_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (true)
        {
            var seen = Received;
            if (seen.Count >= count) return seen;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new TimeoutException($"expected {count} webhook request(s) within {timeoutMs} ms, got {seen.Count}");
            await _arrived.WaitAsync(left);
        }
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        using var buffer = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(buffer, ctx.RequestAborted);
        var headers = ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        int status;
        lock (_gate)
        {
            status = _script.Count > 0 ? _script.Dequeue() : 200;
            _received.Add(new ReceivedWebhook(ctx.Request.Method, ctx.Request.Path + ctx.Request.QueryString, headers, buffer.ToArray(), DateTimeOffset.UtcNow, status));
        }

        _arrived.Release();
        ctx.Response.StatusCode = status;
        var ok = status is >= 200 and < 300;
        if (ok && JsonAnswer is { } json)
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(json, ctx.RequestAborted);
            return;
        }

        await ctx.Response.WriteAsync(ok ? "ok" : "try again", ctx.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        _arrived.Dispose();
    }
}
