using System.Collections.Concurrent;
using Seedream.Storage;

namespace Seedream.Workflow
{
    /// <summary>An input image after checking: a URL to send, or a local file to upload or inline.</summary>
    public sealed class ResolvedImage
    {
        public string? Url { get; set; }
        /// <summary>Full file-system path of a local file.</summary>
        public string? Path { get; set; }
        public long Length { get; set; }
        public string? ContentType { get; set; }
        public bool IsLocal => Path != null;

        /// <summary>How the image is named in results and messages: a local path, a URL, or a short label for a data URI.</summary>
        public string Label
        {
            get
            {
                if (Path != null) return Path;
                var url = Url ?? string.Empty;
                if (!url.StartsWith("data:", StringComparison.OrdinalIgnoreCase)) return url;
                var end = url.IndexOfAny(new[] { ';', ',' });
                var mime = end > 5 ? url.Substring(5, end - 5) : "application/octet-stream";
                return $"data:{mime} ({url.Length:N0} characters)";
            }
        }
    }

    /// <summary>Turns checked input images into the URLs a request carries.</summary>
    public static class InputImages
    {
        /// <summary>URLs for every image: remote ones as given, local files uploaded (once per <paramref name="cache"/>) or inlined as data URIs.</summary>
        public static async Task<List<string>> ToUrlsAsync(FalClient client, IReadOnlyList<ResolvedImage> images, bool inline, UploadCache cache, CancellationToken ct)
        {
            var tasks = new List<Task<string>>();
            foreach (var image in images)
            {
                if (!image.IsLocal) tasks.Add(Task.FromResult(image.Url!));
                else if (inline) tasks.Add(ToDataUriAsync(image));
                else tasks.Add(cache.GetOrUpload(client, image, ct));
            }
            return new List<string>(await Task.WhenAll(tasks).ConfigureAwait(false));
        }

        private static async Task<string> ToDataUriAsync(ResolvedImage image)
        {
            using var fs = new FileStream(image.Path!, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous);
            var bytes = new byte[fs.Length];
            var read = 0;
            while (read < bytes.Length)
            {
                var n = await fs.ReadAsync(bytes, read, bytes.Length - read).ConfigureAwait(false);
                if (n == 0) break;
                read += n;
            }
            return "data:" + image.ContentType + ";base64," + Convert.ToBase64String(bytes, 0, read);
        }
    }

    /// <summary>
    /// Uploads made during one batch, keyed by file path, size and time: the same file used by
    /// many edits is uploaded once, even when the edits run concurrently.
    /// </summary>
    public sealed class UploadCache
    {
        private readonly ConcurrentDictionary<string, Lazy<Task<File>>> _uploads = new ConcurrentDictionary<string, Lazy<Task<File>>>(StringComparer.Ordinal);

        public int Count => _uploads.Count;

        public async Task<string> GetOrUpload(FalClient client, ResolvedImage image, CancellationToken ct)
        {
            var info = new FileInfo(image.Path!);
            var key = info.FullName + "|" + info.Length + "|" + info.LastWriteTimeUtc.Ticks;
            var lazy = _uploads.GetOrAdd(key, _ => new Lazy<Task<File>>(() => client.UploadFileAsync(image.Path!, new UploadOptions { ContentType = image.ContentType }, ct)));
            try
            {
                return (await lazy.Value.ConfigureAwait(false)).Url;
            }
            catch
            {
                // A failed upload is not remembered: a later edit may try again.
                _uploads.TryRemove(key, out _);
                throw;
            }
        }
    }
}
