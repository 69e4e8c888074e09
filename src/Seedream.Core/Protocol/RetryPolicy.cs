using System;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace Seedream.Protocol
{
    /// <summary>The kinds of call the client makes; each has its own retry rule.</summary>
    public enum FalOperation
    {
        Submit,
        Status,
        StatusStream,
        Result,
        Cancel,
        Run,
        StorageInitiate,
        StorageUpload,
        StorageComplete,
        Download,
        /// <summary>
        /// The result of a request whose status said COMPLETED without an error: its answer must be
        /// 200, so a 500 can only be the infrastructure's (a failed request's result replays its own
        /// error, 500 included, which is why <see cref="Result"/> does not retry 500).
        /// </summary>
        CompletedResult,
    }

    /// <summary>
    /// When to retry and how long to wait. Two small pure functions so they can be tested alone.
    ///
    /// Policy: 429, 502, 503 and 504 are retried (500 too for status reads), as are transport
    /// failures, with exponential backoff (base × 2^attempt, capped, ±25 % jitter) or the server's
    /// Retry-After when it sends one. A 504 carrying <c>X-Fal-Request-Timeout-Type: user</c> is the
    /// caller's own start timeout and is never retried. Calls that create billable work (submit and
    /// the synchronous run) are retried only when the failure proves nothing was created: the
    /// connection was refused or never made, or the server answered 429 or 503 (rejected before
    /// processing). A reset, a timeout after sending, or a 502/504 could hide a created job, so
    /// those are reported instead of risking a second, billed request. A 500 is retried where the
    /// call is idempotent and its answer is not a replay of a job's own failure: status reads,
    /// cancels, upload initiation and upload PUTs (the same bytes to the same signed URL).
    /// </summary>
    public static class RetryPolicy
    {
        [ThreadStatic] private static Random? _random;

        private static bool CreatesWork(FalOperation op) => op == FalOperation.Submit || op == FalOperation.Run;

        /// <summary>Should an HTTP response with this status be retried?</summary>
        public static bool ShouldRetry(FalOperation op, int statusCode, string? timeoutType)
        {
            if (statusCode == 504 && string.Equals(timeoutType, "user", StringComparison.OrdinalIgnoreCase)) return false;
            if (CreatesWork(op)) return statusCode == 429 || statusCode == 503;
            switch (statusCode)
            {
                case 429:
                case 502:
                case 503:
                case 504:
                    return true;
                case 500:
                    return op == FalOperation.Status || op == FalOperation.StatusStream || op == FalOperation.Cancel
                        || op == FalOperation.StorageInitiate || op == FalOperation.StorageUpload || op == FalOperation.CompletedResult;
                case 408:
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>
        /// Should a 2xx answer whose body is not JSON (garbled, cut by a proxy) be retried? Yes for
        /// calls that create nothing; the status stream handles its own events.
        /// </summary>
        public static bool ShouldRetryGarbledAnswer(FalOperation op) => !CreatesWork(op) && op != FalOperation.StatusStream;

        /// <summary>Should a transport failure (no usable response) be retried?</summary>
        /// <param name="op">The kind of call.</param>
        /// <param name="beforeSend">True when the failure proves the request never reached the server.</param>
        public static bool ShouldRetry(FalOperation op, bool beforeSend) => !CreatesWork(op) || beforeSend;

        /// <summary>True when an exception shows the request was never delivered (refused, unresolved host).</summary>
        public static bool IsBeforeSend(Exception ex)
        {
            for (var e = ex; e != null; e = e.InnerException)
            {
                if (e is SocketException se)
                {
                    switch (se.SocketErrorCode)
                    {
                        case SocketError.ConnectionRefused:
                        case SocketError.HostNotFound:
                        case SocketError.HostUnreachable:
                        case SocketError.NetworkUnreachable:
                        case SocketError.TryAgain:
                        case SocketError.NoData:
                            return true;
                    }
                }
                if (e is WebException we && (we.Status == WebExceptionStatus.ConnectFailure || we.Status == WebExceptionStatus.NameResolutionFailure))
                    return true;
            }
            return false;
        }

        /// <summary>The delay before retry number <paramref name="attempt"/> (0 = first retry).</summary>
        public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, TimeSpan? retryAfter)
        {
            if (retryAfter.HasValue && retryAfter.Value >= TimeSpan.Zero)
                return retryAfter.Value > maxDelay ? maxDelay : retryAfter.Value;
            var exp = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
            var capped = Math.Min(exp, maxDelay.TotalMilliseconds);
            var rnd = _random ??= new Random(Guid.NewGuid().GetHashCode());
            var jitter = capped * 0.25 * (rnd.NextDouble() * 2 - 1);
            return TimeSpan.FromMilliseconds(Math.Max(0, capped + jitter));
        }

        /// <summary>Reads Retry-After as seconds or an HTTP date; null when absent or unusable.</summary>
        public static TimeSpan? ParseRetryAfter(HttpResponseMessage response, DateTimeOffset now)
        {
            var ra = response.Headers.RetryAfter;
            if (ra == null) return null;
            if (ra.Delta.HasValue) return ra.Delta.Value;
            if (ra.Date.HasValue)
            {
                var d = ra.Date.Value - now;
                return d < TimeSpan.Zero ? TimeSpan.Zero : d;
            }
            return null;
        }
    }
}
