using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Seedream.Protocol
{
    /// <summary>Turns a failed call into a value after all (see <see cref="RetryPolicy.AdoptsJob"/>).</summary>
    internal delegate bool Adopter<T>(FalApiException failure, out T value);

    public sealed partial class FalClient
    {
        /// <summary>
        /// Sends one logical call with the retry policy: builds a fresh request per attempt, bounds
        /// each attempt by <see cref="FalClientOptions.RequestTimeout"/> (long-lived streams only
        /// for their headers), hands accepted responses to <paramref name="onAccepted"/> and turns
        /// everything else into a <see cref="FalApiException"/>. <paramref name="adopt"/>: for a
        /// submit, follows the job a server error names instead of failing.
        /// </summary>
        internal async Task<T> ExecuteAsync<T>(
            FalOperation op,
            Func<HttpRequestMessage> build,
            Func<int, bool> accept,
            Func<HttpResponseMessage, CancellationToken, Task<T>> onAccepted,
            string? requestId,
            CancellationToken ct,
            bool longLived = false,
            Adopter<T>? adopt = null)
        {
            for (var attempt = 0; ; attempt++)
            {
                ct.ThrowIfCancellationRequested();
                using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attemptCts.CancelAfter(Options.RequestTimeout);
                // Transfers re-arm the timer as bytes move (see Touch), so a large upload or
                // download is limited by inactivity, not by its total duration.
                CurrentAttempt.Value = new AttemptTimer(attemptCts, Options.RequestTimeout);
                FalApiException failure = null!;
                bool retry = false;
                TimeSpan? retryAfter = null;
                // What is known about the failure, to tell whether it may have left a job behind.
                int? failedCode = null;
                var origin = ErrorOrigin.Unknown;
                var beforeSend = false;
                var sw = Stopwatch.StartNew();
                using (var req = build())
                {
                    var what = Describe(req);
                    HttpResponseMessage? resp = null;
                    try
                    {
                        resp = await _http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, attemptCts.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        failure = new FalApiException(FalErrorKind.Connection, $"{what} timed out after {Options.RequestTimeout.TotalSeconds:0.#} s.") { RequestId = requestId };
                        retry = RetryPolicy.ShouldRetry(op, beforeSend: false);
                    }
                    catch (HttpRequestException ex)
                    {
                        beforeSend = RetryPolicy.IsBeforeSend(ex);
                        failure = new FalApiException(FalErrorKind.Connection, $"{what} failed: {InnermostMessage(ex)}", ex) { RequestId = requestId };
                        retry = RetryPolicy.ShouldRetry(op, beforeSend);
                    }
                    catch (IOException ex)
                    {
                        failure = new FalApiException(FalErrorKind.Connection, $"{what} failed: {ex.Message}", ex) { RequestId = requestId };
                        retry = RetryPolicy.ShouldRetry(op, beforeSend: false);
                    }

                    if (resp != null)
                    {
                        using (resp)
                        {
                            var code = (int)resp.StatusCode;
                            failedCode = code;
                            Log(true, $"{what} -> {code} {resp.ReasonPhrase} ({sw.ElapsedMilliseconds} ms)");
                            if (accept(code))
                            {
                                if (longLived) attemptCts.CancelAfter(System.Threading.Timeout.Infinite);
                                try
                                {
                                    return await onAccepted(resp, attemptCts.Token).ConfigureAwait(false);
                                }
                                catch (OperationCanceledException) when (!ct.IsCancellationRequested && !longLived)
                                {
                                    failure = new FalApiException(FalErrorKind.Connection, $"{what}: reading the response timed out after {Options.RequestTimeout.TotalSeconds:0.#} s.") { RequestId = requestId ?? ResponseRequestId(resp) };
                                    retry = RetryPolicy.ShouldRetry(op, beforeSend: false);
                                }
                                catch (Exception ex) when ((ex is IOException || ex is HttpRequestException) && !ct.IsCancellationRequested && !longLived)
                                {
                                    failure = new FalApiException(FalErrorKind.Connection, $"{what}: the response broke off: {InnermostMessage(ex)}", ex) { RequestId = requestId ?? ResponseRequestId(resp) };
                                    retry = RetryPolicy.ShouldRetry(op, beforeSend: false);
                                }
                                catch (FalApiException ex) when (ex.Kind == FalErrorKind.Protocol && ex.InnerException is JsonException && !ct.IsCancellationRequested && RetryPolicy.ShouldRetryGarbledAnswer(op))
                                {
                                    // A garbled answer to a call that creates nothing is as transient as a broken one.
                                    ex.RequestId ??= requestId;
                                    failure = ex;
                                    retry = true;
                                }
                                catch (FalApiException ex) when (ex.RequestId == null && requestId != null)
                                {
                                    // An unusable answer about a known request names it, like every other failure.
                                    ex.RequestId = requestId;
                                    throw;
                                }
                                catch (FalApiException ex) when (ex.Kind == FalErrorKind.Protocol && !ct.IsCancellationRequested
                                    && RetryPolicy.MayHaveCreatedWork(op, code, ErrorOrigin.Unknown, beforeSend: false))
                                {
                                    // Accepted, so the work exists, but the answer cannot say which: say so.
                                    throw WithWorkNote(ex, op);
                                }
                            }
                            else
                            {
                                string body;
                                try { body = await ReadBodyAsync(resp, attemptCts.Token, Math.Min(Options.MaxResponseBytes, 1024 * 1024)).ConfigureAwait(false); }
                                catch (Exception ex) when (ex is IOException || ex is HttpRequestException || ex is FalApiException || (ex is OperationCanceledException && !ct.IsCancellationRequested)) { body = string.Empty; }
                                failure = BuildError(resp, body, requestId);
                                origin = RetryPolicy.Origin(code, HeaderValue(resp, "x-fal-request-id") != null, body);
                                if (adopt != null && failure.RequestId != null && RetryPolicy.AdoptsJob(op, code, failure.TimeoutType, origin)
                                    && adopt(failure, out var adopted))
                                    return adopted;
                                retryAfter = RetryPolicy.ParseRetryAfter(resp, DateTimeOffset.UtcNow);
                                failure.RetryAfter = retryAfter;
                                retry = RetryPolicy.ShouldRetry(op, code, failure.TimeoutType, origin);
                                if (origin == ErrorOrigin.Ingress)
                                    Log(true, $"{what}: the answer is the ingress proxy's own page (no request id): the request never reached fal.");
                            }
                        }
                    }
                    else
                    {
                        Log(true, $"{what} -> no response ({sw.ElapsedMilliseconds} ms)");
                    }
                }

                failure.Attempts = attempt + 1;
                if (!retry || attempt >= Options.MaxRetryCount)
                {
                    var ambiguous = failure.Kind == FalErrorKind.Server || failure.Kind == FalErrorKind.Connection || failure.Kind == FalErrorKind.Protocol;
                    if (ambiguous && RetryPolicy.MayHaveCreatedWork(op, failedCode, origin, beforeSend)) failure = WithWorkNote(failure, op);
                    throw failure;
                }
                var delay = RetryPolicy.Delay(attempt, Options.RetryBaseDelay, Options.RetryMaxDelay, retryAfter);
                Log(true, $"Retrying in {delay.TotalSeconds:0.##} s (retry {attempt + 1} of {Options.MaxRetryCount}): {failure.Message}");
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }
        }

        /// <summary>
        /// The same failure, its message saying that the work may exist and was not sent again: the
        /// user learns why there is no retry, and where a charge could come from.
        /// </summary>
        internal static FalApiException WithWorkNote(FalApiException ex, FalOperation op)
        {
            var note = op == FalOperation.Run
                ? " The model may have run for it on fal; it was not run again, so it cannot be billed twice."
                : " fal may have created a job for it" + (ex.RequestId != null ? string.Empty : " (its request id never arrived)")
                  + "; it was not submitted again, so it cannot be billed twice.";
            return new FalApiException(ex.Kind, ex.Message + note, ex.InnerException)
            {
                StatusCode = ex.StatusCode,
                RequestId = ex.RequestId,
                ErrorType = ex.ErrorType,
                Detail = ex.Detail,
                ValidationErrors = ex.ValidationErrors,
                ResponseBody = ex.ResponseBody,
                TimeoutType = ex.TimeoutType,
                Retryable = ex.Retryable,
                Attempts = ex.Attempts,
                RetryAfter = ex.RetryAfter,
            };
        }

        private static readonly AsyncLocal<AttemptTimer?> CurrentAttempt = new AsyncLocal<AttemptTimer?>();

        /// <summary>Signals progress of the current attempt's transfer: its timeout starts over.</summary>
        internal static void Touch() => CurrentAttempt.Value?.Touch();

        private sealed class AttemptTimer
        {
            private readonly CancellationTokenSource _cts;
            private readonly TimeSpan _timeout;
            private long _lastTicks;

            public AttemptTimer(CancellationTokenSource cts, TimeSpan timeout)
            {
                _cts = cts;
                _timeout = timeout;
            }

            public void Touch()
            {
                // Re-arming a timer on every 80 KB chunk is wasteful: once a second is plenty.
                var now = Environment.TickCount;
                if (now - Interlocked.Read(ref _lastTicks) < 1000) return;
                Interlocked.Exchange(ref _lastTicks, now);
                try { _cts.CancelAfter(_timeout); } catch (ObjectDisposedException) { }
            }
        }

        private string Describe(HttpRequestMessage req)
        {
            // The log names the real target; query strings are left out (they may carry webhook tokens).
            var target = req.Headers.TryGetValues("x-fal-target-url", out var t) ? t.First() : req.RequestUri!.AbsoluteUri;
            var q = target.IndexOf('?');
            if (q >= 0) target = target.Substring(0, q) + "?…";
            return Options.ProxyUrl != null && req.Headers.Contains("x-fal-target-url")
                ? $"{req.Method} {target} (via proxy)"
                : $"{req.Method} {target}";
        }

        private static string InnermostMessage(Exception ex)
        {
            var e = ex;
            while (e.InnerException != null) e = e.InnerException;
            return e == ex ? ex.Message : ex.Message + " (" + e.Message + ")";
        }

        /// <summary>Reads a response body as text, refusing more than the configured bound.</summary>
        internal async Task<string> ReadBodyAsync(HttpResponseMessage resp, CancellationToken ct, long? limit = null)
        {
            var max = limit ?? Options.MaxResponseBytes;
            var declared = resp.Content.Headers.ContentLength;
            if (declared.HasValue && declared.Value > max)
                throw Protocol($"The response declares {declared.Value} bytes, more than the {max}-byte limit.", resp, null, null);
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
                if (ms.Length + n > max) throw Protocol($"The response is larger than the {max}-byte limit.", resp, null, null);
                ms.Write(buffer, 0, n);
            }
            if (declared.HasValue && ms.Length != declared.Value)
                throw new IOException($"The response was cut short: {ms.Length} of {declared.Value} bytes arrived.");
            return Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length);
        }

        /// <summary>
        /// A request id a server named (body or x-fal-request-id header), when usable: a valid id, and
        /// not the API key echoed back by a hostile server (it would end up in output and error targets).
        /// </summary>
        internal string? UsableRequestId(string? id) =>
            id != null && JobRef.IsValidRequestId(id) && (Options.Credentials == null || Options.Credentials.Redact(id) == id) ? id.Trim() : null;

        internal string? ResponseRequestId(HttpResponseMessage resp) => UsableRequestId(HeaderValue(resp, "x-fal-request-id"));

        internal static string? HeaderValue(HttpResponseMessage resp, string name)
        {
            if (resp.Headers.TryGetValues(name, out var v)) return v.FirstOrDefault();
            if (resp.Content != null && resp.Content.Headers.TryGetValues(name, out var c)) return c.FirstOrDefault();
            return null;
        }

        private JsonDocument ParseJson(string body, HttpResponseMessage resp, string? requestId)
        {
            try
            {
                var doc = PlainJson.ParseDocument(body);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    doc.Dispose();
                    throw Protocol("The response is JSON but not an object.", resp, body, requestId);
                }
                return doc;
            }
            catch (JsonException ex)
            {
                throw Protocol("The response is not valid JSON: " + ex.Message, resp, body, requestId, ex);
            }
        }

        /// <summary>A queue position as an int; a negative or huge one (which a cast would wrap) is no position.</summary>
        private static int? QueuePosition(long? value) => value.HasValue && value.Value >= 0 && value.Value <= int.MaxValue ? (int)value.Value : (int?)null;

        internal JobStatus ParseStatus(string json, HttpResponseMessage resp, JobRef job)
        {
            using var doc = ParseJson(json, resp, job.RequestId);
            var root = doc.RootElement;
            var status = PlainJson.GetString(root, "status");
            if (string.IsNullOrEmpty(status))
                throw Protocol("The status response carries no status.", resp, json, job.RequestId);
            var s = new JobStatus
            {
                RequestId = UsableRequestId(PlainJson.GetString(root, "request_id")) ?? job.RequestId,
                Endpoint = job.Endpoint.Full,
                Status = status!,
                QueuePosition = QueuePosition(PlainJson.GetInt64(root, "queue_position")),
                StatusUrl = TrustedQueueUrl(PlainJson.GetString(root, "status_url")) ?? job.StatusUrl,
                ResponseUrl = TrustedQueueUrl(PlainJson.GetString(root, "response_url")) ?? job.ResponseUrl,
                CancelUrl = TrustedQueueUrl(PlainJson.GetString(root, "cancel_url")) ?? job.CancelUrl,
                ErrorType = PlainJson.GetString(root, "error_type"),
                RetrievedAt = DateTime.Now,
            };
            // Server text that reaches output and the Verbose stream is scrubbed like error messages.
            if (root.TryGetProperty("error", out var err) && err.ValueKind != JsonValueKind.Null)
                s.Error = Redact(err.ValueKind == JsonValueKind.String ? err.GetString() : err.GetRawText());
            if (root.TryGetProperty("metrics", out var metrics))
                s.InferenceTime = PlainJson.GetDouble(metrics, "inference_time");
            if (root.TryGetProperty("logs", out var logs) && logs.ValueKind == JsonValueKind.Array)
            {
                var list = new List<LogEntry>();
                foreach (var l in logs.EnumerateArray())
                {
                    if (l.ValueKind != JsonValueKind.Object) continue;
                    var entry = new LogEntry
                    {
                        Message = Redact(PlainJson.GetString(l, "message")),
                        Level = PlainJson.GetString(l, "level"),
                        Source = PlainJson.GetString(l, "source"),
                    };
                    if (DateTimeOffset.TryParse(PlainJson.GetString(l, "timestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var ts))
                        entry.Timestamp = ts.LocalDateTime;
                    list.Add(entry);
                }
                s.Logs = list.ToArray();
            }
            return s;
        }

        // Server text is redacted like error bodies: a hostile proxy could echo the key back.
        private FalApiException Protocol(string message, HttpResponseMessage? resp, string? body, string? requestId, Exception? inner = null) =>
            new FalApiException(FalErrorKind.Protocol, Options.Credentials?.Redact(message) ?? message, inner)
            {
                StatusCode = resp?.StatusCode,
                RequestId = requestId ?? (resp == null ? null : ResponseRequestId(resp)),
                ResponseBody = body == null ? null : Options.Credentials?.Redact(Truncate(body, 4096)) ?? Truncate(body, 4096),
            };

        /// <summary>Turns a non-success response into an exception carrying both fal error formats.</summary>
        internal FalApiException BuildError(HttpResponseMessage resp, string body, string? requestId)
        {
            var code = (int)resp.StatusCode;
            var rid = ResponseRequestId(resp) ?? requestId;
            string? detail = null;
            string? errorType = HeaderValue(resp, "x-fal-error-type");
            var validation = new List<FalValidationError>();
            try
            {
                using var doc = PlainJson.ParseDocument(body);
                var root = doc.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    errorType = PlainJson.GetString(root, "error_type") ?? errorType;
                    if (root.TryGetProperty("detail", out var d))
                    {
                        if (d.ValueKind == JsonValueKind.String) detail = d.GetString();
                        else if (d.ValueKind == JsonValueKind.Array)
                        {
                            foreach (var item in d.EnumerateArray())
                            {
                                if (item.ValueKind != JsonValueKind.Object) continue;
                                var ve = new FalValidationError
                                {
                                    Message = Redact(PlainJson.GetString(item, "msg")),
                                    Type = Redact(PlainJson.GetString(item, "type")),
                                    Url = PlainJson.GetString(item, "url"),
                                };
                                if (item.TryGetProperty("loc", out var loc) && loc.ValueKind == JsonValueKind.Array)
                                    ve.Location = loc.EnumerateArray().Select(x => Redact(x.ValueKind == JsonValueKind.String ? x.GetString() : x.GetRawText())).ToArray();
                                if (item.TryGetProperty("ctx", out var ctx) && ctx.ValueKind == JsonValueKind.Object)
                                    ve.Context = PlainJson.ToPlain(ctx) as IDictionary<string, object?>;
                                validation.Add(ve);
                            }
                        }
                    }
                    detail ??= PlainJson.GetString(root, "message") ?? PlainJson.GetString(root, "error");
                }
            }
            catch (JsonException) { }

            var timeoutType = HeaderValue(resp, "x-fal-request-timeout-type");
            FalErrorKind kind;
            if (code == 422 || (validation.Count > 0 && code >= 400 && code < 500)) kind = FalErrorKind.Validation;
            else if (code == 401) kind = FalErrorKind.Unauthorized;
            else if (code == 403) kind = FalErrorKind.Forbidden;
            else if (code == 404) kind = FalErrorKind.NotFound;
            else if (code == 429) kind = FalErrorKind.RateLimited;
            else if (code == 504 && string.Equals(timeoutType, "user", StringComparison.OrdinalIgnoreCase)) kind = FalErrorKind.StartTimeout;
            else if (code == 499 || string.Equals(errorType, "client_cancelled", StringComparison.Ordinal)) kind = FalErrorKind.JobCancelled;
            else if (code >= 500) kind = FalErrorKind.Server;
            else if (code >= 300 && code < 400) kind = FalErrorKind.Protocol;
            else kind = FalErrorKind.BadRequest;

            var what = validation.Count > 0
                ? string.Join("; ", validation.Select(v => v.ToString()))
                : detail ?? (body.Length == 0 ? resp.ReasonPhrase : Truncate(body, 300));
            var lead = kind switch
            {
                FalErrorKind.Validation => "fal rejected the input",
                FalErrorKind.Unauthorized => "fal did not accept the API key",
                FalErrorKind.Forbidden => "fal refused access",
                FalErrorKind.NotFound => "fal did not find it",
                FalErrorKind.RateLimited => "fal is rate limiting requests",
                FalErrorKind.StartTimeout => "the request did not start before its start timeout",
                FalErrorKind.JobCancelled => "the request was cancelled",
                FalErrorKind.Protocol => "fal answered with an unexpected redirect",
                _ => "fal answered with an error",
            };
            var message = $"{lead} (HTTP {code}{(errorType != null ? ", " + errorType : string.Empty)}){(rid != null ? " for request " + rid : string.Empty)}: {what}";
            bool? retryable = null;
            var rh = HeaderValue(resp, "x-fal-retryable");
            if (rh != null) retryable = string.Equals(rh, "true", StringComparison.OrdinalIgnoreCase);
            var ex = new FalApiException(kind, Options.Credentials?.Redact(message) ?? message)
            {
                StatusCode = resp.StatusCode,
                RequestId = rid,
                // The parts of the body kept apart are scrubbed like the message (a hostile proxy may echo the key).
                ErrorType = errorType == null ? null : Redact(errorType),
                Detail = detail == null ? null : Redact(detail),
                ValidationErrors = validation,
                ResponseBody = Options.Credentials?.Redact(Truncate(body, 16 * 1024)) ?? Truncate(body, 16 * 1024),
                TimeoutType = timeoutType,
                Retryable = retryable,
            };
            return ex;
        }

        private string Redact(string? text) => Options.Credentials?.Redact(text) ?? text ?? string.Empty;

        internal static string Truncate(string s, int max) => s.Length <= max ? s : s.Substring(0, max) + "…";
    }
}
