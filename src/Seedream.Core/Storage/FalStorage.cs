using Seedream.Protocol.Transport;

namespace Seedream.Storage
{
    /// <summary>
    /// fal storage over the client's transport: uploads (the key only on the initiate call, never
    /// on the upload URL) and downloads (never the key). Transfers are bounded by inactivity, not
    /// by their total duration (<see cref="FalCall.Transfer"/>).
    /// </summary>
    internal sealed class FalStorage
    {
        /// <summary>Files larger than this go up in parts (fal's clients use the same threshold).</summary>
        public const long MultipartThreshold = 90L * 1024 * 1024;
        /// <summary>Size of one multipart part.</summary>
        public const long PartSize = 10L * 1024 * 1024;

        private readonly FalClient _client;

        public FalStorage(FalClient client) => _client = client;

        private FalClientOptions Options => _client.Options;

        /// <summary>
        /// Uploads a local file to fal storage and returns its URL: <c>initiate</c> then one <c>PUT</c>,
        /// or for files over 90 MB <c>initiate-multipart</c>, 10 MB parts and <c>complete</c>.
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
                await _client.SendAsync(new FalCall<bool>(FalOperation.StorageUpload, () =>
                    {
                        Interlocked.Exchange(ref sent, 0);
                        return Put(uploadUrl, new FileSliceContent(info.FullName, 0, size, contentType, Report));
                    },
                    (resp, token) => Task.FromResult(true))
                { Transfer = true }, cancellationToken).ConfigureAwait(false);
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
                    var etag = await _client.SendAsync(new FalCall<string>(FalOperation.StorageUpload, () =>
                        {
                            // A retried part starts its progress over.
                            Interlocked.Exchange(ref sent, before);
                            return Put(partUrl, new FileSliceContent(info.FullName, offset, length, contentType, Report));
                        },
                        async (resp, token) =>
                        {
                            var body = await _client.ReadBodyAsync(resp, token, 64 * 1024).ConfigureAwait(false);
                            string? tag = null;
                            try
                            {
                                using var doc = PlainJson.ParseDocument(body);
                                tag = PlainJson.GetString(doc.RootElement, "etag");
                            }
                            catch (JsonException) { }
                            tag ??= resp.Headers.ETag?.Tag;
                            if (string.IsNullOrEmpty(tag)) throw _client.Protocol($"The storage answered part {partNumber} without an etag.", resp, body, null);
                            return tag!;
                        })
                    { Transfer = true }, cancellationToken).ConfigureAwait(false);
                    parts.Add(new KeyValuePair<int, string>(n, etag));
                }
                var completeUrl = new Uri(baseUrl + "/complete" + query);
                var completeBody = PlainJson.Serialize(new Dictionary<string, object?>
                {
                    ["parts"] = parts.Select(p => (object?)new Dictionary<string, object?> { ["partNumber"] = p.Key, ["etag"] = p.Value }).ToList(),
                });
                await _client.SendAsync(new FalCall<bool>(FalOperation.StorageComplete,
                    () => KeylessRequest(HttpMethod.Post, completeUrl, new StringContent(completeBody, Encoding.UTF8, "application/json")),
                    (resp, token) => Task.FromResult(true)), cancellationToken).ConfigureAwait(false);
            }

            return new File
            {
                Url = fileUrl.AbsoluteUri,
                FileName = fileName,
                ContentType = contentType,
                FileSize = size,
                SourcePath = info.FullName,
                ExpiresAt = options.ExpiresIn.HasValue ? DateTime.Now + options.ExpiresIn.Value : (DateTime?)null,
            };
        }

        private async Task<(Uri UploadUrl, Uri FileUrl)> InitiateUploadAsync(bool multipart, string contentType, string fileName, TimeSpan? expiresIn, CancellationToken ct)
        {
            var url = new Uri(FalClient.Combine(Options.RestUrl, multipart ? "storage/upload/initiate-multipart" : "storage/upload/initiate").AbsoluteUri + "?storage_type=fal-cdn-v3");
            var body = PlainJson.Serialize(new Dictionary<string, object?> { ["content_type"] = contentType, ["file_name"] = fileName });
            string? lifecycle = null;
            if (expiresIn.HasValue)
                lifecycle = PlainJson.Serialize(new Dictionary<string, object?> { ["expiration_duration_seconds"] = (long)expiresIn.Value.TotalSeconds });
            return await _client.SendAsync(new FalCall<(Uri, Uri)>(FalOperation.StorageInitiate, () =>
                {
                    var req = _client.NewApiRequest(HttpMethod.Post, url);
                    if (lifecycle != null)
                    {
                        // Storage initiation reads the -Preference header; the CDN the plain one. Send both.
                        req.Headers.TryAddWithoutValidation("x-fal-object-lifecycle-preference", lifecycle);
                        req.Headers.TryAddWithoutValidation("x-fal-object-lifecycle", lifecycle);
                    }
                    req.Content = new StringContent(body, Encoding.UTF8, "application/json");
                    return req;
                },
                async (resp, token) =>
                {
                    var text = await _client.ReadBodyAsync(resp, token, 1024 * 1024).ConfigureAwait(false);
                    using var doc = _client.ParseJson(text, resp, null);
                    var upload = PlainJson.GetString(doc.RootElement, "upload_url");
                    var file = PlainJson.GetString(doc.RootElement, "file_url");
                    if (!IsHttpUrl(upload, out var uploadUri) || !IsHttpUrl(file, out var fileUri))
                        throw _client.Protocol("The storage answered without a usable upload_url and file_url.", resp, text, null);
                    return (uploadUri!, fileUri!);
                }), ct).ConfigureAwait(false);
        }

        private HttpRequestMessage Put(Uri url, HttpContent content) => KeylessRequest(HttpMethod.Put, url, content);

        /// <summary>A request to a storage or download host: built by hand, never through NewApiRequest, so it never carries the key.</summary>
        private HttpRequestMessage KeylessRequest(HttpMethod method, Uri url, HttpContent? content = null)
        {
            var req = new HttpRequestMessage(method, url) { Content = content };
            req.Headers.TryAddWithoutValidation("User-Agent", Options.UserAgent);
            return req;
        }

        private static bool IsHttpUrl(string? text, out Uri? uri)
        {
            uri = null;
            return text != null && Uri.TryCreate(text, UriKind.Absolute, out uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);
        }

        /// <summary>
        /// Downloads a URL into <paramref name="destination"/> (created or truncated) without the API
        /// key, following at most five redirects, refusing more than <paramref name="maxBytes"/> and
        /// checking the length against Content-Length and <paramref name="expectedSize"/>. A body
        /// that breaks off is retried like any broken response; refusals throw
        /// <see cref="FalDownloadException"/>. The caller owns <paramref name="destination"/> and
        /// should delete it on failure (it may hold a partial body).
        /// </summary>
        public async Task<DownloadResult> DownloadAsync(string url, string destination, long? expectedSize, long maxBytes, Action<long, long?>? progress, CancellationToken cancellationToken)
        {
            if (!IsHttpUrl(url, out var current)) throw new ArgumentException($"'{url}' is not an http or https URL.");
            for (var hop = 0; hop <= 5; hop++)
            {
                var target = current!;
                var result = await _client.SendAsync(new FalCall<DownloadResult>(FalOperation.Download,
                    () => KeylessRequest(HttpMethod.Get, target),
                    (resp, token) => ReadDownloadAsync(resp, target, destination, expectedSize, maxBytes, progress, token))
                {
                    Accepts = code => code >= 200 && code < 400,
                    Transfer = true,
                }, cancellationToken).ConfigureAwait(false);
                if (result.Length >= 0) return result;
                if (!IsHttpUrl(result.FinalUrl, out current))
                    throw new FalDownloadException(DownloadFailure.BadRedirect, $"The server redirected to '{FalClient.Truncate(result.FinalUrl, 200)}', which is not http or https.");
            }
            throw new FalDownloadException(DownloadFailure.BadRedirect, $"Too many redirects downloading '{FalClient.Truncate(url, 200)}'.");
        }

        private static async Task<DownloadResult> ReadDownloadAsync(HttpResponseMessage resp, Uri target, string destination, long? expectedSize, long maxBytes, Action<long, long?>? progress, CancellationToken token)
        {
            var code = (int)resp.StatusCode;
            if (code >= 300)
            {
                var location = resp.Headers.Location;
                if (location == null) throw new FalDownloadException(DownloadFailure.BadRedirect, $"The server redirected ({code}) without a Location.") { StatusCode = resp.StatusCode };
                return new DownloadResult { FinalUrl = (location.IsAbsoluteUri ? location : new Uri(target, location)).AbsoluteUri, Length = -1 };
            }
            var declared = resp.Content.Headers.ContentLength;
            // Refuse before writing a byte when the headers already show the body is unacceptable.
            if (declared.HasValue && declared.Value > maxBytes)
                throw new FalDownloadException(DownloadFailure.TooLarge, $"The download declares {declared.Value:N0} bytes, more than the {maxBytes:N0}-byte limit.") { StatusCode = resp.StatusCode };
            if (declared.HasValue && expectedSize.HasValue && declared.Value != expectedSize.Value)
                throw new FalDownloadException(DownloadFailure.SizeMismatch, $"The download declares {declared.Value:N0} bytes but the result said the file has {expectedSize.Value:N0}.") { StatusCode = resp.StatusCode };
            long total = 0;
            using (var fs = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            using (var stream = await resp.Content.ReadAsStreamAsync().ConfigureAwait(false))
            using (token.Register(() => resp.Dispose()))
            {
                var buffer = new byte[81920];
                while (true)
                {
                    int n;
                    try
                    {
                        n = await stream.ReadAsync(buffer, 0, buffer.Length, token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (token.IsCancellationRequested && (ex is IOException || ex is ObjectDisposedException || ex is HttpRequestException))
                    {
                        // Disposing the response to unblock the read surfaces as an I/O error: it is a cancellation.
                        throw new OperationCanceledException(token);
                    }
                    catch (Exception ex) when (ex is IOException || ex is HttpRequestException)
                    {
                        var of = declared.HasValue ? $" of {declared.Value:N0}" : string.Empty;
                        throw new DownloadInterruptedException($"The download broke off after {total:N0}{of} bytes: {ex.Message}", ex);
                    }
                    if (n == 0) break;
                    total += n;
                    if (total > maxBytes)
                        throw new FalDownloadException(DownloadFailure.TooLarge, $"The download exceeded the {maxBytes:N0}-byte limit.") { StatusCode = resp.StatusCode };
                    await fs.WriteAsync(buffer, 0, n, token).ConfigureAwait(false);
                    progress?.Invoke(total, declared);
                }
                await fs.FlushAsync(token).ConfigureAwait(false);
            }
            if (declared.HasValue && total != declared.Value)
                throw new DownloadInterruptedException($"The download was cut short: {total:N0} of {declared.Value:N0} bytes arrived.");
            if (expectedSize.HasValue && total != expectedSize.Value)
                throw new FalDownloadException(DownloadFailure.SizeMismatch, $"The download has {total:N0} bytes but the result said the file has {expectedSize.Value:N0}.") { StatusCode = resp.StatusCode };
            var disposition = resp.Content.Headers.ContentDisposition;
            return new DownloadResult
            {
                ContentType = resp.Content.Headers.ContentType?.MediaType,
                Length = total,
                FinalUrl = target.AbsoluteUri,
                SuggestedFileName = disposition?.FileNameStar ?? disposition?.FileName?.Trim('"'),
            };
        }
    }
}
