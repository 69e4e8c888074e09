using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Seedream.Crypto
{
    /// <summary>
    /// ED25519 signature checks for fal's webhook signatures. Only platform types cross this
    /// boundary: callers in another load context share nothing with BouncyCastle.
    /// </summary>
    public static class Ed25519
    {
        /// <summary>Length of a raw public key.</summary>
        public const int PublicKeyLength = 32;

        /// <summary>True when the 32 bytes are a usable public key (a point on the curve).</summary>
        public static bool IsPublicKey(byte[] publicKey)
        {
            if (publicKey == null || publicKey.Length != PublicKeyLength) return false;
            try
            {
                _ = new Ed25519PublicKeyParameters(publicKey, 0);
                return true;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

        /// <summary>True when <paramref name="signature"/> is a valid signature of <paramref name="message"/> by the key.</summary>
        public static bool Verify(byte[] publicKey, byte[] message, byte[] signature)
        {
            if (message == null) throw new ArgumentNullException(nameof(message));
            if (signature == null) throw new ArgumentNullException(nameof(signature));
            if (!IsPublicKey(publicKey)) throw new ArgumentException("Not an ED25519 public key.", nameof(publicKey));
            var verifier = new Ed25519Signer();
            verifier.Init(false, new Ed25519PublicKeyParameters(publicKey, 0));
            verifier.BlockUpdate(message, 0, message.Length);
            return verifier.VerifySignature(signature);
        }
    }
}
