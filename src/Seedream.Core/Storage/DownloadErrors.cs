namespace Seedream.Storage
{
    /// <summary>Why a download was refused.</summary>
    public enum DownloadFailure
    {
        /// <summary>More bytes than the caller allows.</summary>
        TooLarge,
        /// <summary>The length differs from the size the result promised.</summary>
        SizeMismatch,
        /// <summary>A redirect without a usable target, or too many of them.</summary>
        BadRedirect,
    }

    /// <summary>A download the client refused to keep; nothing useful was written.</summary>
    public sealed class FalDownloadException : FalApiException
    {
        public FalDownloadException(DownloadFailure reason, string message) : base(FalErrorKind.Protocol, message)
        {
            Reason = reason;
        }

        public DownloadFailure Reason { get; }
    }

    /// <summary>
    /// The body stopped before its declared end (connection closed or reset). An IOException on
    /// purpose: the transport retries it like any other broken response.
    /// </summary>
    public sealed class DownloadInterruptedException : IOException
    {
        public DownloadInterruptedException(string message, Exception? inner = null) : base(message, inner) { }
    }
}
