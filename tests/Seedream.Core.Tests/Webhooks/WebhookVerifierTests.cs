using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;
using Seedream.Webhooks;

namespace Seedream.Core.Tests.Webhooks;

/// <summary>A test signer that follows fal's documented scheme on its own (not the verifier's helpers).</summary>
internal sealed class TestSigner
{
    private readonly Ed25519PrivateKeyParameters _key = new(new SecureRandom());

    public byte[] PublicKey => _key.GeneratePublicKey().GetEncoded();

    public WebhookKey Key(string? kid = null) => WebhookKey.FromPublicKey(PublicKey, kid);

    public string Sign(string requestId, string userId, string timestamp, byte[] body)
    {
        var message = Encoding.UTF8.GetBytes($"{requestId}\n{userId}\n{timestamp}\n{Convert.ToHexString(SHA256.HashData(body)).ToLowerInvariant()}");
        var signer = new Ed25519Signer();
        signer.Init(true, _key);
        signer.BlockUpdate(message, 0, message.Length);
        return Convert.ToHexString(signer.GenerateSignature()).ToLowerInvariant();
    }

    /// <summary>The four fal headers for <paramref name="body"/>, signed at <paramref name="at"/>.</summary>
    public Dictionary<string, string> Headers(byte[] body, DateTimeOffset at, string requestId = "9b7c6a1e-0d1f-4c55-8f0e-1234567890ab", string userId = "user-1")
    {
        var ts = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string>
        {
            ["X-Fal-Webhook-Request-Id"] = requestId,
            ["X-Fal-Webhook-User-Id"] = userId,
            ["X-Fal-Webhook-Timestamp"] = ts,
            ["X-Fal-Webhook-Signature"] = Sign(requestId, userId, ts, body),
        };
    }
}

