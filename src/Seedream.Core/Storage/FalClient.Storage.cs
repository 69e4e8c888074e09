using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Seedream.Storage;

namespace Seedream.Protocol
{
    public sealed partial class FalClient
    {
        /// <summary>Files larger than this go up in parts (fal's clients use the same threshold).</summary>
        public const long MultipartThreshold = 90L * 1024 * 1024;
        /// <summary>Size of one multipart part.</summary>
        public const long PartSize = 10L * 1024 * 1024;

        /// <summary>
        /// Uploads a local file to fal storage and returns its URL: <c>initiate</c> then one <c>PUT</c>,
        /// or for files over 90 MB <c>initiate-multipart</c>, 10 MB parts and <c>complete</c>. The
        /// key goes only to the initiate call (API host or proxy), never to the upload URL.
        /// </summary>
        public async Task<File> UploadFileAsync(string path, UploadOptions? options, CancellationToken cancellationToken)
        {
            options ??= new UploadOptions();
            var info = new FileInfo(path);
            if (!info.Exists) throw new FileNotFoundException($"The file '{path}' does not exist.", path);
            var size = info.Length;
            var contentType = options.ContentType ?? FileTypes.Detect(info.FullName);
            var fileName = options.FileName ?? info.Name;
            var multipart = size > MultipartThreshold;
            var sent = 0L;
            void Report(long n)
            {
                var now = Interlocked.Add(ref sent, n);
                options.Progress?.Invoke(now, size);
            }

            var (uploadUrl, fileUrl) = await InitiateUploadAsync(multipart, contentType, fileName, options.ExpiresIn, cancellationToken).ConfigureAwait(false);
            if (!multipart)
            {
                await ExecuteAsync(FalOperation.StorageUpload, () =>
                    {
                        Interlocked.Exchange(ref sent, 0);
                        var req = new HttpRequestMessage(HttpMethod.Put, uploadUrl) { Content = new FileSliceContent(info.FullName, 0, size, contentType, Report) };
                        req.Headers.TryAddWithoutValidation("User-Agent", Options.UserAgent);
                        return req;
                    },
                    code => code >= 200 && code < 300,
                    (resp, token) => Task.FromResult(true),
                    null, cancellationToken, longLived: false).ConfigureAwait(false);
            }
            else
            {
                var parts = new List<KeyValuePair<int, string>>();
                var count = (int)((size + PartSize - 1) / PartSize);
                var baseUrl = uploadUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');
                var query = uploadUrl.Query;
                for (var n = 1; n <= count; n++)
                {
                    var offset = (n - 1) * PartSize;
                    var length = Math.Min(PartSize, size - offset);
                    var partUrl = new Uri(baseUrl + "/" + n.ToString(CultureInfo.InvariantCulture) + query);
                    var partNumber = n;
                    var before = Interlocked.Read(ref sent);
                    var etag = await ExecuteAsync(FalOperation.StorageUpload, () =>
                        {
                            // A retried part starts its progress over.
                            Interlocked.Exchange(ref sent, before);
                            var req = new HttpRequestMessage(HttpMethod.Put, partUrl) { Content = new FileSliceContent(info.FullName, offset, length, contentType, Report) };
                            req.Headers.TryAddWithoutValidation("User-Agent", Options.UserAgent);
                            return req;
                        },
                        code => code >= 200 && code < 300,
                        async (resp, token) =>
                        {
                            var body = await ReadBodyAsync(resp, token, 64 * 1024).ConfigureAwait(false);
                            string? tag = null;
                            try
                            {
                                using var doc = JsonDocument.Parse(body, PlainJson.DocumentOptions);
                                tag = PlainJson.GetString(doc.RootElement, "etag");
                            }
                            catch (JsonException) { }
                            tag ??= resp.Headers.ETag?.Tag;
                            if (string.IsNullOrEmpty(tag)) throw Protocol($"The storage answered part {partNumber} without an etag.", resp, body, null);
                            return tag!;
                        },
                        null, cancellationToken).ConfigureAwait(false);
                    parts.Add(new KeyValuePair<int, string>(n, etag));
                }
                var completeUrl = new Uri(baseUrl + "/complete" + query);
                var completeBody = PlainJson.Serialize(new Dictionary<string, object?>
                {
                    ["parts"] = parts.Select(p => (object?)new Dictionary<string, object?> { ["partNumber"] = p.Key, ["etag"] = p.Value }).ToList(),
                });
                await ExecuteAsync(FalOperation.StorageComplete, () =>
                    {
                        var req = new HttpRequestMessage(HttpMethod.Post, completeUrl) { Content = new StringContent(completeBody, Encoding.UTF8, "application/json") };
                        req.Headers.TryAddWithoutValidation("User-Agent", Options.UserAgent);
                        return req;
                    },
                    code => code >= 200 && code < 300,
                    (resp, token) => Task.FromResult(true),
                    null, cancellationToken).ConfigureAwait(false);
            }

            return new File
            {
                Url = fileUrl.AbsoluteUri,
                FileName = fileName,
                ContentType = contentType,
                FileSize = size,
                SourcePath = info.FullName,
                ExpiresAt = options.ExpiresIn.HasValue ? DateTimeOffset.UtcNow + options.ExpiresIn.Value : (DateTimeOffset?)null,
            };
        }

