using System.Collections.Concurrent;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using Seedream.Emulator;
using SkiaSharp;

namespace Seedream.Core.Tests.Emulated;

/// <summary>One emulator per test class; subclasses choose its settings.</summary>
public abstract class EmulatorFixtureBase : IAsyncLifetime
{
    public const string Key = "k";

    private readonly HttpClient _plain = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    protected abstract EmulatorOptions CreateOptions();

    public FalEmulator Emulator { get; private set; } = null!;

    /// <summary>A small decodable PNG as a data URI, so jobs need no network.</summary>
    public string InputImage { get; } = DataUri(Png(16, 16));

    public async Task InitializeAsync() => Emulator = await FalEmulator.StartAsync(CreateOptions());

    public async Task DisposeAsync()
    {
        _plain.Dispose();
        // Class-wide guarantee: no test of the class sent the key to an upload or file URL.
        var leaked = Emulator.GetStats().DirectRequestsWithAuthorization;
        await Emulator.DisposeAsync();
        if (leaked != 0) throw new InvalidOperationException($"{leaked} direct (upload/file) request(s) carried an Authorization header.");
    }

    public FalClient NewClient(string key = Key, IFalLog? log = null, Action<FalClientOptions>? configure = null)
    {
        var options = new FalClientOptions
        {
            Credentials = new FalCredentials(key, "test"),
            ProxyUrl = Emulator.ProxyUrl,
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            Log = log,
        };
        configure?.Invoke(options);
        return new FalClient(options);
    }

    /// <summary>A raw model input body; <paramref name="extra"/> adds or overrides fields.</summary>
    public string Input(string prompt = "make it blue", IDictionary<string, object?>? extra = null)
    {
        var body = new Dictionary<string, object?> { ["prompt"] = prompt, ["image_urls"] = new[] { InputImage } };
        if (extra != null) foreach (var kv in extra) body[kv.Key] = kv.Value;
        return PlainJson.Serialize(body);
    }

    /// <summary>The emulator's own view of a job (<c>/_emulator/jobs/{id}</c>).</summary>
    public async Task<JsonElement> JobInfoAsync(string id)
    {
        var text = await _plain.GetStringAsync(new Uri(Emulator.BaseUrl, "_emulator/jobs/" + id));
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Waits until the emulator reports the job's outcome (cancellations settle asynchronously for running jobs).</summary>
    public async Task<string?> OutcomeAsync(string id, int timeoutMs = 5000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (true)
        {
            var info = await JobInfoAsync(id);
            var outcome = info.GetProperty("outcome");
            if (outcome.ValueKind == JsonValueKind.String || DateTime.UtcNow > deadline)
                return outcome.ValueKind == JsonValueKind.String ? outcome.GetString() : null;
            await Task.Delay(20);
        }
    }

    public long Route(string name) => Emulator.GetStats().RequestsByRoute.TryGetValue(name, out var n) ? n : 0;

    public static byte[] Png(int width, int height)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(x * 16), (byte)(y * 16), 128));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    public static string DataUri(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);
}

/// <summary>Two runners, fast jobs, frequent pings, a required key.</summary>
public sealed class FastEmulatorFixture : EmulatorFixtureBase
{
    protected override EmulatorOptions CreateOptions() => new() { ProcessingMs = 100, Runners = 2, RequireKey = Key, PingMs = 50 };
}

/// <summary>
/// One runner and slow jobs, so requests behind a first one really wait in the queue, with a
/// wide margin on a loaded machine. Tests cancel what they submit instead of waiting for it.
/// </summary>
public sealed class QueueingEmulatorFixture : EmulatorFixtureBase
{
    protected override EmulatorOptions CreateOptions() => new() { ProcessingMs = 1500, Runners = 1, RequireKey = Key, PingMs = 50 };
}

/// <summary>Collects what the client logs, to see HTTP status codes and check the key never appears.</summary>
public sealed class ListLog : IFalLog
{
    private readonly ConcurrentQueue<string> _lines = new();
    public IReadOnlyList<string> Lines => _lines.ToArray();
    public void Verbose(string message) => _lines.Enqueue(message);
    public void Debug(string message) => _lines.Enqueue(message);
}

internal static class Png
{
    /// <summary>Width and height from a PNG's IHDR chunk (bytes 16..23, big-endian).</summary>
    public static (int Width, int Height) Size(byte[] png)
    {
        Assert.True(png.Length > 24, "too short for a PNG");
        Assert.Equal("image/png", Seedream.Storage.FileTypes.Sniff(png, png.Length));
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        int Read(int o) => (png[o] << 24) | (png[o + 1] << 16) | (png[o + 2] << 8) | png[o + 3];
        return (Read(16), Read(20));
    }
}