public class WebhookVerifierTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"request_id\":\"9b7c6a1e\",\"status\":\"OK\",\"payload\":{\"images\":[],\"seed\":196619188014358660}}");
    private static readonly TimeSpan Tolerance = WebhookVerifier.DefaultTolerance;

    private static WebhookVerdict Check(IEnumerable<KeyValuePair<string, string>> headers, byte[] body, params WebhookKey[] keys) =>
        WebhookVerifier.Verify(headers, body, keys, T0, Tolerance);

    [Fact]
    public void The_signed_message_is_the_documented_layout()
    {
        var message = WebhookVerifier.BuildMessage("req", "user", "1700000000", Encoding.UTF8.GetBytes("{}"));
        Assert.Equal("req\nuser\n1700000000\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", Encoding.UTF8.GetString(message));
    }

    [Fact]
    public void A_correct_signature_is_valid_and_names_its_key()
    {
        var signer = new TestSigner();
        var verdict = Check(signer.Headers(Body, T0), Body, signer.Key("kid-1"));
        Assert.True(verdict.IsValid, verdict.Message);
        Assert.Equal(nameof(WebhookVerdictReason.Valid), verdict.Reason);
        Assert.Equal("kid-1", verdict.KeyId);
        Assert.Equal("9b7c6a1e-0d1f-4c55-8f0e-1234567890ab", verdict.RequestId);
        Assert.Equal("user-1", verdict.UserId);
        Assert.Equal(T0, verdict.Timestamp);
    }

    [Fact]
    public void Any_key_of_the_set_may_verify()
    {
        var old = new TestSigner();
        var current = new TestSigner();
        var verdict = Check(current.Headers(Body, T0), Body, old.Key("old"), current.Key("current"));
        Assert.True(verdict.IsValid);
        Assert.Equal("current", verdict.KeyId);
    }

    [Fact]
    public void Header_names_are_case_insensitive_and_values_trimmed()
    {
        var signer = new TestSigner();
        var headers = signer.Headers(Body, T0).ToDictionary(p => p.Key.ToLowerInvariant(), p => " " + p.Value + " ");
        Assert.True(Check(headers, Body, signer.Key()).IsValid);
        var upper = signer.Headers(Body, T0).ToDictionary(p => p.Key.ToUpperInvariant(), p => p.Value);
        Assert.True(Check(upper, Body, signer.Key()).IsValid);
    }

    [Fact]
    public void An_uppercase_hex_signature_is_accepted()
    {
        var signer = new TestSigner();
        var headers = signer.Headers(Body, T0);
        headers["X-Fal-Webhook-Signature"] = headers["X-Fal-Webhook-Signature"].ToUpperInvariant();
        Assert.True(Check(headers, Body, signer.Key()).IsValid);
    }

    [Fact]
    public void Any_change_to_body_or_signed_headers_breaks_the_signature()
    {
        var signer = new TestSigner();
        var headers = signer.Headers(Body, T0);
        var key = signer.Key();

        var body = (byte[])Body.Clone();
        body[10] ^= 0x20;
        Assert.Equal(nameof(WebhookVerdictReason.BadSignature), Check(headers, body, key).Reason);
        // Re-serialising the JSON (here: adding a space) changes the bytes, so it fails too.
        Assert.Equal(nameof(WebhookVerdictReason.BadSignature), Check(headers, Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Body).Replace(",", ", ")), key).Reason);

        foreach (var name in new[] { "X-Fal-Webhook-Request-Id", "X-Fal-Webhook-User-Id" })
        {
            var changed = new Dictionary<string, string>(headers) { [name] = headers[name] + "x" };
            Assert.Equal(nameof(WebhookVerdictReason.BadSignature), Check(changed, Body, key).Reason);
        }

        var later = new Dictionary<string, string>(headers) { ["X-Fal-Webhook-Timestamp"] = (T0.ToUnixTimeSeconds() + 1).ToString(CultureInfo.InvariantCulture) };
        Assert.Equal(nameof(WebhookVerdictReason.BadSignature), Check(later, Body, key).Reason);
    }

    [Fact]
    public void A_key_that_is_not_in_the_set_gives_BadSignature()
    {
        var signer = new TestSigner();
        var verdict = Check(signer.Headers(Body, T0), Body, new TestSigner().Key("other"));
        Assert.False(verdict.IsValid);
        Assert.Equal(nameof(WebhookVerdictReason.BadSignature), verdict.Reason);
        Assert.Null(verdict.KeyId);
    }

    [Fact]
    public void No_keys_gives_NoKeys()
    {
        var signer = new TestSigner();
        Assert.Equal(nameof(WebhookVerdictReason.NoKeys), Check(signer.Headers(Body, T0), Body).Reason);
    }

    [Theory]
    [InlineData(-300, true)]
    [InlineData(300, true)]
    [InlineData(-301, false)]
    [InlineData(301, false)]
    [InlineData(86_400, false)]
    public void The_timestamp_must_be_within_the_tolerance_either_way(int signedSecondsFromNow, bool valid)
    {
        var signer = new TestSigner();
        var verdict = Check(signer.Headers(Body, T0.AddSeconds(signedSecondsFromNow)), Body, signer.Key());
        Assert.Equal((valid ? WebhookVerdictReason.Valid : WebhookVerdictReason.StaleTimestamp).ToString(), verdict.Reason);
        Assert.Equal(T0.AddSeconds(signedSecondsFromNow), verdict.Timestamp);
    }

    [Fact]
    public void A_stale_timestamp_is_reported_before_the_signature_is_looked_at()
    {
        var signer = new TestSigner();
        var headers = signer.Headers(Body, T0.AddHours(-1));
        headers["X-Fal-Webhook-Signature"] = "zz";
        Assert.Equal(nameof(WebhookVerdictReason.StaleTimestamp), Check(headers, Body, signer.Key()).Reason);
    }

    [Theory]
    [InlineData("-1700000000")]
    [InlineData("1700000000.5")]
    [InlineData("1.7e9")]
    [InlineData("0x6553F100")]
    [InlineData("99999999999999999999")]
    [InlineData("253402300800")]
    [InlineData("Sat, 01 Mar 2026 12:00:00 GMT")]
    public void A_timestamp_that_is_not_unix_seconds_is_malformed(string timestamp)
    {
        var signer = new TestSigner();
        var headers = signer.Headers(Body, T0);
        headers["X-Fal-Webhook-Timestamp"] = timestamp;
        var verdict = Check(headers, Body, signer.Key());
        Assert.Equal(nameof(WebhookVerdictReason.MalformedTimestamp), verdict.Reason);
        Assert.Null(verdict.Timestamp);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0123")]
    [InlineData("gg")]
    public void A_signature_that_is_not_64_hex_bytes_is_malformed(string signature)
    {
        var signer = new TestSigner();
        var headers = signer.Headers(Body, T0);
        headers["X-Fal-Webhook-Signature"] = signature;
        Assert.Equal(nameof(WebhookVerdictReason.MalformedSignature), Check(headers, Body, signer.Key()).Reason);
        headers["X-Fal-Webhook-Signature"] = new string('a', 130);
        Assert.Equal(nameof(WebhookVerdictReason.MalformedSignature), Check(headers, Body, signer.Key()).Reason);
    }

    [Fact]
    public void Missing_headers_are_all_listed_and_the_first_is_named()
    {
        var verdict = Check(new Dictionary<string, string> { ["X-Fal-Webhook-User-Id"] = "u", ["X-Fal-Webhook-Timestamp"] = "" }, Body);
        Assert.Equal(nameof(WebhookVerdictReason.MissingHeader), verdict.Reason);
        Assert.Equal("X-Fal-Webhook-Request-Id", verdict.MissingHeader);
        Assert.Contains("X-Fal-Webhook-Timestamp", verdict.Message);
        Assert.Contains("X-Fal-Webhook-Signature", verdict.Message);
        Assert.Equal("u", verdict.UserId);
    }

    [Fact]
    public void A_header_given_twice_under_different_spellings_does_not_verify()
    {
        var signer = new TestSigner();
        var headers = signer.Headers(Body, T0).ToList();
        headers.Add(new KeyValuePair<string, string>("x-fal-webhook-request-id", "another-id"));
        var verdict = Check(headers, Body, signer.Key());
        Assert.False(verdict.IsValid);
        Assert.Equal(nameof(WebhookVerdictReason.BadSignature), verdict.Reason);
    }

    [Fact]
    public void An_empty_body_is_hashed_like_any_other()
    {
        var signer = new TestSigner();
        Assert.True(Check(signer.Headers(Array.Empty<byte>(), T0), Array.Empty<byte>(), signer.Key()).IsValid);
    }

    [Fact]
    public void Key_sizes_are_checked()
    {
        Assert.Throws<ArgumentException>(() => WebhookKey.FromPublicKey(new byte[31]));
        Assert.Throws<ArgumentException>(() => WebhookKey.FromPublicKey(new byte[33]));
    }

    [Fact]
    public void Verdicts_read_well_as_text()
    {
        var signer = new TestSigner();
        Assert.StartsWith("Valid: request 9b7c6a1e", Check(signer.Headers(Body, T0), Body, signer.Key("k1")).ToString());
        Assert.StartsWith("BadSignature: ", Check(signer.Headers(Body, T0), Body, new TestSigner().Key()).ToString());
    }
}
