using System.Net.Http.Headers;
using System.Text;
using System.Threading;
using Seedream.Emulator;
using Seedream.Webhooks;

namespace Seedream.Core.Tests.Webhooks;

public class JsonWebKeySetTests
{
    private static string X(byte[] key) => Convert.ToBase64String(key).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static IReadOnlyList<WebhookKey> Parse(string json, out int skipped) => JsonWebKeySet.Parse(Encoding.UTF8.GetBytes(json), out skipped);

    [Fact]
    public void Ed25519_signing_keys_are_read_and_everything_else_is_skipped()
    {
        var good = new TestSigner().PublicKey;
        var invalidPoint = new byte[32];
        invalidPoint[0] = 2; // y = 2 has no x on the curve
        var json = $$"""
            {"keys":[
              {"kty":"OKP","crv":"Ed25519","x":"{{X(good)}}","kid":"a","use":"sig","alg":"EdDSA"},
              {"kty":"OKP","crv":"Ed25519","x":"{{X(good)}}=","kid":"padded"},
              {"kty":"RSA","n":"AQAB","e":"AQAB","kid":"rsa"},
              {"kty":"OKP","crv":"X25519","x":"{{X(good)}}","kid":"ecdh"},
              {"kty":"OKP","crv":"Ed25519","x":"{{X(good)}}","kid":"enc","use":"enc"},
              {"kty":"OKP","crv":"Ed25519","x":"{{X(good)}}","kid":"es256","alg":"ES256"},
              {"kty":"OKP","crv":"Ed25519","x":"{{X(new byte[16])}}","kid":"short"},
              {"kty":"OKP","crv":"Ed25519","x":"not+base64url/","kid":"garbled"},
              {"kty":"OKP","crv":"Ed25519","x":"{{X(invalidPoint)}}","kid":"off-curve"},
              {"kty":"OKP","crv":"Ed25519","kid":"no-x"},
              "not an object"
            ]}
            """;
        var keys = Parse(json, out var skipped);
        Assert.Equal(new[] { "a", "padded" }, new[] { keys[0].KeyId, keys[1].KeyId });
        Assert.Equal(2, keys.Count);
        Assert.Equal(good, keys[0].PublicKey);
        Assert.Equal(9, skipped);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"keys\":{}}")]
    [InlineData("{\"Keys\":[]}")]
    public void Documents_that_are_not_a_key_set_are_rejected(string json) =>
        Assert.Throws<FormatException>(() => Parse(json, out _));

    [Fact]
    public void An_empty_key_list_is_a_set_with_no_keys() => Assert.Empty(Parse("{\"keys\":[]}", out _));
}

public class JwksCacheTests
{
    private static readonly Uri Url = new("https://keys.example/.well-known/jwks.json");

    /// <summary>A fetcher that serves a changeable document and counts calls; a clock the test moves.</summary>
    private sealed class Fake
    {
        public DateTimeOffset Now = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        public int Fetches;
        public byte[][] Keys = { new TestSigner().PublicKey };
        public TimeSpan? MaxAge;
        public Exception? Failure;

        public JwksCache Cache() => new(FetchAsync, () => Now);

        private Task<JwksResponse> FetchAsync(Uri url, CancellationToken ct)
        {
            Fetches++;
            if (Failure != null) return Task.FromException<JwksResponse>(Failure);
            var keys = string.Join(",", Array.ConvertAll(Keys, k =>
                $"{{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"{Convert.ToBase64String(k).TrimEnd('=').Replace('+', '-').Replace('/', '_')}\",\"kid\":\"{k[0]}\"}}"));
            return Task.FromResult(new JwksResponse(Encoding.UTF8.GetBytes($"{{\"keys\":[{keys}]}}"), MaxAge));
        }
    }

