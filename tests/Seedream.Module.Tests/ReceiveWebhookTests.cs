using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;
using System.Threading.Tasks;
using Seedream.TestSupport;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>Receive-SeedreamWebhook on real signed deliveries from the emulator, in the hosted engine.</summary>
    public partial class WebhookTests
    {
        private PsResult Receive(string script, IDictionary<string, object?> variables)
        {
            using var ps = new PsHost(_fx.Emulator);
            variables["jwks"] = Jwks;
            return ps.Run(script, variables);
        }

        [Fact]
        public async Task Receive_turns_a_delivery_into_an_EditResult_that_Save_SeedreamImage_saves()
        {
            var (hook, requestId) = await DeliverAsync();
            using var dir = new TempDir();
            var r = Receive("$result = Receive-SeedreamWebhook -Headers $h -Body $b -JwksUrl $jwks; $result; $result | Save-SeedreamImage -Destination $dir",
                new Dictionary<string, object?> { ["h"] = HeaderTable(hook), ["b"] = Encoding.UTF8.GetString(hook.Body), ["dir"] = dir.Path });
            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            Assert.Equal(2, r.Output.Count); // the result, then the saved file
            var result = r.Output[0];
            Assert.Equal("Seedream.EditResult", result.TypeNames[0]);
            Assert.Equal(requestId, result.P("RequestId"));
            Assert.Equal("fal-ai/bytedance/seedream/v5/lite/edit", result.P("Endpoint"));
            Assert.NotEmpty(result.Items("Images"));

            var file = Assert.Single(Directory.GetFiles(dir.Path));
            var head = File.ReadAllBytes(file).Take(8).ToArray();
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, head);
        }

        [Fact]
        public async Task Receive_takes_piped_requests_by_property_name_as_functions_and_automation_hand_them_over()
        {
            var (hook, requestId) = await DeliverAsync();
            var text = Encoding.UTF8.GetString(hook.Body);
            var r = Receive(
                // Functions: Body is parsed JSON and must be ignored in favour of RawBody.
                "[pscustomobject]@{ Headers = $h; Body = @{ status = 'OK'; request_id = 'parsed' }; RawBody = $raw } | Receive-SeedreamWebhook -JwksUrl $jwks -Endpoint 'fal-ai/custom/app'; " +
                // Automation: RequestHeader is an object with one property per header.
                "[pscustomobject]@{ WebhookName = 'fal'; RequestHeader = [pscustomobject]$h; RequestBody = $raw } | Receive-SeedreamWebhook -JwksUrl $jwks; " +
                "[pscustomobject]@{ Headers = $h; Body = $bytes } | Receive-SeedreamWebhook -JwksUrl $jwks",
                new Dictionary<string, object?> { ["h"] = HeaderTable(hook), ["raw"] = text, ["bytes"] = hook.Body });
            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            Assert.Equal(3, r.Output.Count);
            Assert.All(r.Output, o => Assert.Equal(requestId, o.P("RequestId")));
            Assert.Equal("fal-ai/custom/app", r.Output[0].P("Endpoint"));
        }

        [Fact]
        public async Task Receive_refuses_a_tampered_body_and_emits_nothing()
        {
            var (hook, requestId) = await DeliverAsync();
            var tampered = Encoding.UTF8.GetString(hook.Body).Replace("\"status\":\"OK\"", "\"status\":\"ERROR\"");
            var r = Receive("Receive-SeedreamWebhook -Headers $h -Body $b -JwksUrl $jwks",
                new Dictionary<string, object?> { ["h"] = HeaderTable(hook), ["b"] = tampered });
            Assert.Null(r.Terminating);
            Assert.Empty(r.Output);
            var error = Assert.Single(r.Errors);
            Assert.Equal("SeedreamWebhookRejected", r.ErrorIds.Single());
            Assert.Equal(ErrorCategory.SecurityError, error.CategoryInfo.Category);
            Assert.Contains("BadSignature", error.Exception.Message);
            Assert.Equal(requestId, error.TargetObject.P("RequestId")); // the verdict, for logs

            var headers = HeaderTable(hook);
            headers.Remove("X-Fal-Webhook-Signature");
            var missing = Receive("Receive-SeedreamWebhook -Headers $h -Body $b -JwksUrl $jwks",
                new Dictionary<string, object?> { ["h"] = headers, ["b"] = hook.Body });
            Assert.Empty(missing.Output);
            Assert.Equal("SeedreamWebhookRejected", missing.ErrorIds.Single());
            Assert.Contains("MissingHeader", missing.Errors[0].Exception.Message);
        }

        [Fact]
        public async Task Receive_refuses_a_stale_delivery_with_its_own_id_and_honours_ToleranceSec()
        {
            var (hook, _) = await DeliverAsync();
            var vars = new Dictionary<string, object?> { ["h"] = HeaderTable(hook), ["b"] = hook.Body, ["now"] = DateTimeOffset.UtcNow.AddSeconds(420) };
            var r = Receive("Receive-SeedreamWebhook -Headers $h -Body $b -JwksUrl $jwks -Now $now", vars);
            Assert.Empty(r.Output);
            Assert.Equal("SeedreamWebhookStale", r.ErrorIds.Single());
            Assert.Equal(ErrorCategory.SecurityError, r.Errors[0].CategoryInfo.Category);
            Assert.Contains("StaleTimestamp", r.Errors[0].Exception.Message);

            var widened = Receive("Receive-SeedreamWebhook -Headers $h -Body $b -JwksUrl $jwks -Now $now -ToleranceSec 900", vars);
            Assert.Empty(widened.Errors);
            Assert.Single(widened.Output);
        }

        [Fact]
        public async Task Receive_reports_an_unreachable_jwks_as_unavailable_not_as_forged()
        {
            var (hook, _) = await DeliverAsync();
            var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            listener.Start();
            var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run("Receive-SeedreamWebhook -Headers $h -Body $b -JwksUrl $jwks", new Dictionary<string, object?>
            {
                ["h"] = HeaderTable(hook), ["b"] = hook.Body, ["jwks"] = $"http://127.0.0.1:{port}/.well-known/jwks.json",
            });
            Assert.Empty(r.Output);
            Assert.Equal("SeedreamWebhookJwksUnavailable", r.ErrorIds.Single());
            Assert.Equal(ErrorCategory.ResourceUnavailable, r.Errors[0].CategoryInfo.Category);
            Assert.Contains("JwksUnavailable", r.Errors[0].Exception.Message);
        }

        [Fact]
        public async Task Receive_turns_a_genuine_delivery_of_a_failed_request_into_SeedreamJobFailed()
        {
            // The emulator cannot fetch this image, so the queued request fails and the webhook says ERROR.
            var (hook, requestId) = await DeliverAsync("https://example.com/missing.png");
            Assert.Contains("\"status\":\"ERROR\"", Encoding.UTF8.GetString(hook.Body));
            var r = Receive("Receive-SeedreamWebhook -Headers $h -Body $b -JwksUrl $jwks",
                new Dictionary<string, object?> { ["h"] = HeaderTable(hook), ["b"] = hook.Body });
            Assert.Null(r.Terminating);
            Assert.Empty(r.Output);
            var error = Assert.Single(r.Errors);
            Assert.Equal("SeedreamJobFailed", r.ErrorIds.Single());
            Assert.Equal(ErrorCategory.InvalidResult, error.CategoryInfo.Category);
            Assert.Equal(requestId, error.TargetObject);
            Assert.Contains("Invalid status code: 422", error.Exception.Message); // fal's error text
        }

        [Fact]
        public void Receive_is_exported_with_the_verification_parameters_of_Test_SeedreamWebhookSignature()
        {
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run("$c = Get-Command Receive-SeedreamWebhook; $c.ModuleName; $c.OutputType[0].Name; " +
                           "$c.Parameters['Headers'].Aliases -join ','; $c.Parameters['Body'].Aliases -join ','; " +
                           "(Get-Command Test-SeedreamWebhookSignature).Parameters['ToleranceSec'].Attributes.Count -eq $c.Parameters['ToleranceSec'].Attributes.Count");
            Assert.Empty(r.Errors);
            Assert.Equal(new[] { "Seedream", "Seedream.EditResult", "Header,RequestHeader", "RequestBody", "True" }, r.Output.Select(o => o.ToString()));
        }
    }
}

