using System.Net.Http.Headers;

namespace Seedream.Protocol
{
    /// <summary>
    /// An answer's status line and headers, detached from the connection: what the pure parsers
    /// (<see cref="FalErrors"/>, <see cref="FalAnswers"/>) read, so tests can build one without a server.
    /// </summary>
    internal sealed class ResponseHead
    {
        private readonly Dictionary<string, string> _headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        public ResponseHead(int statusCode, string? reasonPhrase = null, params (string Name, string Value)[] headers)
        {
            StatusCode = statusCode;
            ReasonPhrase = reasonPhrase;
            foreach (var (name, value) in headers) Add(name, value);
        }

        public int StatusCode { get; }
        public string? ReasonPhrase { get; }

        /// <summary>The first value of a header, from the response or its content; null when absent.</summary>
        public string? Header(string name) => _headers.TryGetValue(name, out var v) ? v : null;

        /// <summary>Retry-After as seconds or an HTTP date; null when absent or unusable.</summary>
        public TimeSpan? RetryAfter(DateTimeOffset now) =>
            RetryConditionHeaderValue.TryParse(Header("Retry-After"), out var ra) ? RetryPolicy.ParseRetryAfter(ra, now) : null;

        public static ResponseHead From(HttpResponseMessage resp)
        {
            var head = new ResponseHead((int)resp.StatusCode, resp.ReasonPhrase);
            // Response headers first: they win over content headers of the same name.
            foreach (var h in resp.Headers) head.Add(h.Key, h.Value.FirstOrDefault());
            if (resp.Content != null)
                foreach (var h in resp.Content.Headers) head.Add(h.Key, h.Value.FirstOrDefault());
            return head;
        }

        private void Add(string name, string? value)
        {
            if (value != null && !_headers.ContainsKey(name)) _headers[name] = value;
        }
    }
}