    [Fact]
    public async Task A_document_is_fetched_once_and_kept_for_24_hours_at_most()
    {
        var fake = new Fake { MaxAge = TimeSpan.FromDays(7) }; // longer than fal allows: capped
        var cache = fake.Cache();
        var first = await cache.GetAsync(Url, default);
        await cache.GetAsync(Url, default);
        fake.Now += TimeSpan.FromHours(23.9);
        await cache.GetAsync(Url, default);
        Assert.Equal(1, fake.Fetches);
        Assert.Equal(first.FetchedAt + TimeSpan.FromHours(24), first.ExpiresAt);

        fake.Now += TimeSpan.FromHours(0.2);
        await cache.GetAsync(Url, default);
        Assert.Equal(2, fake.Fetches);
    }

    [Fact]
    public async Task A_shorter_max_age_from_the_server_wins()
    {
        var fake = new Fake { MaxAge = TimeSpan.FromSeconds(90) };
        var cache = fake.Cache();
        await cache.GetAsync(Url, default);
        fake.Now += TimeSpan.FromSeconds(89);
        await cache.GetAsync(Url, default);
        Assert.Equal(1, fake.Fetches);
        fake.Now += TimeSpan.FromSeconds(2);
        await cache.GetAsync(Url, default);
        Assert.Equal(2, fake.Fetches);
    }

    [Fact]
    public async Task No_store_means_every_check_fetches()
    {
        var fake = new Fake { MaxAge = JwksCache.CacheLifetime(CacheControlHeaderValue.Parse("no-store")) };
        var cache = fake.Cache();
        await cache.GetAsync(Url, default);
        await cache.GetAsync(Url, default);
        Assert.Equal(2, fake.Fetches);
    }

    [Theory]
    [InlineData("public, max-age=3600", 3600.0)]
    [InlineData("max-age=0", 0.0)]
    [InlineData("no-cache", 0.0)]
    [InlineData("public", null)]
    public void Cache_control_is_read_as_a_lifetime(string header, double? seconds) =>
        Assert.Equal(seconds is { } s ? TimeSpan.FromSeconds(s) : null, JwksCache.CacheLifetime(CacheControlHeaderValue.Parse(header)));

    [Fact]
    public async Task Failures_are_not_cached_and_urls_are_cached_separately()
    {
        var fake = new Fake { Failure = new JwksUnavailableException("down") };
        var cache = fake.Cache();
        await Assert.ThrowsAsync<JwksUnavailableException>(() => cache.GetAsync(Url, default));
        fake.Failure = null;
        await cache.GetAsync(Url, default);
        await cache.GetAsync(new Uri("https://other.example/jwks.json"), default);
        Assert.Equal(3, fake.Fetches);
    }

    [Fact]
    public async Task Refresh_is_limited_to_once_a_minute()
    {
        var fake = new Fake();
        var cache = fake.Cache();
        await cache.GetAsync(Url, default);
        Assert.Null(await cache.RefreshAsync(Url, default));
        fake.Now += JwksCache.MinRefreshInterval;
        Assert.NotNull(await cache.RefreshAsync(Url, default));
        Assert.Equal(2, fake.Fetches);
    }

    [Fact]
    public async Task A_rotated_key_is_picked_up_by_one_refresh_after_a_failed_check()
    {
        var old = new TestSigner();
        var rotated = new TestSigner();
        var fake = new Fake { Keys = new[] { old.PublicKey } };
        var verifier = new WebhookVerifier(fake.Cache());
        var body = Encoding.UTF8.GetBytes("{\"status\":\"OK\"}");

        // Minute one: the cached (old) key fails and a refresh is not yet allowed.
        Assert.Equal(nameof(WebhookVerdictReason.BadSignature),
            (await verifier.VerifyAsync(rotated.Headers(body, fake.Now), body, Url, fake.Now, WebhookVerifier.DefaultTolerance, default)).Reason);
        fake.Keys = new[] { old.PublicKey, rotated.PublicKey };
        fake.Now += TimeSpan.FromMinutes(2);
        var verdict = await verifier.VerifyAsync(rotated.Headers(body, fake.Now), body, Url, fake.Now, WebhookVerifier.DefaultTolerance, default);
        Assert.True(verdict.IsValid, verdict.Message);
        Assert.Equal(2, fake.Fetches);
        Assert.Equal(Url, verdict.JwksUrl);
    }

