using System.Text.RegularExpressions;

namespace Seedream.Protocol
{
    /// <summary>Identifies a queued request: endpoint, id, and the URLs the server returned for it.</summary>
    public sealed class JobRef
    {
        private static readonly Regex ValidId = new Regex(@"^[A-Za-z0-9][A-Za-z0-9_\-]{0,127}$", RegexOptions.CultureInvariant);

        public JobRef(EndpointId endpoint, string requestId, string? statusUrl = null, string? responseUrl = null, string? cancelUrl = null)
        {
            Endpoint = endpoint ?? throw new ArgumentNullException(nameof(endpoint));
            if (!IsValidRequestId(requestId))
                throw new ArgumentException($"'{requestId}' is not a valid request id: fal request ids are UUIDs (letters, digits and dashes).", nameof(requestId));
            RequestId = requestId.Trim();
            StatusUrl = statusUrl;
            ResponseUrl = responseUrl;
            CancelUrl = cancelUrl;
        }

        public EndpointId Endpoint { get; }
        public string RequestId { get; }
        public string? StatusUrl { get; }
        public string? ResponseUrl { get; }
        public string? CancelUrl { get; }

        /// <summary>Request ids go into URL paths, so only safe characters are accepted.</summary>
        public static bool IsValidRequestId(string? id) => id != null && ValidId.IsMatch(id.Trim());

        public static JobRef From(Job job) =>
            new JobRef(EndpointId.Parse(job.Endpoint), job.RequestId, job.StatusUrl, job.ResponseUrl, job.CancelUrl);

        public override string ToString() => RequestId;
    }

    /// <summary>Options of a submit.</summary>
    public sealed class SubmitOptions
    {
        /// <summary>Sent as the <c>fal_webhook</c> query parameter.</summary>
        public string? WebhookUrl { get; set; }
        /// <summary><c>normal</c> or <c>low</c> (x-fal-queue-priority).</summary>
        public string? Priority { get; set; }
        /// <summary>Server-side time-to-start deadline (x-fal-request-timeout).</summary>
        public TimeSpan? StartTimeout { get; set; }
        /// <summary>Extra <c>x-fal-*</c> headers passed through unchanged.</summary>
        public System.Collections.Generic.IDictionary<string, string>? Headers { get; set; }
        /// <summary>
        /// Called (and awaited) as soon as fal has accepted the request and named its id, before a
        /// stop is acted on: a journal records the id here, so a stopped batch can collect the job later.
        /// </summary>
        public Func<Job, System.Threading.Tasks.Task>? Accepted { get; set; }
        /// <summary>Cancel the remote job when the submit is stopped after fal accepted it (default). Off with a journal: the job is kept, and collected by a rerun.</summary>
        public bool CancelRemoteOnAbort { get; set; } = true;
    }

    /// <summary>Options of a wait.</summary>
    public sealed class WaitOptions
    {
        /// <summary>Ask for model logs (logs=1).</summary>
        public bool Logs { get; set; }
        /// <summary>Use the SSE status stream (default); polling is used when it is unavailable.</summary>
        public bool UseStream { get; set; } = true;
        /// <summary>Overall limit; on expiry the remote request is cancelled and a timeout is thrown.</summary>
        public TimeSpan? Timeout { get; set; }
        /// <summary>Cancel the remote request when the wait is aborted or times out (default).</summary>
        public bool CancelRemoteOnAbort { get; set; } = true;
        /// <summary>First polling interval; it grows to <see cref="MaxPollInterval"/> while nothing changes.</summary>
        public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(100);
        public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(1);
        /// <summary>Called (on a worker thread) for every status reading.</summary>
        public Action<JobStatus>? OnUpdate { get; set; }
    }

    /// <summary>A raw successful response of a result or sync run call.</summary>
    public sealed class FalResult(string json, string? requestId, int statusCode)
    {
        public string Json { get; } = json;
        public string? RequestId { get; } = requestId;
        public int StatusCode { get; } = statusCode;
    }
}