namespace Seedream.Module.Tests
{
    /// <summary>
    /// Bodies the emulator never sends (payload_error, not JSON), signed here with a key of the test's own,
    /// published by a local JWKS, so Receive-SeedreamWebhook sees them as genuine.
    /// </summary>
    public class ReceiveWebhookPayloadTests
    {
        private static readonly Org.BouncyCastle.Crypto.Parameters.Ed25519PrivateKeyParameters Key =
            new Org.BouncyCastle.Crypto.Parameters.Ed25519PrivateKeyParameters(new Org.BouncyCastle.Security.SecureRandom());

        private static string Jwk() =>
            "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"test\",\"x\":\"" +
            Convert.ToBase64String(Key.GeneratePublicKey().GetEncoded()).TrimEnd('=').Replace('+', '-').Replace('/', '_') + "\"}]}";

        /// <summary>fal's documented scheme: ED25519 over request id, user id, timestamp and hex SHA-256 of the body, one per line.</summary>
        private static System.Collections.Hashtable Sign(string requestId, string body)
        {
            var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            var digest = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(body))).ToLowerInvariant();
            var message = Encoding.UTF8.GetBytes($"{requestId}\nuser\n{timestamp}\n{digest}");
            var signer = new Org.BouncyCastle.Crypto.Signers.Ed25519Signer();
            signer.Init(true, Key);
            signer.BlockUpdate(message, 0, message.Length);
            return new System.Collections.Hashtable
            {
                ["X-Fal-Webhook-Request-Id"] = requestId,
                ["X-Fal-Webhook-User-Id"] = "user",
                ["X-Fal-Webhook-Timestamp"] = timestamp,
                ["X-Fal-Webhook-Signature"] = Convert.ToHexString(signer.GenerateSignature()).ToLowerInvariant(),
            };
        }

        [Theory]
        [InlineData("{\"request_id\":\"REQ\",\"status\":\"OK\",\"payload\":null,\"payload_error\":\"Response payload is not JSON serializable.\"}", "not JSON serializable")]
        [InlineData("this is not json", "cannot be read")]
        [InlineData("{\"request_id\":\"REQ\",\"status\":\"IN_PROGRESS\",\"payload\":{}}", "IN_PROGRESS")]
        [InlineData("{\"request_id\":\"REQ\",\"status\":\"OK\",\"payload\":[1,2]}", "not a JSON object")]
        public async Task A_genuine_delivery_without_a_readable_result_is_SeedreamWebhookPayloadInvalid(string body, string expected)
        {
            await using var jwks = await WebhookReceiver.StartAsync();
            jwks.JsonAnswer = Jwk();
            var requestId = Guid.NewGuid().ToString();
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run("Receive-SeedreamWebhook -Headers $h -Body $b -JwksUrl $jwks", new Dictionary<string, object?>
            {
                ["h"] = Sign(requestId, body), ["b"] = body, ["jwks"] = jwks.Url.AbsoluteUri,
            });
            Assert.Null(r.Terminating);
            Assert.Empty(r.Output);
            var error = Assert.Single(r.Errors);
            Assert.Equal("SeedreamWebhookPayloadInvalid", r.ErrorIds.Single());
            Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
            Assert.Equal(requestId, error.TargetObject);
            Assert.Contains(expected, error.Exception.Message);
            Assert.Contains("Receive-SeedreamJob", error.ErrorDetails.RecommendedAction);
        }
    }
}
