using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Seedream.TestSupport;

/// <summary>One request as a <see cref="ScriptedFal"/> saw it.</summary>
/// <param name="Target">The fal URL meant: <c>x-fal-target-url</c> when proxied, else path and query.</param>
/// <param name="TargetHeader">The <c>x-fal-target-url</c> header; null for a request sent straight to the server.</param>
/// <param name="AllHeaders">Every header as "name: value" lines, so tests can look for a secret anywhere.</param>
public sealed record SeenRequest(string Route, string Method, string Target, string? Authorization, string? TargetHeader, string AllHeaders, DateTime At);

/// <summary>
/// A loopback fal that answers whatever the test scripts. Per request it calls the handler with
/// the route (submit, run, status, stream, result, cancel, storage, other) and how many requests
/// that route had before, and it records every request. Clients may call it as fal's hosts
/// (QueueUrl, RunUrl = "run/", RestUrl pointed at it) or as their proxy (<see cref="ProxyUrl"/>);
/// either way the route is the fal call meant. As a plain server it is "another origin".
/// </summary>
public sealed class ScriptedFal : IAsyncDisposable
{
    public delegate Task Handler(HttpContext ctx, string route, int n);

    /// <summary>The request id every scripted answer names.</summary>
    public const string RequestId = "2f1c6a52-9d0e-4a7b-8c3d-5e6f7a8b9c0d";

    private readonly ConcurrentQueue<SeenRequest> _seen = new();
    private readonly ConcurrentDictionary<string, int> _counts = new();
    private LoopbackHost _host = null!;

    private ScriptedFal() { }

    public Uri BaseUrl => _host.BaseUrl;
    public Uri ProxyUrl => new Uri(BaseUrl, "api/fal/proxy");
    public IReadOnlyList<SeenRequest> Seen => _seen.ToArray();
    public int Count(string route) => _seen.Count(s => s.Route == route);
    public string Url(string path) => _host.Url(path);

    public static async Task<ScriptedFal> StartAsync(Handler handler, int port = 0)
    {
        var fal = new ScriptedFal();
        fal._host = await LoopbackHost.StartAsync(app => app.Run(ctx => fal.HandleAsync(ctx, handler)), port);
        return fal;
    }

    private async Task HandleAsync(HttpContext ctx, Handler handler)
    {
        var targetHeader = ctx.Request.Headers["x-fal-target-url"].ToString();
        var target = targetHeader.Length > 0 ? targetHeader : ctx.Request.Path + ctx.Request.QueryString;
        var route = Route(ctx.Request.Method, target);
        var n = _counts.AddOrUpdate(route, 1, (_, c) => c + 1) - 1;
        var auth = ctx.Request.Headers.Authorization.ToString();
        var all = string.Join("\n", ctx.Request.Headers.Select(h => h.Key + ": " + h.Value));
        _seen.Enqueue(new SeenRequest(route, ctx.Request.Method, target, auth.Length > 0 ? auth : null, targetHeader.Length > 0 ? targetHeader : null, all, DateTime.UtcNow));
        try { await handler(ctx, route, n); }
        catch (Exception ex) when (ex is OperationCanceledException || ex is IOException) { /* the client left */ }
    }

    /// <summary>The fal call a request means, from its method and its target (a URL or a path).</summary>
    public static string Route(string method, string target)
    {
        // Absolute only when proxied; "/x" would parse as a file URI on Unix.
        Uri? abs = null;
        var path = target.StartsWith("http", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(target, UriKind.Absolute, out abs) ? abs.AbsolutePath : target;
        var q = path.IndexOf('?');
        if (q >= 0) path = path.Substring(0, q);
        if (path.Contains("/requests/"))
        {
            if (path.EndsWith("/status/stream", StringComparison.Ordinal)) return "stream";
            if (path.EndsWith("/status", StringComparison.Ordinal)) return "status";
            if (path.EndsWith("/cancel", StringComparison.Ordinal)) return "cancel";
            return "result";
        }
        if (path.StartsWith("/storage/", StringComparison.Ordinal)) return "storage";
        if (path.StartsWith("/run/", StringComparison.Ordinal) || (abs != null && abs.Host == "fal.run")) return "run";
        return method == "POST" ? "submit" : "other";
    }

    /// <summary>A loopback port that is free now.</summary>
    public static int FreePort() => LoopbackHost.FreePort();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    // ---------------------------------------------------------------- answers

    public static async Task Json(HttpContext ctx, int code, string json, params (string Name, string Value)[] headers)
    {
        ctx.Response.StatusCode = code;
        foreach (var (name, value) in headers) ctx.Response.Headers[name] = value;
        ctx.Response.ContentType = "application/json";
        var bytes = Encoding.UTF8.GetBytes(json);
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes);
    }

    /// <summary>fal's answer to a submit: the job, named in the body and (as fal does) the header.</summary>
    public static Task SubmitOk(HttpContext ctx, string? extraJson = null) =>
        Json(ctx, 200, "{\"request_id\":\"" + RequestId + "\",\"status\":\"IN_QUEUE\",\"queue_position\":0" + (extraJson == null ? "" : "," + extraJson) + "}", ("x-fal-request-id", RequestId));

    public static Task Status(HttpContext ctx, string status, string? extraJson = null) =>
        Json(ctx, status == "COMPLETED" ? 200 : 202, StatusJson(status, extraJson));

    public static string StatusJson(string status, string? extraJson = null) =>
        "{\"status\":\"" + status + "\",\"request_id\":\"" + RequestId + "\"" + (extraJson == null ? "" : "," + extraJson) + "}";

    public static async Task StartStream(HttpContext ctx)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream";
        await ctx.Response.StartAsync();
    }

    public static async Task Write(HttpContext ctx, string text)
    {
        await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text));
        await ctx.Response.Body.FlushAsync();
    }

    /// <summary>Reads the whole request body, so a following abort happens after the request was delivered.</summary>
    public static async Task Drain(HttpContext ctx)
    {
        using var ms = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(ms);
    }

    /// <summary>JSON nested <paramref name="depth"/> levels deep: {"images":{"images":...}}.</summary>
    public static string Deep(int depth) => string.Concat(Enumerable.Repeat("{\"images\":", depth)) + "1" + new string('}', depth);
}
