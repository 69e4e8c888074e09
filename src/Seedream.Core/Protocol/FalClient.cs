using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Seedream.Protocol.Transport;
using Seedream.Storage;

namespace Seedream.Protocol
{
    /// <summary>
    /// fal's queue protocol (submit, status, status stream, result, cancel) and the synchronous
    /// run, over one pooled HttpClient. Thread-safe: one instance serves many concurrent jobs.
    /// </summary>
    public sealed class FalClient : IDisposable
    {
        /// <summary>Hosts that may receive the API key when no proxy is configured.</summary>
        private static readonly string[] FalApiHosts = { "queue.fal.run", "queue.falrun.com", "fal.run", "rest.fal.ai", "rest.alpha.fal.ai" };

        private readonly HttpClient _http;
        private readonly RetryStage _transport;
        private readonly RedactingLog _log;
        private readonly FalStorage _storage;

        public FalClient(FalClientOptions options)
        {
            Options = options ?? throw new ArgumentNullException(nameof(options));
            options.Validate();
            var handler = options.Handler ?? CreateDefaultHandler();
            _http = new HttpClient(handler, disposeHandler: options.Handler == null) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
            // .NET Framework sends Expect: 100-continue by default, costing a round trip per POST.
            _http.DefaultRequestHeaders.ExpectContinue = false;
            Text = new ServerText(options.Credentials);
            _log = new RedactingLog(options);
            // The chain every call takes: retry, per-attempt deadline, redacting log, the wire.
            _transport = new RetryStage(options, _log, Text, new TimeoutStage(options, new LoggingStage(_log, new HttpStage(_http))), ReadBodyAsync);
            _storage = new FalStorage(this);
        }

        public FalClientOptions Options { get; }

        /// <summary>Scrubs server text of the key and checks the request ids it names.</summary>
        internal ServerText Text { get; }

        /// <summary>Sends one call through the transport chain (see <see cref="RetryStage"/>).</summary>
        internal Task<T> SendAsync<T>(FalCall<T> call, CancellationToken cancellationToken) => _transport.SendAsync(call, cancellationToken);

        internal void Log(string message) => _log.Verbose(message);

        private static HttpMessageHandler CreateDefaultHandler()
        {
            // Redirects are not followed automatically: the key must never follow one to another origin.
            var handler = new HttpClientHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
            };
            try { handler.MaxConnectionsPerServer = 256; } catch (PlatformNotSupportedException) { }
            return handler;
        }

        public void Dispose() => _http.Dispose();

        // ---------------------------------------------------------------- queue operations

        /// <summary>Submits <paramref name="inputJson"/> (the model input object) to the queue.</summary>
        public async Task<Job> SubmitAsync(EndpointId endpoint, string inputJson, SubmitOptions? options, CancellationToken cancellationToken)
        {
            options ??= new SubmitOptions();
            var url = Combine(Options.QueueUrl, endpoint.Full);
            if (!string.IsNullOrEmpty(options.WebhookUrl))
                url = new Uri(url.AbsoluteUri + "?fal_webhook=" + Uri.EscapeDataString(options.WebhookUrl));
            var headers = BuildPlatformHeaders(options.Headers, options.Priority, options.StartTimeout);
            var submittedAt = DateTime.Now;
            cancellationToken.ThrowIfCancellationRequested();
            // Once the request is on the wire the server may already have created (and started)
            // the job. Aborting then would lose its id and leave it running, billed: so a stop gets
            // a short grace to read the answer, after which the job is cancelled remotely.
            using var grace = new CancellationTokenSource();
            Job job;
            using (cancellationToken.Register(() => { try { grace.CancelAfter(SubmitCancelGrace); } catch (ObjectDisposedException) { } }))
            {
                job = await SubmitCoreAsync(endpoint, inputJson, url, headers, options, submittedAt, grace.Token).ConfigureAwait(false);
            }
            if (options.Accepted != null)
            {
                try { await options.Accepted(job).ConfigureAwait(false); }
                catch
                {
                    // Nobody could collect a job its caller failed to record: do not leave it running.
                    await TryCancelRemoteAsync(JobRef.From(job)).ConfigureAwait(false);
                    throw;
                }
            }
            if (cancellationToken.IsCancellationRequested)
            {
                if (options.CancelRemoteOnAbort) await TryCancelRemoteAsync(JobRef.From(job)).ConfigureAwait(false);
                throw new OperationCanceledException(cancellationToken);
            }
            return job;
        }

