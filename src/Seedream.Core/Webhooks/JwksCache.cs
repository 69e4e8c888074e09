using System.Net;
using System.Net.Http.Headers;

namespace Seedream.Webhooks
{
    /// <summary>The keys of one JWKS document as fetched at a point in time.</summary>
    public sealed class JwksKeySet
    {
        internal JwksKeySet(Uri url, IReadOnlyList<WebhookKey> keys, int skipped, DateTimeOffset fetchedAt, DateTimeOffset expiresAt)
        {
            Url = url;
            Keys = keys;
            SkippedKeys = skipped;
            FetchedAt = fetchedAt;
            ExpiresAt = expiresAt;
        }

        public Uri Url { get; }
        public IReadOnlyList<WebhookKey> Keys { get; }
        /// <summary>Entries of the document that are not usable ED25519 signing keys.</summary>
        public int SkippedKeys { get; }
        public DateTimeOffset FetchedAt { get; }
        public DateTimeOffset ExpiresAt { get; }
    }

    /// <summary>The JWKS could not be fetched or is not a JWKS document.</summary>
    public sealed class JwksUnavailableException : Exception
    {
        public JwksUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
    }

    /// <summary>What a fetch returned: the document and the server's cache lifetime, if it gave one.</summary>
    internal readonly struct JwksResponse
    {
        public JwksResponse(byte[] body, TimeSpan? maxAge)
        {
            Body = body;
            MaxAge = maxAge;
        }

        public byte[] Body { get; }
        public TimeSpan? MaxAge { get; }
    }

    internal delegate Task<JwksResponse> JwksFetcher(Uri url, CancellationToken cancellationToken);

    /// <summary>
    /// In-process JWKS cache, one entry per URL. fal: "cache, but not longer than 24 hours" — so an entry
    /// lives 24 h, or less when the server's Cache-Control max-age says so. Failures are not cached.
    /// The fetch never carries the fal API key: the JWKS is public and the key must not travel there.
    /// </summary>
    public sealed class JwksCache
    {
        /// <summary>The longest any document is kept (fal's rule).</summary>
        public static readonly TimeSpan MaxAge = TimeSpan.FromHours(24);

        /// <summary>
        /// A failed verification may re-fetch the JWKS (keys rotate), but not more often than this, so a
        /// stream of forged requests cannot turn into a stream of fetches.
        /// </summary>
        public static readonly TimeSpan MinRefreshInterval = TimeSpan.FromSeconds(60);

        private const int MaxDocumentBytes = 1024 * 1024;
        private static readonly Lazy<HttpClient> DefaultHttp = new Lazy<HttpClient>(CreateHttpClient);

        private readonly object _gate = new object();
        private readonly Dictionary<string, JwksKeySet> _entries = new Dictionary<string, JwksKeySet>(StringComparer.Ordinal);
        private readonly JwksFetcher _fetch;
        private readonly Func<DateTimeOffset> _clock;

        /// <summary>The process-wide cache used by Test-SeedreamWebhookSignature.</summary>
        public static JwksCache Shared { get; } = new JwksCache();

        public JwksCache() : this(FetchAsync, () => DateTimeOffset.UtcNow) { }

        internal JwksCache(JwksFetcher fetch, Func<DateTimeOffset> clock)
        {
            _fetch = fetch;
            _clock = clock;
        }

        /// <summary>The cached key set of <paramref name="url"/>, fetched first when absent or expired.</summary>
        /// <exception cref="JwksUnavailableException">Fetching or reading the document failed.</exception>
        public Task<JwksKeySet> GetAsync(Uri url, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                if (_entries.TryGetValue(Key(url), out var entry) && _clock() < entry.ExpiresAt)
                    return Task.FromResult(entry);
            }
            return FetchAndStoreAsync(url, cancellationToken);
        }

        /// <summary>
        /// Fetches again if the cached copy is older than <see cref="MinRefreshInterval"/>; null when it is
        /// not (the caller keeps what it has).
        /// </summary>
        /// <exception cref="JwksUnavailableException">Fetching or reading the document failed.</exception>
        public async Task<JwksKeySet?> RefreshAsync(Uri url, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                if (_entries.TryGetValue(Key(url), out var entry) && _clock() - entry.FetchedAt < MinRefreshInterval)
                    return null;
            }
            return await FetchAndStoreAsync(url, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Forgets every cached document.</summary>
        public void Clear()
        {
            lock (_gate) _entries.Clear();
        }

        private async Task<JwksKeySet> FetchAndStoreAsync(Uri url, CancellationToken cancellationToken)
        {
            var response = await _fetch(url, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<WebhookKey> keys;
            int skipped;
            try
            {
                keys = JsonWebKeySet.Parse(response.Body, out skipped);
            }
            catch (FormatException ex)
            {
                throw new JwksUnavailableException($"{url} did not return a JWKS document: {ex.Message}", ex);
            }

            var now = _clock();
            var lifetime = response.MaxAge is TimeSpan maxAge && maxAge < MaxAge ? maxAge : MaxAge;
            if (lifetime < TimeSpan.Zero) lifetime = TimeSpan.Zero;
            var set = new JwksKeySet(url, keys, skipped, now, now + lifetime);
            lock (_gate) _entries[Key(url)] = set;
            return set;
        }

        private static string Key(Uri url) => url.AbsoluteUri;

        private static HttpClient CreateHttpClient()
        {
            // Redirects are followed (a JWKS host may move); HttpClientHandler never follows https → http.
            var handler = new HttpClientHandler { AllowAutoRedirect = true, MaxAutomaticRedirections = 3, UseCookies = false };
            var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(15), MaxResponseContentBufferSize = MaxDocumentBytes };
            http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            return http;
        }

        private static async Task<JwksResponse> FetchAsync(Uri url, CancellationToken cancellationToken)
        {
            try
            {
                using (var response = await DefaultHttp.Value.GetAsync(url, cancellationToken).ConfigureAwait(false))
                {
                    if (!response.IsSuccessStatusCode)
                        throw new JwksUnavailableException($"{url} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
                    var body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                    return new JwksResponse(body, CacheLifetime(response.Headers.CacheControl));
                }
            }
            catch (HttpRequestException ex)
            {
                throw new JwksUnavailableException($"Could not fetch the JWKS from {url}: {ex.Message}", ex);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new JwksUnavailableException($"Could not fetch the JWKS from {url}: no answer within 15 s.", ex);
            }
            catch (IOException ex)
            {
                throw new JwksUnavailableException($"Could not fetch the JWKS from {url}: {ex.Message}", ex);
            }
        }

        /// <summary>max-age as given; no-store / no-cache mean "do not reuse".</summary>
        internal static TimeSpan? CacheLifetime(CacheControlHeaderValue? cacheControl)
        {
            if (cacheControl == null) return null;
            if (cacheControl.NoStore || cacheControl.NoCache) return TimeSpan.Zero;
            return cacheControl.MaxAge;
        }
    }
}