        private async Task<(Uri UploadUrl, Uri FileUrl)> InitiateUploadAsync(bool multipart, string contentType, string fileName, TimeSpan? expiresIn, CancellationToken ct)
        {
            var url = new Uri(Combine(Options.RestUrl, multipart ? "storage/upload/initiate-multipart" : "storage/upload/initiate").AbsoluteUri + "?storage_type=fal-cdn-v3");
            var body = PlainJson.Serialize(new Dictionary<string, object?> { ["content_type"] = contentType, ["file_name"] = fileName });
            string? lifecycle = null;
            if (expiresIn.HasValue)
                lifecycle = PlainJson.Serialize(new Dictionary<string, object?> { ["expiration_duration_seconds"] = (long)expiresIn.Value.TotalSeconds });
            return await ExecuteAsync(FalOperation.StorageInitiate, () =>
                {
                    var req = NewApiRequest(HttpMethod.Post, url);
                    if (lifecycle != null)
                    {
                        // Storage initiation reads the -Preference header; the CDN the plain one. Send both.
                        req.Headers.TryAddWithoutValidation("x-fal-object-lifecycle-preference", lifecycle);
                        req.Headers.TryAddWithoutValidation("x-fal-object-lifecycle", lifecycle);
                    }
                    req.Content = new StringContent(body, Encoding.UTF8, "application/json");
                    return req;
                },
                code => code >= 200 && code < 300,
                async (resp, token) =>
                {
                    var text = await ReadBodyAsync(resp, token, 1024 * 1024).ConfigureAwait(false);
                    using var doc = ParseJson(text, resp, null);
                    var upload = PlainJson.GetString(doc.RootElement, "upload_url");
                    var file = PlainJson.GetString(doc.RootElement, "file_url");
                    if (!IsHttpUrl(upload, out var uploadUri) || !IsHttpUrl(file, out var fileUri))
                        throw Protocol("The storage answered without a usable upload_url and file_url.", resp, text, null);
                    return (uploadUri!, fileUri!);
                },
                null, ct).ConfigureAwait(false);
        }

        private static bool IsHttpUrl(string? text, out Uri? uri)
        {
            uri = null;
            return text != null && Uri.TryCreate(text, UriKind.Absolute, out uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);
        }

        /// <summary>
        /// Downloads a URL into <paramref name="destination"/> (created or truncated) without the API
        /// key, following at most five redirects, refusing more than <paramref name="maxBytes"/> and
        /// checking the length against Content-Length and <paramref name="expectedSize"/>.
        /// </summary>
        public async Task<DownloadResult> DownloadAsync(string url, string destination, long? expectedSize, long maxBytes, Action<long, long?>? progress, CancellationToken cancellationToken)
        {
            if (!IsHttpUrl(url, out var current)) throw new ArgumentException($"'{url}' is not an http or https URL.");
            for (var hop = 0; hop <= 5; hop++)
            {
                var target = current!;
                var result = await ExecuteAsync(FalOperation.Download, () =>
                    {
                        var req = new HttpRequestMessage(HttpMethod.Get, target);
                        req.Headers.TryAddWithoutValidation("User-Agent", Options.UserAgent);
                        return req;
                    },
                    code => (code >= 200 && code < 300) || (code >= 300 && code < 400),
                    async (resp, token) =>
                    {
                        var code = (int)resp.StatusCode;
                        if (code >= 300)
                        {
                            var location = resp.Headers.Location;
                            if (location == null) throw Protocol($"The server redirected ({code}) without a Location.", resp, null, null);
                            return new DownloadResult { FinalUrl = (location.IsAbsoluteUri ? location : new Uri(target, location)).AbsoluteUri, Length = -1 };
                        }
                        var declared = resp.Content.Headers.ContentLength;
                        if (declared.HasValue && declared.Value > maxBytes)
                            throw Protocol($"The download declares {declared.Value:N0} bytes, more than the {maxBytes:N0}-byte limit.", resp, null, null);
                        if (declared.HasValue && expectedSize.HasValue && declared.Value != expectedSize.Value)
                            throw Protocol($"The download declares {declared.Value:N0} bytes but the result said the file has {expectedSize.Value:N0}.", resp, null, null);
                        long total = 0;
                        using (var fs = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
                        using (var stream = await resp.Content.ReadAsStreamAsync().ConfigureAwait(false))
                        using (token.Register(() => resp.Dispose()))
                        {
                            var buffer = new byte[81920];
                            while (true)
                            {
                                var n = await stream.ReadAsync(buffer, 0, buffer.Length, token).ConfigureAwait(false);
                                if (n == 0) break;
                                total += n;
                                if (total > maxBytes) throw Protocol($"The download exceeded the {maxBytes:N0}-byte limit.", resp, null, null);
                                await fs.WriteAsync(buffer, 0, n, token).ConfigureAwait(false);
                                progress?.Invoke(total, declared);
                            }
                            await fs.FlushAsync(token).ConfigureAwait(false);
                        }
                        if (declared.HasValue && total != declared.Value)
                            throw new IOException($"The download was cut short: {total:N0} of {declared.Value:N0} bytes arrived.");
                        if (expectedSize.HasValue && total != expectedSize.Value)
                            throw Protocol($"The download has {total:N0} bytes but the result said the file has {expectedSize.Value:N0}.", resp, null, null);
                        return new DownloadResult
                        {
                            ContentType = resp.Content.Headers.ContentType?.MediaType,
                            Length = total,
                            FinalUrl = target.AbsoluteUri,
                            SuggestedFileName = resp.Content.Headers.ContentDisposition?.FileNameStar ?? resp.Content.Headers.ContentDisposition?.FileName?.Trim('"'),
                        };
                    },
                    null, cancellationToken).ConfigureAwait(false);
                if (result.Length >= 0) return result;
                if (!IsHttpUrl(result.FinalUrl, out current)) throw new FalApiException(FalErrorKind.Protocol, $"The server redirected to '{result.FinalUrl}', which is not http or https.");
            }
            throw new FalApiException(FalErrorKind.Protocol, $"Too many redirects downloading '{url}'.");
        }
    }
}
