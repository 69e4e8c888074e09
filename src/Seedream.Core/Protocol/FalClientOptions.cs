namespace Seedream.Protocol
{
    /// <summary>Settings of one <see cref="FalClient"/>. Immutable once the client is built.</summary>
    public sealed class FalClientOptions
    {
        public static readonly Uri DefaultQueueUrl = new Uri("https://queue.fal.run/");
        public static readonly Uri DefaultRunUrl = new Uri("https://fal.run/");
        public static readonly Uri DefaultRestUrl = new Uri("https://rest.fal.ai/");

        /// <summary>The API key; required for every API call.</summary>
        public FalCredentials? Credentials { get; set; }

        /// <summary>
        /// A fal server-proxy URL. When set, every API call goes to this URL with the real target in
        /// the <c>x-fal-target-url</c> header (the convention of fal's official proxies), and the key
        /// is sent to the proxy. The local emulator is reached this way.
        /// </summary>
        public Uri? ProxyUrl { get; set; }

        /// <summary>Allows a plain-http proxy on a host other than loopback (the key would travel unencrypted).</summary>
        public bool AllowInsecureHttp { get; set; }

        public Uri QueueUrl { get; set; } = DefaultQueueUrl;
        public Uri RunUrl { get; set; } = DefaultRunUrl;
        public Uri RestUrl { get; set; } = DefaultRestUrl;

        /// <summary>Retries after the first attempt for retryable failures (see <see cref="RetryPolicy"/>).</summary>
        public int MaxRetryCount { get; set; } = 3;

        /// <summary>First backoff delay; doubles each retry, with ±25 % jitter.</summary>
        public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

        /// <summary>Upper bound of one backoff delay, and of an honoured Retry-After.</summary>
        public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>Timeout of one HTTP attempt (not of a whole wait).</summary>
        public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

        /// <summary>A status stream that sends nothing (not even a ping) for this long is treated as dropped.</summary>
        public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>Largest JSON body the client will read; protects against hostile servers.</summary>
        public long MaxResponseBytes { get; set; } = 64L * 1024 * 1024;

        public string UserAgent { get; set; } = "Seedream-PowerShell/" + typeof(FalClientOptions).Assembly.GetName().Version;

        /// <summary>For tests: the handler under the client's HttpClient.</summary>
        public HttpMessageHandler? Handler { get; set; }

        /// <summary>Receives one line per HTTP call (Verbose) and details (Debug). Never given the key.</summary>
        public IFalLog? Log { get; set; }

        /// <summary>Checks the settings; throws <see cref="ArgumentException"/> with a clear message.</summary>
        public void Validate()
        {
            if (MaxRetryCount < 0 || MaxRetryCount > 20) throw new ArgumentException("MaxRetryCount must be between 0 and 20.");
            if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentException("RequestTimeout must be positive.");
            if (ProxyUrl != null) ValidateProxyUrl(ProxyUrl, AllowInsecureHttp);
        }

        /// <summary>
        /// A proxy must be an absolute http(s) URL; plain http is accepted only on loopback unless
        /// <paramref name="allowInsecureHttp"/>, because the key travels in the request headers.
        /// </summary>
        public static void ValidateProxyUrl(Uri url, bool allowInsecureHttp)
        {
            if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
                throw new ArgumentException($"The proxy URL '{url}' must be an absolute http or https URL.");
            if (url.Scheme == Uri.UriSchemeHttp && !url.IsLoopback && !allowInsecureHttp)
                throw new InsecureEndpointException($"The proxy URL '{url}' uses plain http to a host that is not loopback, so the API key would travel unencrypted. Use https, or allow it explicitly (-AllowInsecureHttp).");
        }
    }

    /// <summary>Raised when a plain-http, non-loopback endpoint would receive the key.</summary>
    public sealed class InsecureEndpointException : ArgumentException
    {
        public InsecureEndpointException(string message) : base(message) { }
    }

    /// <summary>Where the client reports what it does. Implementations must be thread-safe.</summary>
    public interface IFalLog
    {
        void Verbose(string message);
        void Debug(string message);
    }
}
