using System.Net;
using System.Net.Http.Headers;
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

    /// <summary>Who produced an error answer, as far as its headers and body tell.</summary>
    public enum ErrorOrigin
    {
        /// <summary>Neither of the two below: the request may or may not have reached fal.</summary>
        Unknown,
        /// <summary>
        /// The ingress proxy in front of fal (a 502/503/504 without <c>x-fal-request-id</c> whose body
        /// is the proxy's page): the request never reached the queue, so nothing was created.
        /// </summary>
        Ingress,
        /// <summary>fal's own servers: the answer carries <c>x-fal-request-id</c>, naming the request that arrived.</summary>
        Fal,
    }

    /// <summary>
    /// When to retry and how long to wait. Small pure functions so they can be tested alone.
    ///
    /// Policy: 429, 502, 503 and 504 are retried (500 too for status reads), as are transport
    /// failures, with exponential backoff (base × 2^attempt, capped, ±25 % jitter) or the server's
    /// Retry-After when it sends one. A 504 carrying <c>X-Fal-Request-Timeout-Type: user</c> is the
    /// caller's own start timeout and is never retried. An ingress error (see
    /// <see cref="ErrorOrigin.Ingress"/>) is retried by every call, since the request never reached
    /// fal. Calls that create billable work (submit and the synchronous run) are otherwise retried
    /// only when the failure proves nothing was created: the connection was refused or never made,
    /// or the server answered 429, or 503 without naming a request (rejected before processing). A
    /// 5xx that names a request at submit is not an error at all: the job exists and is followed
    /// by its id (<see cref="AdoptsJob"/>). A reset or timeout after sending, or a 500/502/504 from
    /// nobody in particular, could hide a created job, so those are reported instead of risking a
    /// second, billed request. A 500 is retried where the call is idempotent and its answer is not
    /// a replay of a job's own failure: status reads, cancels, upload initiation and upload PUTs.
    /// </summary>
    public static class RetryPolicy
    {
        [ThreadStatic] private static Random? _random;

        private static bool CreatesWork(FalOperation op) => op == FalOperation.Submit || op == FalOperation.Run;

        /// <summary>Should an HTTP response with this status be retried? (Its origin unknown.)</summary>
        public static bool ShouldRetry(FalOperation op, int statusCode, string? timeoutType) =>
            ShouldRetry(op, statusCode, timeoutType, ErrorOrigin.Unknown);

        /// <summary>Should an HTTP response with this status, from this origin, be retried?</summary>
        public static bool ShouldRetry(FalOperation op, int statusCode, string? timeoutType, ErrorOrigin origin)
        {
            if (IsUserTimeout(statusCode, timeoutType)) return false;
            // The proxy answered for fal: the request never arrived, so sending it again is safe for any call.
            if (origin == ErrorOrigin.Ingress) return true;
            if (CreatesWork(op)) return statusCode == 429 || (statusCode == 503 && origin != ErrorOrigin.Fal);
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
        /// Tells where an error answer came from: fal's servers stamp <c>x-fal-request-id</c> on what they
        /// send; the ingress proxy's own 502/503/504 page has no such header and names itself (fal's
        /// Python client looks for "nginx" in the body, and so does this).
        /// </summary>
        public static ErrorOrigin Origin(int statusCode, bool hasRequestId, string? body)
        {
            if (hasRequestId) return ErrorOrigin.Fal;
            if ((statusCode == 502 || statusCode == 503 || statusCode == 504) && body != null
                && body.IndexOf("nginx", StringComparison.OrdinalIgnoreCase) >= 0)
                return ErrorOrigin.Ingress;
            return ErrorOrigin.Unknown;
        }

        /// <summary>
        /// Should a failed submit be taken as a success? When fal's own server answers a 5xx and names
        /// the request, the request reached the queue: the job exists and is followed by its id,
        /// rather than reported (lost, though paid for) or sent again (paid twice). Not for the
        /// caller's own start timeout, which is a final answer about that job.
        /// </summary>
        public static bool AdoptsJob(FalOperation op, int statusCode, string? timeoutType, ErrorOrigin origin) =>
            op == FalOperation.Submit && origin == ErrorOrigin.Fal && statusCode >= 500 && statusCode <= 599 && !IsUserTimeout(statusCode, timeoutType);

        /// <summary>
        /// Can a final failure of this call have left work behind on fal's side? Only submit and run
        /// create work; a refused connection, a rejection (429, 503 without a request id, 4xx) or an
        /// ingress error prove that nothing arrived.
        /// </summary>
        public static bool MayHaveCreatedWork(FalOperation op, int? statusCode, ErrorOrigin origin, bool beforeSend)
        {
            if (!CreatesWork(op) || beforeSend || origin == ErrorOrigin.Ingress) return false;
            if (statusCode == null) return true; // the connection broke or timed out after sending
            if (statusCode >= 200 && statusCode < 300) return true; // accepted, then the answer broke
            return statusCode >= 500 && !(statusCode == 503 && origin != ErrorOrigin.Fal);
        }

        private static bool IsUserTimeout(int statusCode, string? timeoutType) =>
            statusCode == 504 && string.Equals(timeoutType, "user", StringComparison.OrdinalIgnoreCase);

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
        public static TimeSpan? ParseRetryAfter(HttpResponseMessage response, DateTimeOffset now) => ParseRetryAfter(response.Headers.RetryAfter, now);

        /// <summary>Reads a parsed Retry-After; null when absent or unusable.</summary>
        public static TimeSpan? ParseRetryAfter(RetryConditionHeaderValue? ra, DateTimeOffset now)
        {
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
