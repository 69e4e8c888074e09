using System.Diagnostics;
using System.Net;
using System.Net.Http;
using SkiaSharp;

namespace Seedream.Emulator;

/// <summary>
/// The emulated models behind every Seedream endpoint in <see cref="SeedreamEndpoints"/>:
/// validates the input against the endpoint's profile, fetches the input images (edit),
/// spends <c>--processing-ms</c>, and produces real PNGs (or JPEGs where <c>output_format</c> asks).
/// </summary>
internal sealed class SeedreamModel
{
    /// <summary>Same cap as fal's toolkit image download (MAX_IMAGE_DOWNLOAD_SIZE).</summary>
    private const long MaxDownloadBytes = 50L * 1024 * 1024;

    private readonly FileStore _store;
    private readonly HttpClient _http;
    private readonly int _processingMs;

    public SeedreamModel(FileStore store, HttpClient http, int processingMs)
    {
        _store = store;
        _http = http;
        _processingMs = processingMs;
    }

    public static bool Serves(EndpointId id) => SeedreamEndpoints.Find(id.FullId) is not null;

    public async Task<JobOutcome> ExecuteAsync(FalJob job, Action<string> log, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var endpoint = SeedreamEndpoints.Find(job.Endpoint.FullId)
            ?? throw new InvalidOperationException($"No model for '{job.Endpoint.FullId}'."); // submit refuses these
        SeedreamInput input;
        using (var doc = JsonDocument.Parse(job.ReadInput()))
        {
            var issues = SeedreamInput.Validate(doc.RootElement, endpoint, out input);
            if (issues.Count > 0) return JobOutcome.Validation(issues);
        }

        var used = endpoint.Kind == ModelKind.Edit ? input.UsedImages : [];
        if (endpoint.Kind == ModelKind.Edit) log($"Loading {used.Count} input image(s)");
        var images = new List<LoadedImage>();
        var created = new List<string>();
        try
        {
            var loadIssues = new List<ValidationIssue>();
            foreach (var (index, url) in used)
            {
                ct.ThrowIfCancellationRequested();
                var (image, issue) = await LoadAsync(index, url, ct).ConfigureAwait(false);
                if (image is not null) images.Add(image);
                if (issue is not null) loadIssues.Add(issue);
            }

            if (loadIssues.Count > 0) return JobOutcome.Validation(loadIssues);

            var rules = endpoint.Sizes;
            var firstInput = images.Count > 0 ? images[0].Original : (ImageDimensions?)null;
            var size = input.CustomSize is { } custom ? rules.Resolve(custom.Width, custom.Height)
                : input.SizePreset is { } preset ? rules.Resolve(preset, firstInput)
                : rules.ResolveDefault(firstInput);
            var format = input.OutputFormat == "jpeg" ? OutputFormat.Jpeg : OutputFormat.Png;
            var seed = input.Seed ?? Random.Shared.NextInt64(0, long.MaxValue);
            var counts = new int[input.NumImages];
            var total = 0;
            for (var g = 0; g < counts.Length; g++)
                total += counts[g] = ImagesInGeneration(seed, g, input.MaxImages);

            log($"Generating {total} image(s) at {size.Width}x{size.Height} (seed {seed})");
            // Most of the simulated model time passes before rendering, so a cancel lands in a
            // cancellable wait rather than in the (uninterruptible) PNG encoder.
            await WaitUntilAsync(clock, _processingMs * 7 / 10, ct).ConfigureAwait(false);
            var results = new JsonArray();
            var prefix = job.Id.Replace("-", "", StringComparison.Ordinal)[..12];
            for (var index = 0; index < total; index++)
            {
                ct.ThrowIfCancellationRequested();
                var key = SplitMix64.Key(input.Prompt, seed, index);
                var fileName = $"seedream-{prefix}-{index + 1}.{format.Extension}";
                results.Add(input.SyncMode
                    ? RenderDataUri(images, size, key, format, fileName)
                    : RenderToStore(images, size, key, format, fileName, job.ObjectLifecyclePreference, created));
            }

            log("Saving results");
            await WaitUntilAsync(clock, _processingMs, ct).ConfigureAwait(false);

            created.Clear(); // delivered: keep them
            var output = new JsonObject { ["images"] = results };
            if (endpoint.ReturnsSeed) output["seed"] = seed;
            return JobOutcome.Ok(output);
        }
        finally
        {
            foreach (var image in images) image.Dispose();
            foreach (var id in created) _store.Remove(id); // cancelled or failed mid-way
        }
    }

    /// <summary>Images returned by generation <paramref name="generation"/>: 1..maxImages, fixed by the seed.</summary>
    internal static int ImagesInGeneration(long seed, int generation, int maxImages) =>
        1 + (int)(SplitMix64.Key("images-per-generation", seed, generation) % (ulong)maxImages);

