namespace Seedream.Protocol.Transport
{
    /// <summary>Turns a failed call into a value after all (see <see cref="RetryPolicy.AdoptsJob"/>).</summary>
    internal delegate bool Adopter<T>(FalApiException failure, out T value);

    /// <summary>
    /// One logical call to fal or storage, as every stage sees it: what kind of call (the retry
    /// rule), how to build a fresh request per attempt, which status codes are answers rather
    /// than errors, the request it is about, and how its body moves.
    /// </summary>
    internal class FalCall
    {
        public FalCall(FalOperation operation, Func<HttpRequestMessage> request)
        {
            Operation = operation;
            Request = request;
        }

        public FalOperation Operation { get; }

        /// <summary>Builds the request; called once per attempt, since a sent request cannot be sent again.</summary>
        public Func<HttpRequestMessage> Request { get; }

        /// <summary>The status codes read as answers; any other is an error. Default: 2xx.</summary>
        public Func<int, bool> Accepts { get; set; } = code => code >= 200 && code < 300;

        /// <summary>The request the call is about, named in its errors when the server does not say.</summary>
        public string? RequestId { get; set; }

        /// <summary>A long-lived stream (the status stream): the attempt deadline covers only its headers.</summary>
        public bool Streaming { get; set; }

        /// <summary>
        /// A file transfer (upload or download): its deadline starts over whenever bytes move, so
        /// it is bounded by inactivity, not by its total duration.
        /// </summary>
        public bool Transfer { get; set; }
    }

    /// <summary>A call and what to make of an accepted answer.</summary>
    internal sealed class FalCall<T> : FalCall
    {
        public FalCall(FalOperation operation, Func<HttpRequestMessage> request, Func<HttpResponseMessage, CancellationToken, Task<T>> read)
            : base(operation, request)
        {
            Read = read;
        }

        /// <summary>Reads an accepted answer within the attempt (its token carries the deadline).</summary>
        public Func<HttpResponseMessage, CancellationToken, Task<T>> Read { get; }

        /// <summary>For a submit: follows the job a server error names instead of failing.</summary>
        public Adopter<T>? Adopt { get; set; }
    }
}
