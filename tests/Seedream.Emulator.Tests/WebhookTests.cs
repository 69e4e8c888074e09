using System;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Seedream.TestSupport;
using Xunit;

namespace Seedream.Emulator.Tests;

/// <summary>fal_webhook delivery: payload, signature, JWKS, retries, loopback-only.</summary>
public class WebhookTests
{
    private static object SimpleInput(long seed = 7) => new
    {
        prompt = "make it blue",
        image_urls = new[] { TestImages.DataUri(TestImages.Png(16, 16)) },
        seed,
    };

    private static EmulatorOptions Fast(int retries = 3, int retryMs = 50, string? key = null) => new()
    {
        ProcessingMs = 30,
        Runners = 2,
        WebhookRetries = retries,
        WebhookRetryMs = retryMs,
        RequireKey = key,
    };

    private static async Task<string> SubmitWithHookAsync(Harness h, object input, Uri hook) =>
        (await h.SubmitAsync(input, query: "?fal_webhook=" + Uri.EscapeDataString(hook.AbsoluteUri))).GetProperty("request_id").GetString()!;

    private static async Task<JsonElement> WaitForWebhookStateAsync(Harness h, string id, string state, int timeoutMs = 20_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (true)
        {
            var info = await h.JobInfoAsync(id);
            var hook = info.GetProperty("webhook");
            if (hook.GetProperty("state").GetString() == state) return hook;
            Assert.True(DateTime.UtcNow < deadline, $"webhook of {id} still '{hook.GetProperty("state").GetString()}', expected '{state}'");
            await Task.Delay(20);
        }
    }

    /// <summary>The first key of the emulator's JWKS, fetched over HTTP like a receiver would.</summary>
    private static async Task<byte[]> JwksKeyAsync(Harness h)
    {
        using var doc = JsonDocument.Parse(await h.Http.GetStringAsync(h.Emulator.JwksUrl));
        var x = doc.RootElement.GetProperty("keys")[0].GetProperty("x").GetString()!;
        return Base64UrlDecode(x);
    }

