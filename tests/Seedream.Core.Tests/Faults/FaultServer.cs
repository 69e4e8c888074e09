using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Seedream.Protocol;

namespace Seedream.Core.Tests.Faults;

/// <summary>One request as the fault server saw it.</summary>
public sealed record SeenRequest(string Route, string Method, string Target, string? Authorization, string? TargetHeader, DateTime At);

/// <summary>
/// A loopback HTTP server (Kestrel) that answers whatever the test scripts: per request it calls
/// the handler with the route (submit, run, status, stream, result, cancel, storage, other) and
/// how many requests that route had before. It records every request, so tests can count them.
/// </summary>
public sealed class FaultServer : IAsyncDisposable
{
    public delegate Task Handler(HttpContext ctx, string route, int n);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<SeenRequest> _seen = new();
    private readonly ConcurrentDictionary<string, int> _counts = new();

    private FaultServer(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;
    public IReadOnlyList<SeenRequest> Seen => _seen.ToArray();
    public int Count(string route) => _seen.Count(s => s.Route == route);

    public static async Task<FaultServer> StartAsync(Handler handler, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, port);
        });
        var app = builder.Build();
        var server = new FaultServer(app);
        app.Run(async ctx =>
        {
            var targetHeader = ctx.Request.Headers["x-fal-target-url"].ToString();
            var target = targetHeader.Length > 0 ? targetHeader : ctx.Request.Path + ctx.Request.QueryString;
            var route = Classify(ctx.Request.Method, target);
            var n = server._counts.AddOrUpdate(route, 1, (_, c) => c + 1) - 1;
            var auth = ctx.Request.Headers.Authorization.ToString();
            server._seen.Enqueue(new SeenRequest(route, ctx.Request.Method, target, auth.Length > 0 ? auth : null, targetHeader.Length > 0 ? targetHeader : null, DateTime.UtcNow));
            try { await handler(ctx, route, n); }
            catch (Exception ex) when (ex is OperationCanceledException || ex is IOException) { /* the client left */ }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    private static string Classify(string method, string target)
    {
        var path = target;
        // Absolute only when proxied (x-fal-target-url); "/x" would parse as a file URI on Unix.
        if (target.StartsWith("http", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(target, UriKind.Absolute, out var abs)) path = abs.AbsolutePath;
        var q = path.IndexOf('?');
        if (q >= 0) path = path.Substring(0, q);
        if (path.Contains("/requests/"))
        {
            if (path.EndsWith("/status/stream")) return "stream";
            if (path.EndsWith("/status")) return "status";
            if (path.EndsWith("/cancel")) return "cancel";
            return "result";
        }
        if (path.StartsWith("/storage/")) return "storage";
        if (path.StartsWith("/run/")) return "run";
        return method == "POST" ? "submit" : "other";
    }

    /// <summary>A free loopback port (free now; a test may bind it later).</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await _app.StopAsync(cts.Token); } catch (OperationCanceledException) { }
        await _app.DisposeAsync();
    }

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

    public const string RequestId = "2f1c6a52-9d0e-4a7b-8c3d-5e6f7a8b9c0d";

    public static Task SubmitOk(HttpContext ctx, string? extraJson = null) =>
        Json(ctx, 200, "{\"request_id\":\"" + RequestId + "\",\"status\":\"IN_QUEUE\",\"queue_position\":0" + (extraJson == null ? "" : "," + extraJson) + "}");

    public static Task Status(HttpContext ctx, string status, string? extraJson = null) =>
        Json(ctx, status == JobStatus.Completed ? 200 : 202, StatusJson(status, extraJson));

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
}
