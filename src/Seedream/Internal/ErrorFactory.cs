using SeedreamException = Seedream.Commands.SeedreamException;

namespace Seedream.Commands.Internal
{
    /// <summary>Turns Core's problems and exceptions into ErrorRecords of the catalog's kinds (<see cref="Errors"/>).</summary>
    internal static class ErrorFactory
    {
        public static ErrorRecord FromProblem(EditProblem p, object? target) =>
            Errors.ForCode(p.Code).Record(new ArgumentException(p.Message), target);

        /// <summary>Maps a client failure to an ErrorRecord; the server's body goes into ErrorDetails.</summary>
        public static ErrorRecord FromException(Exception ex, object? target)
        {
            switch (ex)
            {
                case FalApiException api:
                {
                    var kind = api.Kind switch
                    {
                        FalErrorKind.Validation => Errors.InputRejected,
                        FalErrorKind.Unauthorized => Errors.Unauthorized,
                        FalErrorKind.Forbidden => Errors.Forbidden,
                        FalErrorKind.NotFound => Errors.NotFound,
                        FalErrorKind.RateLimited => Errors.RateLimited,
                        FalErrorKind.StartTimeout => Errors.StartTimeout,
                        FalErrorKind.Server => Errors.ServerError,
                        FalErrorKind.BadRequest => Errors.BadRequest,
                        FalErrorKind.JobFailed => Errors.JobFailed,
                        FalErrorKind.JobCancelled => Errors.JobCancelled,
                        FalErrorKind.Connection => Errors.ConnectionFailed,
                        _ => Errors.ProtocolError,
                    };
                    // The request id, when known, is the most useful target: it finds the job again.
                    var record = kind.Record(api, (object?)api.RequestId ?? target);
                    if (!string.IsNullOrEmpty(api.ResponseBody))
                        record.ErrorDetails = new ErrorDetails(api.Message + Environment.NewLine + "Server response: " + api.ResponseBody);
                    if (api.Kind == FalErrorKind.Unauthorized)
                        (record.ErrorDetails ??= new ErrorDetails(api.Message)).RecommendedAction = "Check the key: Connect-Seedream -ApiKey, or the FAL_KEY environment variable.";
                    return record;
                }
                case JobNotCompletedException notDone:
                    return Errors.JobNotCompleted.Record(notDone, target ?? notDone.RequestId);
                case FalWaitTimeoutException timeout:
                {
                    var record = Errors.WaitTimeout.Record(timeout, timeout.RequestId);
                    record.ErrorDetails = new ErrorDetails(timeout.Message)
                    {
                        RecommendedAction = "Give the wait a larger -TimeoutSec; Wait-SeedreamJob -NoCancel leaves a job running on fal when its wait times out, for Receive-SeedreamJob -Wait later.",
                    };
                    return record;
                }
                case InsecureEndpointException insecure:
                    return Errors.InsecureProxyUrl.Record(insecure, target);
                case FalStreamException stream:
                    return Errors.ProtocolError.Record(stream, target);
                case ArgumentException arg:
                    return Errors.InvalidArgument.Record(arg, target);
                default:
                    return Errors.UnexpectedError.Record(ex, target);
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