        /// <summary>How long a stopped submit may still take to learn the id of the job it created.</summary>
        public static readonly TimeSpan SubmitCancelGrace = TimeSpan.FromSeconds(5);

        private Task<Job> SubmitCoreAsync(EndpointId endpoint, string inputJson, Uri url, List<KeyValuePair<string, string>> headers, SubmitOptions options, DateTime submittedAt, CancellationToken cancellationToken)
        {
            return SendAsync(new FalCall<Job>(FalOperation.Submit, () => NewJsonPost(url, headers, inputJson),
                async (resp, token) =>
                {
                    string body;
                    JsonDocument parsed;
                    try
                    {
                        body = await ReadBodyAsync(resp, token).ConfigureAwait(false);
                        parsed = ParseJson(body, resp, null);
                    }
                    catch (Exception ex) when ((ex is IOException || ex is HttpRequestException || ex is OperationCanceledException || ex is FalApiException)
                        && RecoverSubmittedJob(resp, endpoint, options, submittedAt) is Job recovered)
                    {
                        // The job exists (2xx with its id in the headers) even though the body broke
                        // off or is garbled: follow it by id rather than report an error and orphan it.
                        Log($"The answer to the submit broke off ({ex.Message}), but its headers name request {recovered.RequestId}: following it.");
                        return recovered;
                    }
                    using var doc = parsed;
                    var root = doc.RootElement;
                    var id = PlainJson.GetString(root, "request_id") ?? ResponseRequestId(resp);
                    if (string.IsNullOrEmpty(id))
                        throw Protocol("The submit response carries no request_id.", resp, body, null);
                    if (Text.UsableRequestId(id) == null)
                        throw Protocol($"The submit response carries an unusable request_id '{ServerText.Truncate(id!, 80)}'.", resp, body, null);
                    var job = new Job
                    {
                        RequestId = Text.UsableRequestId(id)!,
                        Endpoint = endpoint.Full,
                        Status = PlainJson.GetString(root, "status") ?? JobStatus.InQueue,
                        QueuePosition = FalAnswers.QueuePosition(PlainJson.GetInt64(root, "queue_position")),
                        StatusUrl = TrustedQueueUrl(PlainJson.GetString(root, "status_url")),
                        ResponseUrl = TrustedQueueUrl(PlainJson.GetString(root, "response_url")),
                        CancelUrl = TrustedQueueUrl(PlainJson.GetString(root, "cancel_url")),
                        SubmittedAt = submittedAt,
                        WebhookUrl = options.WebhookUrl,
                    };
                    return job;
                })
            {
                Adopt = (FalApiException failure, out Job adopted) =>
                {
                    // fal's own server failed after the request reached its queue, and named it: the
                    // job exists. Following it delivers what is paid for; resending would pay twice.
                    adopted = new Job { RequestId = failure.RequestId!, Endpoint = endpoint.Full, Status = JobStatus.InQueue, SubmittedAt = submittedAt, WebhookUrl = options.WebhookUrl };
                    Log($"The submit failed on fal's side after it reached the queue ({failure.Message}); following request {adopted.RequestId} instead of submitting again.");
                    return true;
                },
            }, cancellationToken);
        }

        private Job? RecoverSubmittedJob(HttpResponseMessage resp, EndpointId endpoint, SubmitOptions options, DateTime submittedAt)
        {
            var id = ResponseRequestId(resp);
            if (id == null) return null;
            return new Job { RequestId = id, Endpoint = endpoint.Full, Status = JobStatus.InQueue, SubmittedAt = submittedAt, WebhookUrl = options.WebhookUrl };
        }

        /// <summary>Reads the status once (<c>logs=1</c> when <paramref name="logs"/>).</summary>
        public Task<JobStatus> GetStatusAsync(JobRef job, bool logs, CancellationToken cancellationToken)
        {
            var url = new Uri(StatusUri(job).AbsoluteUri + (logs ? "?logs=1" : "?logs=0"));
            return SendAsync(new FalCall<JobStatus>(FalOperation.Status, () => NewApiRequest(HttpMethod.Get, url),
                async (resp, token) =>
                {
                    var body = await ReadBodyAsync(resp, token).ConfigureAwait(false);
                    return ParseStatus(body, resp, job);
                })
            {
                Accepts = code => code == 200 || code == 202,
                RequestId = job.RequestId,
            }, cancellationToken);
        }

