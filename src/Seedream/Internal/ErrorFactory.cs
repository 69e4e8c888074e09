using System;
using System.Management.Automation;
using Seedream.Protocol;
using Seedream.Workflow;
using SeedreamException = Seedream.Commands.SeedreamException;

namespace Seedream.Commands.Internal
{
    /// <summary>Builds ErrorRecords with stable ErrorIds and categories (documented in the README).</summary>
    internal static class ErrorFactory
    {
        public static ErrorRecord Create(string errorId, ErrorCategory category, string message, object? target, Exception? inner = null)
        {
            var ex = inner as Exception != null && inner.Message == message ? inner : new SeedreamException(message, inner);
            return new ErrorRecord(ex, errorId, category, target);
        }

        public static ErrorRecord FromProblem(EditProblem p, object? target) =>
            new ErrorRecord(new ArgumentException(p.Message), "Seedream" + p.Code, ErrorCategory.InvalidArgument, target);

        /// <summary>Maps a client failure to an ErrorRecord; the server's body goes into ErrorDetails.</summary>
        public static ErrorRecord FromException(Exception ex, object? target)
        {
            switch (ex)
            {
                case FalApiException api:
                {
                    var (id, category) = api.Kind switch
                    {
                        FalErrorKind.Validation => ("SeedreamInputRejected", ErrorCategory.InvalidArgument),
                        FalErrorKind.Unauthorized => ("SeedreamUnauthorized", ErrorCategory.AuthenticationError),
                        FalErrorKind.Forbidden => ("SeedreamForbidden", ErrorCategory.PermissionDenied),
                        FalErrorKind.NotFound => ("SeedreamNotFound", ErrorCategory.ObjectNotFound),
                        FalErrorKind.RateLimited => ("SeedreamRateLimited", ErrorCategory.LimitsExceeded),
                        FalErrorKind.StartTimeout => ("SeedreamStartTimeout", ErrorCategory.OperationTimeout),
                        FalErrorKind.Server => ("SeedreamServerError", ErrorCategory.ResourceUnavailable),
                        FalErrorKind.BadRequest => ("SeedreamBadRequest", ErrorCategory.InvalidOperation),
                        FalErrorKind.JobFailed => ("SeedreamJobFailed", ErrorCategory.InvalidResult),
                        FalErrorKind.JobCancelled => ("SeedreamJobCancelled", ErrorCategory.OperationStopped),
                        FalErrorKind.Connection => ("SeedreamConnectionFailed", ErrorCategory.ConnectionError),
                        _ => ("SeedreamProtocolError", ErrorCategory.ProtocolError),
                    };
                    // The request id, when known, is the most useful target: it finds the job again.
                    var record = new ErrorRecord(api, id, category, (object?)api.RequestId ?? target);
                    if (!string.IsNullOrEmpty(api.ResponseBody))
                        record.ErrorDetails = new ErrorDetails(api.Message + Environment.NewLine + "Server response: " + api.ResponseBody);
                    if (api.Kind == FalErrorKind.Unauthorized)
                        (record.ErrorDetails ??= new ErrorDetails(api.Message)).RecommendedAction = "Check the key: Connect-Seedream -ApiKey, or the FAL_KEY environment variable.";
                    return record;
                }
                case JobNotCompletedException notDone:
                    return new ErrorRecord(notDone, "SeedreamJobNotCompleted", ErrorCategory.ResourceUnavailable, target ?? notDone.RequestId);
                case FalWaitTimeoutException timeout:
                    return new ErrorRecord(timeout, "SeedreamWaitTimeout", ErrorCategory.OperationTimeout, timeout.RequestId);
                case InsecureEndpointException insecure:
                    return new ErrorRecord(insecure, "SeedreamInsecureProxyUrl", ErrorCategory.SecurityError, target);
                case FalStreamException stream:
                    return new ErrorRecord(stream, "SeedreamProtocolError", ErrorCategory.ProtocolError, target);
                case ArgumentException arg:
                    return new ErrorRecord(arg, "SeedreamInvalidArgument", ErrorCategory.InvalidArgument, target);
                default:
                    return new ErrorRecord(ex, "SeedreamUnexpectedError", ErrorCategory.NotSpecified, target);
            }
        }
    }
}

namespace Seedream.Commands
{
    /// <summary>The module's own exception type, so callers can catch [Seedream.Commands.SeedreamException].</summary>
    public sealed class SeedreamException : Exception
    {
        public SeedreamException(string message, Exception? inner = null) : base(message, inner) { }
    }
}
