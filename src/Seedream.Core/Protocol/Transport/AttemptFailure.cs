namespace Seedream.Protocol.Transport
{
    /// <summary>
    /// An attempt that produced no value, classified by <see cref="RetryPolicy"/>: the error, whether
    /// to try again (and when), and what is known about whether it left work behind on fal's side.
    /// Built by pure functions, so each classification can be tested without a server.
    /// </summary>
    internal sealed class AttemptFailure
    {
        private AttemptFailure(FalApiException error, bool retry)
        {
            Error = error;
            Retry = retry;
        }

        public FalApiException Error { get; }
        public bool Retry { get; }
        public TimeSpan? RetryAfter { get; private set; }
        /// <summary>The status of the answer, when there was one.</summary>
        public int? StatusCode { get; private set; }
        public ErrorOrigin Origin { get; private set; }
        /// <summary>The failure proves the request never left (refused, unresolved).</summary>
        public bool BeforeSend { get; private set; }
        /// <summary>A submit fal's own server failed after it queued the job: follow the job it names.</summary>
        public bool AdoptsJob { get; private set; }

        /// <summary>No answer: the connection failed, broke, or the attempt's deadline passed first.</summary>
        public static AttemptFailure NoAnswer(FalOperation op, string message, Exception? inner, string? requestId, bool beforeSend) =>
            new AttemptFailure(new FalApiException(FalErrorKind.Connection, message, inner) { RequestId = requestId }, RetryPolicy.ShouldRetry(op, beforeSend)) { BeforeSend = beforeSend };

        /// <summary>An accepted answer whose body broke off or took too long.</summary>
        public static AttemptFailure BrokenAnswer(FalOperation op, int statusCode, string message, Exception? inner, string? requestId) =>
            new AttemptFailure(new FalApiException(FalErrorKind.Connection, message, inner) { RequestId = requestId }, RetryPolicy.ShouldRetry(op, beforeSend: false)) { StatusCode = statusCode };

        /// <summary>An accepted answer that is not JSON, to a call that creates nothing: as passing as a broken one.</summary>
        public static AttemptFailure GarbledAnswer(int statusCode, FalApiException error) =>
            new AttemptFailure(error, retry: true) { StatusCode = statusCode };

        /// <summary>An error answer (a status the call does not accept).</summary>
        public static AttemptFailure FromAnswer(FalOperation op, ResponseHead head, string body, string? requestId, ServerText text, DateTimeOffset now)
        {
            var code = head.StatusCode;
            var error = FalErrors.FromAnswer(head, body, requestId, text);
            var origin = RetryPolicy.Origin(code, head.Header("x-fal-request-id") != null, body);
            error.RetryAfter = head.RetryAfter(now);
            return new AttemptFailure(error, RetryPolicy.ShouldRetry(op, code, error.TimeoutType, origin))
            {
                RetryAfter = error.RetryAfter,
                StatusCode = code,
                Origin = origin,
                AdoptsJob = error.RequestId != null && RetryPolicy.AdoptsJob(op, code, error.TimeoutType, origin),
            };
        }

        /// <summary>
        /// The exception to throw once no retry follows: where the failure may hide work created
        /// on fal (and so was not retried), its message says so.
        /// </summary>
        public FalApiException Final(FalOperation op)
        {
            var ambiguous = Error.Kind == FalErrorKind.Server || Error.Kind == FalErrorKind.Connection || Error.Kind == FalErrorKind.Protocol;
            return ambiguous && RetryPolicy.MayHaveCreatedWork(op, StatusCode, Origin, BeforeSend) ? FalErrors.WithWorkNote(Error, op) : Error;
        }
    }
}
