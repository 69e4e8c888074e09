using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Seedream.Emulator;
using Seedream.TestSupport;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>Reads the emulator's own diagnostics and served files, the way an outside client would (no key).</summary>
    internal static class EmulatorProbe
    {
        private static readonly HttpClient Http = new HttpClient();

        public static JsonElement Job(FalEmulator emulator, string requestId) =>
            GetJson(new Uri(emulator.BaseUrl, "_emulator/jobs/" + requestId));

        public static string[] InputImageUrls(FalEmulator emulator, string requestId) =>
            Job(emulator, requestId).GetProperty("input").GetProperty("image_urls").EnumerateArray().Select(e => e.GetString()!).ToArray();

        /// <summary>Metadata of an uploaded file from its served URL (…/files/{id}/{name}).</summary>
        public static JsonElement DescribeFile(FalEmulator emulator, string fileUrl)
        {
            var segments = new Uri(fileUrl).AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
            return GetJson(new Uri(emulator.BaseUrl, "_emulator/files/" + segments[1]));
        }

        public static byte[] Download(string url) => Http.GetByteArrayAsync(url).GetAwaiter().GetResult();

        public static string Sha256OfUrl(string url)
        {
            using var stream = Http.GetStreamAsync(url).GetAwaiter().GetResult();
            return Convert.ToHexString(SHA256.HashData(stream));
        }

        public static long TotalRequests(EmulatorStats s) => s.RequestsByRoute.Values.Sum();

        private static JsonElement GetJson(Uri url)
        {
            var text = Http.GetStringAsync(url).GetAwaiter().GetResult();
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.Clone();
        }
    }

    internal static class Png
    {
        /// <summary>Width and height from the IHDR chunk, after checking the signature.</summary>
        public static (int Width, int Height) Size(string path)
        {
            var b = new byte[24];
            using (var fs = System.IO.File.OpenRead(path)) Assert.Equal(24, fs.Read(b, 0, 24));
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, b.Take(8).ToArray());
            Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(b, 12, 4));
            int BigEndian(int o) => (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
            return (BigEndian(16), BigEndian(20));
        }

        public static byte[] Bytes => Convert.FromBase64String(TestImages.PngBase64);

        /// <summary>A file that starts like a PNG but is padded to <paramref name="size"/> bytes.</summary>
        public static string WritePadded(string directory, string name, int size)
        {
            var bytes = new byte[size];
            Array.Copy(Bytes, bytes, Bytes.Length);
            var path = Path.Combine(directory, name);
            System.IO.File.WriteAllBytes(path, bytes);
            return path;
        }
    }

    internal static class FileAssert
    {
        /// <summary>Every file under <paramref name="root"/>, relative, including hidden temp files.</summary>
        public static string[] Listing(string root) =>
            Directory.Exists(root)
                ? Directory.GetFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).OrderBy(f => f, StringComparer.Ordinal).ToArray()
                : Array.Empty<string>();

        public static void NoTempFiles(string root) =>
            Assert.DoesNotContain(Listing(root), f => Path.GetFileName(f).StartsWith(".seedream-", StringComparison.Ordinal));
    }

    /// <summary>
    /// A deliberately misbehaving download server on loopback: hostile file names, bodies cut
    /// short, lengths that disagree with the result, slow bodies. Records whether any request
    /// carried an Authorization header.
    /// </summary>
    public sealed class HostileServer : IAsyncLifetime
    {
        private LoopbackHost? _host;
        private System.Net.Sockets.TcpListener? _raw;
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        public Uri BaseUrl { get; private set; } = null!;
        /// <summary>
        /// A raw socket server (Kestrel resets connections it aborts; this one closes politely):
        /// headers promising 100 000 bytes, 1 000 bytes of body, then FIN.
        /// </summary>
        public Uri TruncatingUrl { get; private set; } = null!;
        public ConcurrentBag<string> AuthorizationHeaders { get; } = new ConcurrentBag<string>();
        public int Requests;
        /// <summary>Set once the slow route has sent its first bytes.</summary>
        public TaskCompletionSource SlowStarted { get; private set; } = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Url(string path) => new Uri(BaseUrl, path).AbsoluteUri;

        public async Task InitializeAsync()
        {
            var png = Png.Bytes;
            _host = await LoopbackHost.StartAsync(app => Routes(app, png));
            BaseUrl = _host.BaseUrl;

            _raw = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            _raw.Start();
            TruncatingUrl = new Uri($"http://127.0.0.1:{((System.Net.IPEndPoint)_raw.LocalEndpoint).Port}/cut.png");
            _ = Task.Run(() => ServeTruncatedAsync(_raw, png, _stop.Token));
        }

        private void Routes(WebApplication app, byte[] png)
        {
            app.Use(async (ctx, next) =>
            {
                Interlocked.Increment(ref Requests);
                if (ctx.Request.Headers.TryGetValue("Authorization", out var auth)) AuthorizationHeaders.Add(auth.ToString());
                await next(ctx);
            });
            // An image whose Content-Disposition tries to climb out of the destination.
            app.MapGet("/evil", async ctx =>
            {
                ctx.Response.ContentType = "image/png";
                ctx.Response.Headers.ContentDisposition = "attachment; filename=\"../../evil.png\"";
                ctx.Response.ContentLength = png.Length;
                await ctx.Response.Body.WriteAsync(png);
            });
            app.MapGet("/plain.png", async ctx =>
            {
                ctx.Response.ContentType = "image/png";
                ctx.Response.ContentLength = png.Length;
                await ctx.Response.Body.WriteAsync(png);
            });
            // No useful content type: the saver must sniff the bytes (a JPEG-looking body named .bin).
            app.MapGet("/mystery.bin", async ctx =>
            {
                ctx.Response.ContentType = "application/octet-stream";
                ctx.Response.ContentLength = png.Length;
                await ctx.Response.Body.WriteAsync(png);
            });
            // Promises 100 000 bytes, sends 1 000, then drops the connection.
            app.MapGet("/truncated.png", async ctx =>
            {
                ctx.Response.ContentType = "image/png";
                ctx.Response.ContentLength = 100_000;
                await ctx.Response.Body.WriteAsync(png.Concat(new byte[1000 - png.Length]).ToArray());
                await ctx.Response.Body.FlushAsync();
                ctx.Abort();
            });
            // Two megabytes, with and without a declared length (for -MaximumSizeMB).
            app.MapGet("/big.png", async ctx =>
            {
                ctx.Response.ContentType = "image/png";
                ctx.Response.ContentLength = 2 * 1024 * 1024;
                await ctx.Response.Body.WriteAsync(new byte[2 * 1024 * 1024]);
            });
            app.MapGet("/big-chunked.png", async ctx =>
            {
                ctx.Response.ContentType = "image/png";
                for (var i = 0; i < 32; i++) await ctx.Response.Body.WriteAsync(new byte[64 * 1024]);
            });
            // Sends a little, then waits (until the client goes away) so a download can be stopped mid-way.
            app.MapGet("/slow.png", async ctx =>
            {
                ctx.Response.ContentType = "image/png";
                ctx.Response.ContentLength = 1_000_000;
                await ctx.Response.Body.WriteAsync(png);
                await ctx.Response.Body.FlushAsync();
                SlowStarted.TrySetResult();
                try { await Task.Delay(TimeSpan.FromSeconds(30), ctx.RequestAborted); } catch (OperationCanceledException) { }
            });
            app.MapGet("/redirect", ctx =>
            {
                ctx.Response.StatusCode = 302;
                ctx.Response.Headers.Location = "/plain.png";
                return Task.CompletedTask;
            });
        }

        private async Task ServeTruncatedAsync(System.Net.Sockets.TcpListener listener, byte[] png, CancellationToken ct)
        {
            while (!ct.IsCancellationRequested)
            {
                System.Net.Sockets.TcpClient client;
                try { client = await listener.AcceptTcpClientAsync(ct); }
                catch (Exception) { return; }
                using (client)
                {
                    try
                    {
                        Interlocked.Increment(ref Requests);
                        var stream = client.GetStream();
                        var request = new byte[8192];
                        var n = await stream.ReadAsync(request, ct);
                        if (System.Text.Encoding.ASCII.GetString(request, 0, n).Contains("\nAuthorization:", StringComparison.OrdinalIgnoreCase)) AuthorizationHeaders.Add("raw");
                        var head = System.Text.Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n");
                        await stream.WriteAsync(head, ct);
                        await stream.WriteAsync(png.Concat(new byte[1000 - png.Length]).ToArray(), ct);
                        await stream.FlushAsync(ct);
                        client.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
                        await Task.Delay(50, ct);
                    }
                    catch (Exception) { }
                }
            }
        }

        public void ResetSlow() => SlowStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task DisposeAsync()
        {
            _stop.Cancel();
            _raw?.Stop();
            if (_host != null) await _host.DisposeAsync();
        }
    }
}
