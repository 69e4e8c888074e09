using System.Net;

namespace Seedream.Protocol
{
    /// <summary>
    /// Builds the exceptions the client throws, as pure functions of an answer's status, headers
    /// and body. Every piece of server text in them is scrubbed of the key.
    /// </summary>
    internal static class FalErrors
    {
        /// <summary>Turns a non-success answer into an exception carrying both fal error formats.</summary>
        public static FalApiException FromAnswer(ResponseHead head, string body, string? requestId, ServerText text)
        {
            var code = head.StatusCode;
            var rid = text.UsableRequestId(head.Header("x-fal-request-id")) ?? requestId;
            string? detail = null;
            var errorType = head.Header("x-fal-error-type");
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
                        else if (d.ValueKind == JsonValueKind.Array) validation.AddRange(ValidationErrors(d, text));
                    }
                    detail ??= PlainJson.GetString(root, "message") ?? PlainJson.GetString(root, "error");
                }
            }
            catch (JsonException) { }

            var timeoutType = head.Header("x-fal-request-timeout-type");
            var kind = Kind(code, validation.Count > 0, errorType, timeoutType);
            var what = validation.Count > 0
                ? string.Join("; ", validation.Select(v => v.ToString()))
                : detail ?? (body.Length == 0 ? head.ReasonPhrase : ServerText.Truncate(body, 300));
            // A cancellation needs no HTTP detail (the code and error type stay on the exception).
            var message = kind == FalErrorKind.JobCancelled
                ? (rid != null ? $"Request {rid} was cancelled." : "The request was cancelled.")
                : $"{Lead(kind)} (HTTP {code}{(errorType != null ? ", " + errorType : string.Empty)}){(rid != null ? " for request " + rid : string.Empty)}: {what}";
            var retryable = head.Header("x-fal-retryable");
            return new FalApiException(kind, text.Redact(message))
            {
                StatusCode = (HttpStatusCode)code,
                RequestId = rid,
                // The parts of the body kept apart are scrubbed like the message.
                ErrorType = errorType == null ? null : text.Redact(errorType),
                Detail = detail == null ? null : text.Redact(detail),
                ValidationErrors = validation,
                ResponseBody = text.Redact(ServerText.Truncate(body, 16 * 1024)),
                TimeoutType = timeoutType,
                Retryable = retryable == null ? (bool?)null : string.Equals(retryable, "true", StringComparison.OrdinalIgnoreCase),
            };
        }

        /// <summary>What kind of failure an error answer reports.</summary>
        public static FalErrorKind Kind(int code, bool hasValidationErrors, string? errorType, string? timeoutType)
        {
            if (code == 422 || (hasValidationErrors && code >= 400 && code < 500)) return FalErrorKind.Validation;
            if (code == 401) return FalErrorKind.Unauthorized;
            if (code == 403) return FalErrorKind.Forbidden;
            if (code == 404) return FalErrorKind.NotFound;
            if (code == 429) return FalErrorKind.RateLimited;
            if (code == 504 && string.Equals(timeoutType, "user", StringComparison.OrdinalIgnoreCase)) return FalErrorKind.StartTimeout;
            if (code == 499 || string.Equals(errorType, JobStatus.CancelledErrorType, StringComparison.Ordinal)) return FalErrorKind.JobCancelled;
            if (code >= 500) return FalErrorKind.Server;
            if (code >= 300 && code < 400) return FalErrorKind.Protocol;
            return FalErrorKind.BadRequest;
        }

        private static string Lead(FalErrorKind kind) => kind switch
        {
            FalErrorKind.Validation => "fal rejected the input",
            FalErrorKind.Unauthorized => "fal did not accept the API key",
            FalErrorKind.Forbidden => "fal refused access",
            FalErrorKind.NotFound => "fal did not find it",
            FalErrorKind.RateLimited => "fal is rate limiting requests",
            FalErrorKind.StartTimeout => "The request did not start before its start timeout",
            FalErrorKind.Protocol => "fal answered with an unexpected redirect",
            _ => "fal answered with an error",
        };

        private static IEnumerable<FalValidationError> ValidationErrors(JsonElement detail, ServerText text)
        {
            foreach (var item in detail.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object) continue;
                var ve = new FalValidationError
                {
                    Message = text.Redact(PlainJson.GetString(item, "msg")),
                    Type = text.Redact(PlainJson.GetString(item, "type")),
                    Url = PlainJson.GetString(item, "url"),
                };
                if (item.TryGetProperty("loc", out var loc) && loc.ValueKind == JsonValueKind.Array)
                    ve.Location = loc.EnumerateArray().Select(x => text.Redact(x.ValueKind == JsonValueKind.String ? x.GetString() : x.GetRawText())).ToArray();
                if (item.TryGetProperty("ctx", out var ctx) && ctx.ValueKind == JsonValueKind.Object)
                    ve.Context = PlainJson.ToPlain(ctx) as IDictionary<string, object?>;
                yield return ve;
            }
        }

        /// <summary>An answer that could not be understood (bad JSON, missing fields, too large).</summary>
        public static FalApiException Protocol(string message, ResponseHead? head, string? body, string? requestId, ServerText text, Exception? inner = null) =>
            new FalApiException(FalErrorKind.Protocol, text.Redact(message), inner)
            {
                StatusCode = head == null ? (HttpStatusCode?)null : (HttpStatusCode)head.StatusCode,
                RequestId = requestId ?? (head == null ? null : text.UsableRequestId(head.Header("x-fal-request-id"))),
                ResponseBody = body == null ? null : text.Redact(ServerText.Truncate(body, 4096)),
            };

        /// <summary>
        /// The same failure, its message saying that the work may exist and was not sent again: the
        /// user learns why there is no retry, and where a charge could come from.
        /// </summary>
        public static FalApiException WithWorkNote(FalApiException ex, FalOperation op)
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
    }
}
