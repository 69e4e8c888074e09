using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace Seedream.Emulator;

/// <summary>
/// The emulator's webhook signing key: an ED25519 pair made at start (never persisted), signing
/// exactly as fal documents, and the public half as a JWKS document.
/// </summary>
/// <remarks>
/// .NET has no ED25519 in the base library, so BouncyCastle does the curve work. The module's
/// verifier (Seedream.Core) is a separate implementation on purpose: a shared helper would let a
/// bug in the message layout pass both sides unnoticed. The JS compatibility suite checks the same
/// signatures with Node's own crypto.
/// </remarks>
internal sealed class WebhookSigner
{
    private readonly Ed25519PrivateKeyParameters _privateKey;

    public WebhookSigner()
    {
        _privateKey = new Ed25519PrivateKeyParameters(new SecureRandom());
        PublicKey = _privateKey.GeneratePublicKey().GetEncoded();
        KeyId = Thumbprint(PublicKey);
    }

    /// <summary>The 32-byte ED25519 public key.</summary>
    public byte[] PublicKey { get; }

    /// <summary>RFC 7638 JWK thumbprint of the public key: stable for the key, unique per emulator run.</summary>
    public string KeyId { get; }

    /// <summary>
    /// fal's signed message: <c>request_id \n user_id \n timestamp \n hex(sha256(body))</c>, UTF-8,
    /// with the digest in lowercase hex over the exact bytes sent.
    /// </summary>
    public static byte[] Message(string requestId, string userId, string timestamp, byte[] body)
    {
        var digest = Convert.ToHexString(SHA256.HashData(body)).ToLowerInvariant();
        return Encoding.UTF8.GetBytes($"{requestId}\n{userId}\n{timestamp}\n{digest}");
    }

    /// <summary>The signature header value: 64 signature bytes as lowercase hex.</summary>
    public string Sign(string requestId, string userId, string timestamp, byte[] body)
    {
        var message = Message(requestId, userId, timestamp, body);
        var signer = new Ed25519Signer();
        signer.Init(true, _privateKey);
        signer.BlockUpdate(message, 0, message.Length);
        return Convert.ToHexString(signer.GenerateSignature()).ToLowerInvariant();
    }

    /// <summary>The document served at <c>/.well-known/jwks.json</c>.</summary>
    public JsonObject Jwks() => new()
    {
        ["keys"] = new JsonArray
        {
            new JsonObject
            {
                ["kty"] = "OKP",
                ["crv"] = "Ed25519",
                ["x"] = Base64Url(PublicKey),
                ["kid"] = KeyId,
                ["use"] = "sig",
                ["alg"] = "EdDSA",
            },
        },
    };

    private static string Thumbprint(byte[] publicKey)
    {
        // RFC 7638/8037: SHA-256 over the required members in lexicographic order, no whitespace.
        var canonical = $"{{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"{Base64Url(publicKey)}\"}}";
        return Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
