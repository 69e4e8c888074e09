using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using SkiaSharp;
using Xunit;

namespace Seedream.Emulator.Tests;

/// <summary>A started emulator plus a plain HttpClient that talks to it the way fal clients do.</summary>
internal sealed class Harness : IAsyncDisposable
{
    public const string Endpoint = "fal-ai/bytedance/seedream/v5/lite/edit";
    public const string QueueBase = "https://queue.fal.run/";
    public const string AppBase = "https://queue.fal.run/fal-ai/bytedance/requests/";

    private Harness(FalEmulator emulator)
    {
        Emulator = emulator;
        Http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public FalEmulator Emulator { get; }
    public HttpClient Http { get; }
    /// <summary>Sent as <c>Authorization: Key ...</c> on proxy calls when set.</summary>
    public string? Key { get; set; }

    public static async Task<Harness> StartAsync(int processingMs = 50, int runners = 2, string? requireKey = null, int pingMs = 1000)
    {
        var emulator = await FalEmulator.StartAsync(new EmulatorOptions
        {
            ProcessingMs = processingMs,
            Runners = runners,
            RequireKey = requireKey,
            PingMs = pingMs,
        });
        return new Harness(emulator) { Key = requireKey };
    }

    /// <summary>For options the short form does not cover (webhook retries, ...).</summary>
    public static async Task<Harness> StartAsync(EmulatorOptions options) =>
        new Harness(await FalEmulator.StartAsync(options)) { Key = options.RequireKey };

    public HttpRequestMessage ProxyRequest(HttpMethod method, string targetUrl, string? jsonBody = null)
    {
        var request = new HttpRequestMessage(method, Emulator.ProxyUrl);
        request.Headers.TryAddWithoutValidation("x-fal-target-url", targetUrl);
        if (Key is not null) request.Headers.TryAddWithoutValidation("Authorization", "Key " + Key);
        if (jsonBody is not null) request.Content = new StringContent(jsonBody, Encoding.UTF8, "application/json");
        return request;
    }

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct = default) =>
        Http.SendAsync(request, ct);

    public Task<HttpResponseMessage> ProxyAsync(HttpMethod method, string targetUrl, string? jsonBody = null, Action<HttpRequestMessage>? configure = null)
    {
        var request = ProxyRequest(method, targetUrl, jsonBody);
        configure?.Invoke(request);
        return Http.SendAsync(request);
    }

    /// <summary>Submits to the queue and returns the parsed submit response.</summary>
    public async Task<JsonElement> SubmitAsync(object input, Action<HttpRequestMessage>? configure = null, string endpoint = Endpoint, string query = "")
    {
        using var response = await ProxyAsync(HttpMethod.Post, QueueBase + endpoint + query, JsonSerializer.Serialize(input), configure);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"submit answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> GetJsonAsync(HttpMethod method, string target)
    {
        var response = await ProxyAsync(method, target);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    public Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> StatusAsync(string id, bool logs = false) =>
        GetJsonAsync(HttpMethod.Get, AppBase + id + "/status" + (logs ? "?logs=1" : "?logs=0"));

    public Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> ResultAsync(string id) =>
        GetJsonAsync(HttpMethod.Get, AppBase + id);

    public Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> CancelAsync(string id) =>
        GetJsonAsync(HttpMethod.Put, AppBase + id + "/cancel");

    /// <summary>Polls status until COMPLETED (fails the test after <paramref name="timeoutMs"/>).</summary>
    public async Task<JsonElement> WaitCompletedAsync(string id, int timeoutMs = 20_000, bool logs = false)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var (status, body, response) = await StatusAsync(id, logs);
            response.Dispose();
            if (body.GetProperty("status").GetString() == "COMPLETED")
            {
                Assert.Equal(HttpStatusCode.OK, status);
                return body;
            }

            Assert.Equal(HttpStatusCode.Accepted, status);
            Assert.True(clock.ElapsedMilliseconds < timeoutMs, $"request {id} not completed after {timeoutMs} ms");
            await Task.Delay(25);
        }
    }

    /// <summary>Submit, wait, fetch the result: (status code, body).</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> RunQueuedAsync(object input)
    {
        var submitted = await SubmitAsync(input);
        var id = submitted.GetProperty("request_id").GetString()!;
        await WaitCompletedAsync(id);
        var (status, body, response) = await ResultAsync(id);
        response.Dispose();
        return (status, body);
    }

    public async Task<JsonElement> JobInfoAsync(string id)
    {
        var text = await Http.GetStringAsync(new Uri(Emulator.BaseUrl, "_emulator/jobs/" + id));
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Emulator.DisposeAsync();
    }
}

internal static class TestImages
{
    /// <summary>A small PNG with a gradient, so composition has something visible to draw.</summary>
    public static byte[] Png(int width, int height, byte red = 200)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor(red, (byte)(x * 255 / Math.Max(1, width - 1)), (byte)(y * 255 / Math.Max(1, height - 1))));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    public static string DataUri(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);

    public static SKBitmap DecodeBitmap(byte[] bytes) =>
        SKBitmap.Decode(bytes) ?? throw new InvalidDataException("not a decodable image");

    public static byte[] DecodeDataUri(string uri)
    {
        const string prefix = "data:image/png;base64,";
        Assert.StartsWith(prefix, uri);
        return Convert.FromBase64String(uri[prefix.Length..]);
    }

    /// <summary>Pixel bytes of an image, for exact comparisons.</summary>
    public static byte[] Pixels(byte[] png)
    {
        using var bitmap = DecodeBitmap(png);
        return bitmap.Bytes;
    }
}

/// <summary>Minimal SSE reader: yields "data" payloads and comment lines (": ping").</summary>
internal static class Sse
{
    public sealed record Message(string? Data, string? Comment);

    public static async IAsyncEnumerable<Message> ReadAsync(Stream stream, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var data = new List<string>();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count > 0) yield return new Message(string.Join("\n", data), null);
                data.Clear();
            }
            else if (line.StartsWith(':'))
            {
                yield return new Message(null, line[1..].Trim());
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Add(line[5..].TrimStart());
            }
        }
    }
}

/// <summary>
/// A loopback server that accepts connections and never answers: a job whose input image
/// points here stays IN_PROGRESS until cancelled, which makes queue tests independent of timing.
/// </summary>
internal sealed class HangingServer : IDisposable
{
    private readonly System.Net.Sockets.TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<System.Net.Sockets.TcpClient> _clients = new();
    private readonly CancellationTokenSource _stop = new();

    public HangingServer()
    {
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public string ImageUrl => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/never.png";

    /// <summary>Input that keeps a runner busy until the job is cancelled.</summary>
    public object BlockingInput => new { prompt = "block", image_urls = new[] { ImageUrl } };

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_clients) _clients.Add(client);
            }
        }
        catch (Exception) { /* stopped */ }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_clients) foreach (var c in _clients) c.Dispose();
    }
}