        /// <summary>
        /// Follows the SSE status stream until COMPLETED, calling <paramref name="onUpdate"/> for
        /// every event. Throws <see cref="FalStreamException"/> when the stream is unavailable or
        /// ends (or falls silent) before completion.
        /// </summary>
        public Task<JobStatus> StreamStatusAsync(JobRef job, bool logs, Action<JobStatus>? onUpdate, CancellationToken cancellationToken)
        {
            var url = new Uri(StatusUri(job).AbsoluteUri + "/stream" + (logs ? "?logs=1" : "?logs=0"));
            return SendAsync(new FalCall<JobStatus>(FalOperation.StatusStream, () =>
                {
                    var req = NewApiRequest(HttpMethod.Get, url);
                    req.Headers.Accept.Clear();
                    req.Headers.Accept.ParseAdd("text/event-stream");
                    return req;
                },
                (resp, token) => ReadStatusStreamAsync(resp, job, onUpdate, cancellationToken))
            {
                Accepts = code => code == 200,
                RequestId = job.RequestId,
                Streaming = true,
            }, cancellationToken);
        }

        private async Task<JobStatus> ReadStatusStreamAsync(HttpResponseMessage resp, JobRef job, Action<JobStatus>? onUpdate, CancellationToken ct)
        {
            var mediaType = resp.Content.Headers.ContentType?.MediaType;
            if (!string.Equals(mediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase))
                throw new FalStreamException($"The status stream answered with content type '{mediaType ?? "none"}', not text/event-stream.", unavailable: true);
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
            idle.CancelAfter(Options.StreamIdleTimeout);
            // Disposing the response unblocks a read on runtimes whose streams ignore the token.
            using var reg = idle.Token.Register(() => resp.Dispose());
            var parser = new SseParser();
            var events = new List<SseEvent>();
            var logs = new List<LogEntry>();
            var buffer = new byte[16 * 1024];
            try
            {
                using var stream = await resp.Content.ReadAsStreamAsync().ConfigureAwait(false);
                while (true)
                {
                    var n = await stream.ReadAsync(buffer, 0, buffer.Length, idle.Token).ConfigureAwait(false);
                    if (n == 0) throw new FalStreamException("The status stream ended before the request completed.", unavailable: false);
                    idle.CancelAfter(Options.StreamIdleTimeout);
                    events.Clear();
                    try { parser.Feed(buffer, 0, n, events); }
                    catch (FormatException ex) { throw new FalStreamException(ex.Message, unavailable: false); }
                    foreach (var ev in events)
                    {
                        if (ev.Data.Length == 0) continue;
                        JobStatus status;
                        // A garbled event breaks this stream, not the wait: reconnect like after a drop.
                        try { status = ParseStatus(ev.Data, resp, job); }
                        catch (FalApiException ex) when (ex.Kind == FalErrorKind.Protocol) { throw new FalStreamException("The status stream sent an unusable event: " + ex.Message, unavailable: false, ex); }
                        status.Logs = AccumulateLogs(logs, status.Logs);
                        onUpdate?.Invoke(status);
                        if (status.IsCompleted) return status;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException || ex is ObjectDisposedException || ex is OperationCanceledException || ex is HttpRequestException)
            {
                ct.ThrowIfCancellationRequested();
                if (idle.IsCancellationRequested)
                    throw new FalStreamException($"The status stream sent nothing for {Options.StreamIdleTimeout.TotalSeconds:0.#} s.", unavailable: false, ex);
                throw new FalStreamException("The status stream broke: " + ex.Message, unavailable: false, ex);
            }
        }

        /// <summary>
        /// The status stream may send only the log lines that are new since its last event (fal's
        /// does), or the whole list again. Either way the caller gets the whole list so far.
        /// </summary>
        internal static LogEntry[] AccumulateLogs(List<LogEntry> seen, LogEntry[] incoming)
        {
            if (incoming.Length == 0) return seen.ToArray();
            var isFullList = seen.Count > 0 && incoming.Length >= seen.Count && SameEntry(incoming[0], seen[0]) && SameEntry(incoming[seen.Count - 1], seen[seen.Count - 1]);
            if (isFullList) seen.Clear();
            seen.AddRange(incoming);
            return seen.ToArray();
        }

        private static bool SameEntry(LogEntry a, LogEntry b) => a.Message == b.Message && a.Timestamp == b.Timestamp && a.Level == b.Level;

        /// <summary>
        /// Waits until the request completes: the status stream first, status polling with a short
        /// adaptive interval whenever the stream is unavailable or drops. On timeout or abort the
        /// remote request is cancelled (unless <see cref="WaitOptions.CancelRemoteOnAbort"/> is off).
        /// </summary>
        public async Task<JobStatus> WaitAsync(JobRef job, WaitOptions options, CancellationToken cancellationToken)
        {
            options ??= new WaitOptions();
            using var timeout = new CancellationTokenSource();
            if (options.Timeout.HasValue) timeout.CancelAfter(options.Timeout.Value);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                return await WaitCoreAsync(job, options, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                if (!options.CancelRemoteOnAbort) throw new FalWaitTimeoutException(job.RequestId, options.Timeout!.Value);
                await TryCancelRemoteAsync(job).ConfigureAwait(false);
                throw new FalWaitTimeoutException(job.RequestId, options.Timeout!.Value,
                    $"Request {job.RequestId} did not complete within {options.Timeout!.Value.TotalSeconds:0.###} s; the remote request was cancelled.");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                if (options.CancelRemoteOnAbort) await TryCancelRemoteAsync(job).ConfigureAwait(false);
                throw;
            }
        }

        private async Task<JobStatus> WaitCoreAsync(JobRef job, WaitOptions o, CancellationToken ct)
        {
            JobStatus? last = null;
            void Report(JobStatus s)
            {
                last = s;
                o.OnUpdate?.Invoke(s);
            }

            var useStream = o.UseStream;
            var streamFailures = 0;
            while (useStream)
            {
                try
                {
                    return await StreamStatusAsync(job, o.Logs, Report, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsStreamFallbackCase(ex) && !ct.IsCancellationRequested)
                {
                    streamFailures++;
                    var permanent = ex is FalStreamException fs && fs.Unavailable || ex is FalApiException;
                    if (permanent || streamFailures >= 3) useStream = false;
                    Log($"Status stream for {job.RequestId}: {ex.Message} " + (useStream ? "Checking status, then reconnecting." : "Polling instead."));
                    // A completion may have happened while the stream was down: check once now.
                    var now = await GetStatusAsync(job, o.Logs, ct).ConfigureAwait(false);
                    Report(now);
                    if (now.IsCompleted) return now;
                }
            }

            var interval = o.PollInterval;
            while (true)
            {
                var previous = last;
                var s = await GetStatusAsync(job, o.Logs, ct).ConfigureAwait(false);
                Report(s);
                if (s.IsCompleted) return s;
                var changed = previous == null || previous.Status != s.Status || previous.QueuePosition != s.QueuePosition || previous.Logs.Length != s.Logs.Length;
                interval = changed ? o.PollInterval : TimeSpan.FromMilliseconds(Math.Min(interval.TotalMilliseconds * 1.5, o.MaxPollInterval.TotalMilliseconds));
                await Task.Delay(interval, ct).ConfigureAwait(false);
            }
        }

        private static bool IsStreamFallbackCase(Exception ex)
        {
            if (ex is FalStreamException) return true;
            // Auth and missing requests will not get better by polling; other API failures might.
            if (ex is FalApiException api)
                return api.Kind != FalErrorKind.Unauthorized && api.Kind != FalErrorKind.Forbidden && api.Kind != FalErrorKind.NotFound;
            return false;
        }

        private async Task TryCancelRemoteAsync(JobRef job)
        {
            // The caller's token is already cancelled: give the cancel its own short deadline.
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                var r = await CancelAsync(job, cts.Token).ConfigureAwait(false);
                Log($"Cancelled remote request {job.RequestId}: {r.Outcome}.");
            }
            catch (Exception ex)
            {
                Log($"Could not cancel remote request {job.RequestId}: {ex.Message}");
            }
        }

        /// <summary>Fetches the result body of a completed request.</summary>
        public Task<FalResult> GetResultAsync(JobRef job, CancellationToken cancellationToken) => GetResultAsync(job, false, cancellationToken);

        /// <summary>
        /// Fetches the result body of a completed request. <paramref name="succeeded"/>: its status
        /// said COMPLETED without an error, so a 500 answer is a passing infrastructure fault and is
        /// retried (otherwise it may be the request's own error, replayed).
        /// </summary>
        public Task<FalResult> GetResultAsync(JobRef job, bool succeeded, CancellationToken cancellationToken)
        {
            var url = ResponseUri(job);
            return SendAsync(new FalCall<FalResult>(succeeded ? FalOperation.CompletedResult : FalOperation.Result, () => NewApiRequest(HttpMethod.Get, url),
                async (resp, token) =>
                {
                    var body = await ReadBodyAsync(resp, token).ConfigureAwait(false);
                    // Checked here so that a garbled answer is retried like a broken one.
                    ParseJson(body, resp, job.RequestId).Dispose();
                    return new FalResult(body, ResponseRequestId(resp) ?? job.RequestId, (int)resp.StatusCode);
                })
            {
                Accepts = code => code == 200,
                RequestId = job.RequestId,
            }, cancellationToken);
        }

        /// <summary>Asks fal to cancel the request; the three documented answers are outcomes, not errors.</summary>
        public Task<CancelResult> CancelAsync(JobRef job, CancellationToken cancellationToken)
        {
            var url = CancelUri(job);
            return SendAsync(new FalCall<CancelResult>(FalOperation.Cancel, () => NewApiRequest(HttpMethod.Put, url),
                async (resp, token) =>
                {
                    var body = await ReadBodyAsync(resp, token).ConfigureAwait(false);
                    string? status = null;
                    try
                    {
                        using var doc = PlainJson.ParseDocument(body);
                        status = PlainJson.GetString(doc.RootElement, "status");
                    }
                    catch (JsonException) { }
                    var code = (int)resp.StatusCode;
                    CancelOutcome outcome;
                    if (code == 404 || status == "NOT_FOUND") outcome = CancelOutcome.NotFound;
                    else if (status == "ALREADY_COMPLETED") outcome = CancelOutcome.AlreadyCompleted;
                    else if (code == 400) throw FalErrors.FromAnswer(ResponseHead.From(resp), body, job.RequestId, Text);
                    else outcome = CancelOutcome.CancellationRequested;
                    return new CancelResult { RequestId = job.RequestId, Endpoint = job.Endpoint.Full, Outcome = outcome.ToString() };
                })
            {
                Accepts = code => code == 200 || code == 202 || code == 400 || code == 404,
                RequestId = job.RequestId,
            }, cancellationToken);
        }

        /// <summary>Runs the model synchronously on <c>fal.run</c> (no queue) and returns its output.</summary>
        public Task<FalResult> RunAsync(EndpointId endpoint, string inputJson, TimeSpan? startTimeout, IDictionary<string, string>? headers, CancellationToken cancellationToken)
        {
            var url = Combine(Options.RunUrl, endpoint.Full);
            var extra = BuildPlatformHeaders(headers, null, startTimeout);
            return SendAsync(new FalCall<FalResult>(FalOperation.Run, () => NewJsonPost(url, extra, inputJson),
                async (resp, token) =>
                {
                    var body = await ReadBodyAsync(resp, token).ConfigureAwait(false);
                    return new FalResult(body, ResponseRequestId(resp), 200);
                })
            {
                Accepts = code => code == 200,
            }, cancellationToken);
        }

        // ---------------------------------------------------------------- URLs and routing

        private Uri StatusUri(JobRef job) => TrustedOr(job.StatusUrl, () => Combine(Options.QueueUrl, job.Endpoint.AppId + "/requests/" + job.RequestId + "/status"));
        private Uri ResponseUri(JobRef job) => TrustedOr(job.ResponseUrl, () => Combine(Options.QueueUrl, job.Endpoint.AppId + "/requests/" + job.RequestId));
        private Uri CancelUri(JobRef job) => TrustedOr(job.CancelUrl, () => Combine(Options.QueueUrl, job.Endpoint.AppId + "/requests/" + job.RequestId + "/cancel"));

        private Uri TrustedOr(string? url, Func<Uri> fallback)
        {
            var trusted = TrustedQueueUrl(url);
            if (trusted == null) return fallback();
            // Never let a server-provided URL carry a query or fragment of its own into our calls.
            var u = new Uri(trusted);
            return new Uri(u.GetLeftPart(UriPartial.Path));
        }

        /// <summary>A URL the server returned, when it is on the queue the key is meant for (see <see cref="FalAnswers.TrustedQueueUrl"/>).</summary>
        internal string? TrustedQueueUrl(string? url) => FalAnswers.TrustedQueueUrl(url, Options.QueueUrl);

        internal static bool IsFalApiHost(Uri u) =>
            u.Scheme == Uri.UriSchemeHttps && FalApiHosts.Any(h => string.Equals(h, u.Host, StringComparison.OrdinalIgnoreCase));

        internal static Uri Combine(Uri baseUrl, string relative)
        {
            var b = baseUrl.AbsoluteUri;
            if (!b.EndsWith("/", StringComparison.Ordinal)) b += "/";
            return new Uri(b + relative.TrimStart('/'));
        }

        /// <summary>
        /// Builds a request for a fal API URL: straight to it, or to the proxy with the target in
        /// <c>x-fal-target-url</c>. Only these requests carry the key.
        /// </summary>
        internal HttpRequestMessage NewApiRequest(HttpMethod method, Uri target)
        {
            var creds = Options.Credentials ?? throw new FalApiException(FalErrorKind.Unauthorized,
                "No fal API key is configured. Set FAL_KEY, or run Connect-Seedream -ApiKey.");
            HttpRequestMessage req;
            if (Options.ProxyUrl != null)
            {
                req = new HttpRequestMessage(method, Options.ProxyUrl);
                req.Headers.TryAddWithoutValidation("x-fal-target-url", target.AbsoluteUri);
            }
            else
            {
                if (!IsFalApiHost(target) && !IsConfiguredApiOrigin(target))
                    throw new InvalidOperationException($"Refusing to send the API key to {target.GetLeftPart(UriPartial.Authority)}, which is not a fal API host.");
                req = new HttpRequestMessage(method, target);
            }
            req.Headers.TryAddWithoutValidation("Authorization", creds.AuthorizationValue);
            req.Headers.TryAddWithoutValidation("User-Agent", Options.UserAgent);
            req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            return req;
        }

        /// <summary>A POST of model input to a fal API URL, with the platform headers (x-fal-*) asked for.</summary>
        private HttpRequestMessage NewJsonPost(Uri url, List<KeyValuePair<string, string>> headers, string inputJson)
        {
            var req = NewApiRequest(HttpMethod.Post, url);
            foreach (var h in headers) req.Headers.TryAddWithoutValidation(h.Key, h.Value);
            req.Content = new StringContent(inputJson, Encoding.UTF8, "application/json");
            return req;
        }

        private bool IsConfiguredApiOrigin(Uri target) =>
            new[] { Options.QueueUrl, Options.RunUrl, Options.RestUrl }.Any(u => Uri.Compare(u, target, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0);

        private static List<KeyValuePair<string, string>> BuildPlatformHeaders(IDictionary<string, string>? extra, string? priority, TimeSpan? startTimeout)
        {
            var list = new List<KeyValuePair<string, string>>();
            if (extra != null)
            {
                foreach (var kv in extra)
                {
                    if (!kv.Key.StartsWith("x-fal-", StringComparison.OrdinalIgnoreCase))
                        throw new ArgumentException($"Only x-fal-* headers can be passed through; '{kv.Key}' is not one.");
                    if (kv.Key.Equals("x-fal-target-url", StringComparison.OrdinalIgnoreCase))
                        throw new ArgumentException("x-fal-target-url is set by the client itself.");
                    list.Add(new KeyValuePair<string, string>(kv.Key.ToLowerInvariant(), kv.Value));
                }
            }
            // The explicit options win over pass-through values of the same name.
            if (priority != null)
            {
                if (priority != "normal" && priority != "low") throw new ArgumentException($"Priority must be 'normal' or 'low', not '{priority}'.");
                list.RemoveAll(h => h.Key == "x-fal-queue-priority");
                list.Add(new KeyValuePair<string, string>("x-fal-queue-priority", priority));
            }
            if (startTimeout.HasValue)
            {
                if (startTimeout.Value.TotalSeconds <= 1) throw new ArgumentException("The start timeout must be more than 1 second.");
                list.RemoveAll(h => h.Key == "x-fal-request-timeout");
                list.Add(new KeyValuePair<string, string>("x-fal-request-timeout", startTimeout.Value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)));
            }
            return list;
        }

        // ---------------------------------------------------------------- reading answers

        /// <summary>Reads a response body as text, refusing more than the configured bound.</summary>
        internal async Task<string> ReadBodyAsync(HttpResponseMessage resp, CancellationToken ct, long limit)
        {
            var declared = resp.Content.Headers.ContentLength;
            if (declared.HasValue && declared.Value > limit)
                throw Protocol($"The response declares {declared.Value} bytes, more than the {limit}-byte limit.", resp, null, null);
            using var stream = await resp.Content.ReadAsStreamAsync().ConfigureAwait(false);
            using var reg = ct.Register(() => resp.Dispose());
            using var ms = new MemoryStream();
            var buffer = new byte[16 * 1024];
            while (true)
            {
                int n;
                try { n = await stream.ReadAsync(buffer, 0, buffer.Length, ct).ConfigureAwait(false); }
                catch (ObjectDisposedException) when (ct.IsCancellationRequested) { throw new OperationCanceledException(ct); }
                if (n == 0) break;
                if (ms.Length + n > limit) throw Protocol($"The response is larger than the {limit}-byte limit.", resp, null, null);
                ms.Write(buffer, 0, n);
            }
            if (declared.HasValue && ms.Length != declared.Value)
                throw new IOException($"The response was cut short: {ms.Length} of {declared.Value} bytes arrived.");
            return Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length);
        }

        internal Task<string> ReadBodyAsync(HttpResponseMessage resp, CancellationToken ct) => ReadBodyAsync(resp, ct, Options.MaxResponseBytes);

        internal string? ResponseRequestId(HttpResponseMessage resp) => Text.UsableRequestId(ResponseHead.From(resp).Header("x-fal-request-id"));

        internal JsonDocument ParseJson(string body, HttpResponseMessage resp, string? requestId) => FalAnswers.ParseObject(body, ResponseHead.From(resp), requestId, Text);

        internal JobStatus ParseStatus(string json, HttpResponseMessage resp, JobRef job) => FalAnswers.ParseStatus(json, ResponseHead.From(resp), job, Text, Options.QueueUrl);

        internal FalApiException Protocol(string message, HttpResponseMessage? resp, string? body, string? requestId, Exception? inner = null) =>
            FalErrors.Protocol(message, resp == null ? null : ResponseHead.From(resp), body, requestId, Text, inner);

        internal static string Truncate(string s, int max) => ServerText.Truncate(s, max);

        // ---------------------------------------------------------------- storage

        /// <summary>Files larger than this go up in parts (fal's clients use the same threshold).</summary>
        public const long MultipartThreshold = FalStorage.MultipartThreshold;
        /// <summary>Size of one multipart part.</summary>
        public const long PartSize = FalStorage.PartSize;

        /// <summary>
        /// Uploads a local file to fal storage and returns its URL (see <see cref="FalStorage"/>). The
        /// key goes only to the initiate call (API host or proxy), never to the upload URL.
        /// </summary>
        public Task<File> UploadFileAsync(string path, UploadOptions? options, CancellationToken cancellationToken) =>
            _storage.UploadFileAsync(path, options, cancellationToken);

        /// <summary>
        /// Downloads a URL into <paramref name="destination"/> without the API key (see <see cref="FalStorage.DownloadAsync"/>).
        /// The caller owns <paramref name="destination"/> and should delete it on failure.
        /// </summary>
        public Task<DownloadResult> DownloadAsync(string url, string destination, long? expectedSize, long maxBytes, Action<long, long?>? progress, CancellationToken cancellationToken) =>
            _storage.DownloadAsync(url, destination, expectedSize, maxBytes, progress, cancellationToken);
    }

    /// <summary>The status stream could not be used (unavailable) or stopped before completion.</summary>
    public sealed class FalStreamException : Exception
    {
        public FalStreamException(string message, bool unavailable, Exception? inner = null) : base(message, inner)
        {
            Unavailable = unavailable;
        }

        /// <summary>True when the server does not offer the stream at all (retrying it is pointless).</summary>
        public bool Unavailable { get; }
    }
}
