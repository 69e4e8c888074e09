using System.Net;

namespace Seedream.Protocol
{
    /// <summary>What kind of failure an exception reports; the module maps it to ErrorIds and categories.</summary>
    public enum FalErrorKind
    {
        /// <summary>422 with a detail list: the input was rejected.</summary>
        Validation,
        Unauthorized,
        Forbidden,
        NotFound,
        RateLimited,
        /// <summary>504 with X-Fal-Request-Timeout-Type: user: the start timeout expired.</summary>
        StartTimeout,
        /// <summary>Other 5xx infrastructure errors.</summary>
        Server,
        /// <summary>Other 4xx.</summary>
        BadRequest,
        /// <summary>The request completed but carries an error.</summary>
        JobFailed,
        /// <summary>The request was cancelled.</summary>
        JobCancelled,
        /// <summary>No response could be had (connection refused, reset, timeout of an attempt).</summary>
        Connection,
        /// <summary>The response could not be understood (bad JSON, missing fields, too large).</summary>
        Protocol,
    }

    /// <summary>A single entry of a 422 <c>detail</c> list.</summary>
    public sealed class FalValidationError
    {
        public string[] Location { get; set; } = Array.Empty<string>();
        public string Message { get; set; } = string.Empty;
        public string Type { get; set; } = string.Empty;
        public string? Url { get; set; }
        /// <summary>The <c>ctx</c> object as plain values.</summary>
        public IDictionary<string, object?>? Context { get; set; }

        /// <summary>The location without the leading "body", e.g. <c>image_urls.0</c>.</summary>
        public string Field => string.Join(".", Location.SkipWhile(l => l == "body"));

        public override string ToString() => Field.Length == 0 ? $"{Message} ({Type})" : $"{Field}: {Message} ({Type})";
    }

    /// <summary>
    /// A failure reported by fal or on the way to it. Carries the request id whenever it is known,
    /// and the server's body for ErrorDetails. Its message never contains the API key.
    /// </summary>
    public class FalApiException : Exception
    {
        public FalApiException(FalErrorKind kind, string message, Exception? inner = null) : base(message, inner)
        {
            Kind = kind;
        }

        public FalErrorKind Kind { get; }
        public HttpStatusCode? StatusCode { get; set; }
        public string? RequestId { get; set; }
        /// <summary>fal's error_type (body field or X-Fal-Error-Type header).</summary>
        public string? ErrorType { get; set; }
        /// <summary>The human-readable detail, when the body had a string detail.</summary>
        public string? Detail { get; set; }
        public IReadOnlyList<FalValidationError> ValidationErrors { get; set; } = Array.Empty<FalValidationError>();
        /// <summary>The response body as text (bounded), for ErrorDetails.</summary>
        public string? ResponseBody { get; set; }
        /// <summary>X-Fal-Request-Timeout-Type, e.g. "user".</summary>
        public string? TimeoutType { get; set; }
        /// <summary>X-Fal-Retryable, when sent.</summary>
        public bool? Retryable { get; set; }
        /// <summary>How many attempts were made before giving up.</summary>
        public int Attempts { get; set; } = 1;
        /// <summary>Retry-After the server sent, if any.</summary>
        public TimeSpan? RetryAfter { get; set; }
    }

    /// <summary>Thrown when a wait exceeds the caller's timeout (the remote job was asked to cancel).</summary>
    public sealed class FalWaitTimeoutException : TimeoutException
    {
        public FalWaitTimeoutException(string requestId, TimeSpan timeout)
            : base($"Request {requestId} did not complete within {timeout.TotalSeconds:0.###} s.")
        {
            RequestId = requestId;
            Timeout = timeout;
        }

        public FalWaitTimeoutException(string requestId, TimeSpan timeout, string message) : base(message)
        {
            RequestId = requestId;
            Timeout = timeout;
        }

        public string RequestId { get; }
        public TimeSpan Timeout { get; }
    }
}
