using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
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

namespace Seedream.Module.Tests
{
    /// <summary>One request as a <see cref="FakeFal"/> saw it.</summary>
    public sealed record FakeRequest(string Route, string Method, string Target, string? Authorization, string AllHeaders);

    /// <summary>
    /// A scripted loopback server: used as the module's proxy it answers whatever a test scripts
    /// (hostile answers, URLs on another origin); used as a plain server it is that other origin.
    /// Routes: submit, status, stream, result, cancel, run, storage, or "direct" for anything not
    /// proxied. Every request is recorded, headers included, so tests can look for the key.
    /// </summary>
    public sealed class FakeFal : IAsyncDisposable
    {
        public const string RequestId = "7d0b8c52-1f2e-4a3b-9c4d-5e6f7a8b9c0d";

        private readonly WebApplication _app;
        private readonly ConcurrentQueue<FakeRequest> _seen = new ConcurrentQueue<FakeRequest>();
        private readonly ConcurrentDictionary<string, int> _counts = new ConcurrentDictionary<string, int>();

        private FakeFal(WebApplication app) => _app = app;

        public Uri BaseUrl { get; private set; } = null!;
        public Uri ProxyUrl => new Uri(BaseUrl, "api/fal/proxy");
        public IReadOnlyList<FakeRequest> Seen => _seen.ToArray();
        public int Count(string route) => _seen.Count(s => s.Route == route);
        public string Url(string path) => new Uri(BaseUrl, path).AbsoluteUri;

        public static async Task<FakeFal> StartAsync(Func<HttpContext, string, int, Task> handler)
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = Array.Empty<string>(), ContentRootPath = AppContext.BaseDirectory });
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.AddServerHeader = false;
                k.Limits.MaxRequestBodySize = null;
                k.Listen(System.Net.IPAddress.Loopback, 0);
            });
            var app = builder.Build();
            var server = new FakeFal(app);
            app.Run(async ctx =>
            {
                var targetHeader = ctx.Request.Headers["x-fal-target-url"].ToString();
                var target = targetHeader.Length > 0 ? targetHeader : ctx.Request.Path + ctx.Request.QueryString;
                var route = targetHeader.Length > 0 ? Classify(ctx.Request.Method, target) : "direct";
                var n = server._counts.AddOrUpdate(route, 1, (_, c) => c + 1) - 1;
                var auth = ctx.Request.Headers.Authorization.ToString();
                var all = string.Join("\n", ctx.Request.Headers.Select(h => h.Key + ": " + h.Value));
                server._seen.Enqueue(new FakeRequest(route, ctx.Request.Method, target, auth.Length > 0 ? auth : null, all));
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
            var path = Uri.TryCreate(target, UriKind.Absolute, out var abs) ? abs.AbsolutePath : target;
            if (path.Contains("/requests/"))
            {
                if (path.EndsWith("/status/stream", StringComparison.Ordinal)) return "stream";
                if (path.EndsWith("/status", StringComparison.Ordinal)) return "status";
                if (path.EndsWith("/cancel", StringComparison.Ordinal)) return "cancel";
                return "result";
            }
            if (path.StartsWith("/storage/", StringComparison.Ordinal)) return "storage";
            if (abs != null && abs.Host == "fal.run") return "run";
            return method == "POST" ? "submit" : "other";
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

        public static Task Status(HttpContext ctx, string status, string? extra = null) =>
            Json(ctx, status == "COMPLETED" ? 200 : 202, StatusJson(status, extra));

        public static string StatusJson(string status, string? extra = null) =>
            "{\"status\":\"" + status + "\",\"request_id\":\"" + RequestId + "\"" + (extra == null ? "" : "," + extra) + "}";

        public static Task SubmitOk(HttpContext ctx, string? extra = null) =>
            Json(ctx, 200, "{\"request_id\":\"" + RequestId + "\",\"status\":\"IN_QUEUE\",\"queue_position\":0" + (extra == null ? "" : "," + extra) + "}", ("x-fal-request-id", RequestId));

        public static async Task Write(HttpContext ctx, string text)
        {
            await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text));
            await ctx.Response.Body.FlushAsync();
        }

        public static async Task Drain(HttpContext ctx)
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms);
        }

        /// <summary>JSON nested <paramref name="depth"/> levels deep: {"images":{"images":...}}.</summary>
        public static string Deep(int depth) => string.Concat(Enumerable.Repeat("{\"images\":", depth)) + "1" + new string('}', depth);
    }
}