    [Fact]
    public async Task An_unavailable_jwks_is_a_verdict_and_bad_headers_never_fetch()
    {
        var fake = new Fake { Failure = new JwksUnavailableException("HTTP 503") };
        var verifier = new WebhookVerifier(fake.Cache());
        var signer = new TestSigner();
        var body = Encoding.UTF8.GetBytes("{}");

        var verdict = await verifier.VerifyAsync(signer.Headers(body, fake.Now), body, Url, fake.Now, WebhookVerifier.DefaultTolerance, default);
        Assert.Equal(nameof(WebhookVerdictReason.JwksUnavailable), verdict.Reason);
        Assert.Contains("503", verdict.Message);

        var before = fake.Fetches;
        var headers = signer.Headers(body, fake.Now);
        headers.Remove("X-Fal-Webhook-Signature");
        Assert.Equal(nameof(WebhookVerdictReason.MissingHeader), (await verifier.VerifyAsync(headers, body, Url, fake.Now, WebhookVerifier.DefaultTolerance, default)).Reason);
        Assert.Equal(nameof(WebhookVerdictReason.StaleTimestamp),
            (await verifier.VerifyAsync(signer.Headers(body, fake.Now.AddHours(-2)), body, Url, fake.Now, WebhookVerifier.DefaultTolerance, default)).Reason);
        Assert.Equal(before, fake.Fetches);
    }

    [Fact]
    public void Fal_is_the_default_jwks()
    {
        Assert.Equal("https://rest.alpha.fal.ai/.well-known/jwks.json", WebhookVerifier.FalJwksUrl.AbsoluteUri);
        Assert.Equal(TimeSpan.FromSeconds(300), WebhookVerifier.DefaultTolerance);
        Assert.Equal(TimeSpan.FromHours(24), JwksCache.MaxAge);
    }
}

/// <summary>The real HTTP fetch, against the emulator's JWKS.</summary>
public class JwksHttpTests
{
    [Fact]
    public async Task The_emulator_jwks_is_fetched_over_http_with_its_max_age()
    {
        await using var emulator = await FalEmulator.StartAsync(new EmulatorOptions { ProcessingMs = 10, RequireKey = "k" });
        var cache = new JwksCache();
        var set = await cache.GetAsync(emulator.JwksUrl, default);
        var key = Assert.Single(set.Keys);
        Assert.Equal(emulator.WebhookPublicKey.ToArray(), key.PublicKey);
        Assert.False(string.IsNullOrEmpty(key.KeyId));
        Assert.Equal(TimeSpan.FromHours(1), set.ExpiresAt - set.FetchedAt); // the emulator's max-age=3600
        Assert.Equal(0, emulator.GetStats().Unauthorized); // no key needed, none sent
    }

    [Fact]
    public async Task Http_errors_and_non_jwks_documents_are_unavailable()
    {
        await using var emulator = await FalEmulator.StartAsync(new EmulatorOptions { ProcessingMs = 10 });
        var cache = new JwksCache();
        var notFound = await Assert.ThrowsAsync<JwksUnavailableException>(() => cache.GetAsync(new Uri(emulator.BaseUrl, "no/such/jwks.json"), default));
        Assert.Contains("404", notFound.Message);
        // The stats document is JSON but has no "keys".
        var wrong = await Assert.ThrowsAsync<JwksUnavailableException>(() => cache.GetAsync(new Uri(emulator.BaseUrl, "_emulator/stats"), default));
        Assert.Contains("keys", wrong.Message);
    }
}