    private JsonObject RenderToStore(List<LoadedImage> images, ImageDimensions size, ulong key, OutputFormat format, string fileName, string? lifecycle, List<string> created)
    {
        var id = FileStore.NewId();
        var path = _store.PathFor(id);
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            ImageRenderer.RenderCached(file, images, size, key, format);
        var length = new FileInfo(path).Length;
        _store.Register(new StoredFile(id, fileName, format.ContentType, path, length, "output", DateTimeOffset.UtcNow, null, lifecycle));
        created.Add(id);
        return ImageJson(_store.UrlFor(id, fileName).AbsoluteUri, format, fileName, length, size);
    }

    private static JsonObject RenderDataUri(List<LoadedImage> images, ImageDimensions size, ulong key, OutputFormat format, string fileName)
    {
        using var ms = new MemoryStream();
        ImageRenderer.RenderCached(ms, images, size, key, format);
        var url = $"data:{format.ContentType};base64," + Convert.ToBase64String(ms.GetBuffer(), 0, (int)ms.Length);
        return ImageJson(url, format, fileName, ms.Length, size);
    }

    private static JsonObject ImageJson(string url, OutputFormat format, string fileName, long length, ImageDimensions size) => new()
    {
        ["url"] = url,
        ["content_type"] = format.ContentType,
        ["file_name"] = fileName,
        ["file_size"] = length,
        ["width"] = size.Width,
        ["height"] = size.Height,
    };

    private static async Task WaitUntilAsync(Stopwatch clock, int targetMs, CancellationToken ct)
    {
        var remaining = targetMs - clock.ElapsedMilliseconds;
        if (remaining > 0) await Task.Delay(TimeSpan.FromMilliseconds(remaining), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Gets one input image: the emulator's own files from disk, other http(s) URLs from loopback
    /// only, data URIs inline. Failures become fal's 422 error types.
    /// </summary>
    private async Task<(LoadedImage? Image, ValidationIssue? Issue)> LoadAsync(int index, string url, CancellationToken ct)
    {
        SKData? data = null;
        try
        {
            if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
            {
                var bytes = DecodeDataUri(url);
                if (bytes is null) return (null, DownloadError(index, null, "The data URI could not be decoded."));
                data = SKData.CreateCopy(bytes);
            }
            else if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            {
                if (!IsLoopback(uri))
                    return (null, DownloadError(index, url, "The emulator only downloads from loopback addresses."));
                if (TryOwnFile(uri, out var own))
                    data = SKData.Create(own.Path);
                else
                {
                    var bytes = await DownloadAsync(uri, ct).ConfigureAwait(false);
                    if (bytes is null) return (null, DownloadError(index, url, null));
                    data = SKData.CreateCopy(bytes);
                }
            }
            else
            {
                return (null, DownloadError(index, url, "Only http(s) URLs and data URIs are supported."));
            }

            if (data is null) return (null, DownloadError(index, url, null));
            var image = ImageRenderer.Decode(data);
            return image is null
                ? (null, new ValidationIssue(ValidationIssue.BodyLoc("image_urls", index),
                    "Failed to load the image. Please ensure the image file is not corrupted and is in a supported format.",
                    "image_load_error", Input: InputEcho(url), Url: "https://docs.fal.ai/errors/#image_load_error"))
                : (image, null);
        }
        finally
        {
            data?.Dispose();
        }
    }

    private bool TryOwnFile(Uri uri, out StoredFile file)
    {
        file = null!;
        if (uri.Port != _store.BaseUrl.Port || !IsLoopback(uri)) return false;
        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length == 3 && segments[0] == "files"
            && _store.TryGet(segments[1], out file) && file.FileName == Uri.UnescapeDataString(segments[2]);
    }

    private async Task<byte[]?> DownloadAsync(Uri uri, CancellationToken ct)
    {
        try
        {
            using var response = await _http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return null;
            if (response.Content.Headers.ContentLength > MaxDownloadBytes) return null;
            await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            using var ms = new MemoryStream();
            var buffer = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                ms.Write(buffer, 0, read);
                if (ms.Length > MaxDownloadBytes) return null;
            }

            return ms.ToArray();
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return null; // unreachable, reset or timed out: fal reports these as file_download_error
        }
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>Decodes <c>data:[mime][;base64],payload</c>; null when malformed.</summary>
    internal static byte[]? DecodeDataUri(string uri)
    {
        var comma = uri.IndexOf(',');
        if (comma < 0) return null;
        var meta = uri.AsSpan(5, comma - 5);
        var payload = uri[(comma + 1)..];
        if (meta.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
        {
            try { return Convert.FromBase64String(payload); }
            catch (FormatException) { return null; }
        }

        try { return Encoding.UTF8.GetBytes(Uri.UnescapeDataString(payload)); }
        catch (UriFormatException) { return null; }
    }

    private static ValidationIssue DownloadError(int index, string? url, string? reason) =>
        new(ValidationIssue.BodyLoc("image_urls", index),
            "Failed to download the file. Please check if the URL is accessible." + (reason is null ? "" : " " + reason),
            "file_download_error", Input: InputEcho(url), Url: "https://docs.fal.ai/errors/#file_download_error");

    /// <summary>Echo URLs back, but not data URIs (they can be megabytes).</summary>
    private static JsonNode? InputEcho(string? url) =>
        url is null || url.StartsWith("data:", StringComparison.OrdinalIgnoreCase) ? null : JsonValue.Create(url);
}