    private static byte[] Base64UrlDecode(string s)
    {
        var b64 = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '='));
    }

    /// <summary>Independent check of fal's scheme (not the emulator's signer): ED25519 over id\nuser\nts\nsha256hex.</summary>
    private static bool Verifies(ReceivedWebhook w, byte[] publicKey, byte[]? body = null)
    {
        var digest = Convert.ToHexString(SHA256.HashData(body ?? w.Body)).ToLowerInvariant();
        var message = Encoding.UTF8.GetBytes(string.Join("\n",
            w.Headers["X-Fal-Webhook-Request-Id"], w.Headers["X-Fal-Webhook-User-Id"], w.Headers["X-Fal-Webhook-Timestamp"], digest));
        var verifier = new Ed25519Signer();
        verifier.Init(false, new Ed25519PublicKeyParameters(publicKey));
        verifier.BlockUpdate(message, 0, message.Length);
        return verifier.VerifySignature(Convert.FromHexString(w.Headers["X-Fal-Webhook-Signature"]));
    }

    [Fact]
    public async Task Completed_job_posts_the_documented_OK_payload_with_fal_headers()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var h = await Harness.StartAsync(Fast());
        var id = await SubmitWithHookAsync(h, SimpleInput(), receiver.Url);

        var hook = Assert.Single(await receiver.WaitForAsync(1));
        Assert.Equal("POST", hook.Method);
        Assert.Equal("/hooks/fal?source=test", hook.Path);
        Assert.StartsWith("application/json", hook.Headers["Content-Type"]);
        Assert.Equal(id, hook.Headers["X-Fal-Webhook-Request-Id"]);
        Assert.Equal(FalEmulator.WebhookUserId, hook.Headers["X-Fal-Webhook-User-Id"]);
        var ts = long.Parse(hook.Headers["X-Fal-Webhook-Timestamp"], CultureInfo.InvariantCulture);
        Assert.InRange(ts, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 30, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Matches("^[0-9a-f]{128}$", hook.Headers["X-Fal-Webhook-Signature"]);
        Assert.False(hook.Headers.ContainsKey("Authorization"));

        using var body = JsonDocument.Parse(hook.Body);
        var root = body.RootElement;
        Assert.Equal(id, root.GetProperty("request_id").GetString());
        Assert.Equal(id, root.GetProperty("gateway_request_id").GetString());
        Assert.Equal("OK", root.GetProperty("status").GetString());
        Assert.False(root.TryGetProperty("error", out _));
        Assert.False(root.TryGetProperty("payload_error", out _));
        // The payload is exactly what the result endpoint serves.
        var (status, result, _) = await h.ResultAsync(id);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(result.GetRawText(), root.GetProperty("payload").GetRawText());
        Assert.Equal(7, root.GetProperty("payload").GetProperty("seed").GetInt64());

        var info = await WaitForWebhookStateAsync(h, id, "delivered");
        Assert.Equal(1, info.GetProperty("attempts").GetInt32());
        Assert.Equal(200, info.GetProperty("lastStatusCode").GetInt32());
        var stats = h.Emulator.GetStats();
        Assert.Equal(1, stats.WebhooksDelivered);
        Assert.Equal(1, stats.WebhookAttempts);
        Assert.Equal(0, stats.WebhooksFailed);
    }

    [Fact]
    public async Task Failed_job_posts_ERROR_with_the_422_body_as_payload()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var h = await Harness.StartAsync(Fast());
        var id = await SubmitWithHookAsync(h, new { prompt = "p", image_urls = Array.Empty<string>() }, receiver.Url);

        var hook = Assert.Single(await receiver.WaitForAsync(1));
        using var body = JsonDocument.Parse(hook.Body);
        var root = body.RootElement;
        Assert.Equal("ERROR", root.GetProperty("status").GetString());
        Assert.Equal("Invalid status code: 422", root.GetProperty("error").GetString());
        var detail = Assert.Single(root.GetProperty("payload").GetProperty("detail").EnumerateArray());
        Assert.Equal("sequence_too_short", detail.GetProperty("type").GetString());
        Assert.Equal("image_urls", detail.GetProperty("loc")[1].GetString());
        Assert.True(Verifies(hook, await JwksKeyAsync(h)));
    }

    [Fact]
    public async Task Cancelled_job_posts_ERROR_with_the_cancellation_body()
    {
        using var hang = new HangingServer();
        await using var receiver = await WebhookReceiver.StartAsync();
        var options = Fast();
        options.Runners = 1;
        await using var h = await Harness.StartAsync(options);
        var blocker = (await h.SubmitAsync(hang.BlockingInput)).GetProperty("request_id").GetString()!;
        var id = await SubmitWithHookAsync(h, SimpleInput(), receiver.Url);
        var (cancelStatus, _, _) = await h.CancelAsync(id);
        Assert.Equal(HttpStatusCode.Accepted, cancelStatus);

        var hook = Assert.Single(await receiver.WaitForAsync(1));
        using var body = JsonDocument.Parse(hook.Body);
        Assert.Equal("ERROR", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("Invalid status code: 400", body.RootElement.GetProperty("error").GetString());
        Assert.Equal("client_cancelled", body.RootElement.GetProperty("payload").GetProperty("error_type").GetString());
        await h.CancelAsync(blocker);
    }

    [Fact]
    public async Task Signature_verifies_with_the_jwks_key_and_fails_for_any_change()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var h = await Harness.StartAsync(Fast());
        await SubmitWithHookAsync(h, SimpleInput(), receiver.Url);
        var hook = Assert.Single(await receiver.WaitForAsync(1));
        var key = await JwksKeyAsync(h);

        Assert.Equal(h.Emulator.WebhookPublicKey.ToArray(), key);
        Assert.True(Verifies(hook, key));
        var tampered = (byte[])hook.Body.Clone();
        tampered[^2] ^= 1;
        Assert.False(Verifies(hook, key, tampered));
        var otherHeaders = hook.Headers.ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
        otherHeaders["X-Fal-Webhook-Timestamp"] = (long.Parse(otherHeaders["X-Fal-Webhook-Timestamp"], CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture);
        Assert.False(Verifies(hook with { Headers = otherHeaders }, key));
        // Another emulator instance has its own key pair.
        await using var other = await Harness.StartAsync(Fast());
        Assert.False(Verifies(hook, await JwksKeyAsync(other)));
    }

    [Fact]
    public async Task Jwks_is_public_and_lists_one_ed25519_signing_key()
    {
        await using var h = await Harness.StartAsync(Fast(key: "secret-key"));
        using var response = await h.Http.GetAsync(h.Emulator.JwksUrl);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.CacheControl?.MaxAge);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var key = Assert.Single(doc.RootElement.GetProperty("keys").EnumerateArray());
        Assert.Equal("OKP", key.GetProperty("kty").GetString());
        Assert.Equal("Ed25519", key.GetProperty("crv").GetString());
        Assert.Equal("sig", key.GetProperty("use").GetString());
        Assert.Equal("EdDSA", key.GetProperty("alg").GetString());
        var x = key.GetProperty("x").GetString()!;
        Assert.Matches("^[A-Za-z0-9_-]{43}$", x); // base64url, unpadded, 32 bytes
        Assert.Equal(32, Base64UrlDecode(x).Length);
        // kid is the RFC 7638 thumbprint of the key.
        var thumbprint = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes($"{{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"{x}\"}}")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Equal(thumbprint, key.GetProperty("kid").GetString());
        Assert.Equal(0, h.Emulator.GetStats().Unauthorized);
    }

    [Fact]
    public async Task Failed_deliveries_are_retried_with_growing_delays_and_fresh_signatures()
    {
        await using var receiver = await WebhookReceiver.StartAsync(503, 500);
        await using var h = await Harness.StartAsync(Fast(retries: 3, retryMs: 150));
        var id = await SubmitWithHookAsync(h, SimpleInput(), receiver.Url);

        var hooks = await receiver.WaitForAsync(3);
        await WaitForWebhookStateAsync(h, id, "delivered");
        Assert.Equal(new[] { 503, 500, 200 }, hooks.Select(w => w.AnsweredWith));
        Assert.All(hooks, w => Assert.Equal(hooks[0].Body, w.Body)); // same bytes every time
        var key = await JwksKeyAsync(h);
        Assert.All(hooks, w => Assert.True(Verifies(w, key)));
        var firstGap = hooks[1].ReceivedAt - hooks[0].ReceivedAt;
        var secondGap = hooks[2].ReceivedAt - hooks[1].ReceivedAt;
        Assert.True(firstGap >= TimeSpan.FromMilliseconds(140), $"first retry after {firstGap.TotalMilliseconds} ms");
        Assert.True(secondGap >= TimeSpan.FromMilliseconds(290), $"second retry after {secondGap.TotalMilliseconds} ms");

        var stats = h.Emulator.GetStats();
        Assert.Equal(1, stats.WebhooksDelivered);
        Assert.Equal(3, stats.WebhookAttempts);
        Assert.Equal(0, stats.WebhooksFailed);
        await Task.Delay(400);
        Assert.Equal(3, receiver.Received.Count); // nothing more once delivered
    }

    [Fact]
    public async Task Delivery_gives_up_after_the_configured_number_of_retries()
    {
        await using var receiver = await WebhookReceiver.StartAsync(500, 502, 404, 500, 500);
        await using var h = await Harness.StartAsync(Fast(retries: 2, retryMs: 20));
        var id = await SubmitWithHookAsync(h, SimpleInput(), receiver.Url);

        var info = await WaitForWebhookStateAsync(h, id, "failed");
        Assert.Equal(3, info.GetProperty("attempts").GetInt32());
        Assert.Equal(404, info.GetProperty("lastStatusCode").GetInt32());
        Assert.Equal(3, receiver.Received.Count);
        var stats = h.Emulator.GetStats();
        Assert.Equal(0, stats.WebhooksDelivered);
        Assert.Equal(3, stats.WebhookAttempts);
        Assert.Equal(1, stats.WebhooksFailed);
        // The job itself is unaffected by the webhook's fate.
        Assert.Equal(HttpStatusCode.OK, (await h.ResultAsync(id)).Status);
    }

    [Fact]
    public async Task Connection_failures_count_as_failed_attempts()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now: connection refused
        await using var h = await Harness.StartAsync(Fast(retries: 1, retryMs: 10));
        var id = await SubmitWithHookAsync(h, SimpleInput(), new Uri($"http://127.0.0.1:{port}/hook"));

        var info = await WaitForWebhookStateAsync(h, id, "failed");
        Assert.Equal(2, info.GetProperty("attempts").GetInt32());
        Assert.Equal(JsonValueKind.Null, info.GetProperty("lastStatusCode").ValueKind);
        Assert.False(string.IsNullOrEmpty(info.GetProperty("lastError").GetString()));
        Assert.Equal(2, h.Emulator.GetStats().WebhookAttempts);
        Assert.Equal(1, h.Emulator.GetStats().WebhooksFailed);
    }

    [Theory]
    [InlineData("https://example.test/hook")]
    [InlineData("http://10.0.0.1/hook")]
    [InlineData("http://127.0.0.1.example.test/hook")]
    public async Task Non_loopback_webhooks_are_never_contacted(string url)
    {
        await using var h = await Harness.StartAsync(Fast());
        var id = await SubmitWithHookAsync(h, SimpleInput(), new Uri(url));
        await h.WaitCompletedAsync(id);
        var info = await WaitForWebhookStateAsync(h, id, "skipped");
        Assert.Equal(0, info.GetProperty("attempts").GetInt32());
        var stats = h.Emulator.GetStats();
        Assert.Equal(0, stats.WebhookAttempts);
        Assert.Equal(1, stats.WebhooksSkipped);
    }

    [Theory]
    [InlineData("http://localhost:1/x", true)]
    [InlineData("http://127.0.0.5:8080/x", true)]
    [InlineData("http://[::1]:8080/x", true)]
    [InlineData("https://127.0.0.1/x", true)]
    [InlineData("ftp://127.0.0.1/x", false)]
    [InlineData("http://192.168.1.2/x", false)]
    [InlineData("not a url", false)]
    public void Loopback_rule(string url, bool expected) =>
        Assert.Equal(expected, WebhookDispatcher.TryGetLoopbackTarget(url, out _));

    [Fact]
    public void Backoff_doubles_from_the_base_delay_and_is_capped()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(500), WebhookDispatcher.Backoff(500, 1));
        Assert.Equal(TimeSpan.FromMilliseconds(1000), WebhookDispatcher.Backoff(500, 2));
        Assert.Equal(TimeSpan.FromMilliseconds(4000), WebhookDispatcher.Backoff(500, 4));
        Assert.Equal(TimeSpan.FromMinutes(10), WebhookDispatcher.Backoff(600_000, 20));
        Assert.Equal(TimeSpan.Zero, WebhookDispatcher.Backoff(0, 3));
    }

    [Fact]
    public void Payload_marks_a_non_json_body_with_payload_error()
    {
        var outcome = new JobOutcome(OutcomeKind.Ok, 200, Encoding.UTF8.GetBytes("not json"));
        var json = WebhookDispatcher.Payload("r1", outcome);
        Assert.Null(json["payload"]);
        Assert.StartsWith("Response payload is not JSON serializable", (string)json["payload_error"]!);
        Assert.Equal("OK", (string)json["status"]!);
    }

    [Fact]
    public void Webhook_options_parse_with_defaults_and_ranges()
    {
        var defaults = EmulatorOptions.Parse([]);
        Assert.Equal(3, defaults.WebhookRetries);
        Assert.Equal(500, defaults.WebhookRetryMs);
        var o = EmulatorOptions.Parse(["--webhook-retries", "0", "--webhook-retry-ms=2000"]);
        Assert.Equal(0, o.WebhookRetries);
        Assert.Equal(2000, o.WebhookRetryMs);
        Assert.Contains("--webhook-retries", Assert.Throws<ArgumentException>(() => EmulatorOptions.Parse(["--webhook-retries", "21"])).Message);
        Assert.Contains("--webhook-retry-ms", Assert.Throws<ArgumentException>(() => EmulatorOptions.Parse(["--webhook-retry-ms", "-1"])).Message);
        Assert.Contains("--webhook-retries", EmulatorOptions.Usage);
    }
}
