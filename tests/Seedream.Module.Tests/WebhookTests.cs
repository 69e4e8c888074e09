using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Seedream.Emulator;
using Seedream.TestSupport;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>
    /// Test-SeedreamWebhookSignature on real deliveries: a job submitted with -WebhookUrl through the
    /// hosted engine, the emulator's signed POST captured by a loopback receiver, then checked.
    /// </summary>
    public partial class WebhookTests : IClassFixture<EmulatorFixture>
    {
        private const string RequestIdHeader = "X-Fal-Webhook-Request-Id";
        private const string UserIdHeader = "X-Fal-Webhook-User-Id";
        private const string TimestampHeader = "X-Fal-Webhook-Timestamp";
        private const string SignatureHeader = "X-Fal-Webhook-Signature";

        private readonly EmulatorFixture _fx;
        public WebhookTests(EmulatorFixture fx) => _fx = fx;

        private string Jwks => _fx.Emulator.JwksUrl.AbsoluteUri;

        /// <summary>Submits through the module with -WebhookUrl and returns the request the receiver got.</summary>
        private async Task<(ReceivedWebhook Hook, string RequestId)> DeliverAsync(string? image = null)
        {
            await using var receiver = await WebhookReceiver.StartAsync();
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Submit-SeedreamJob -Prompt 'webhook test' -Image $img -WebhookUrl $hook", new Dictionary<string, object?>
            {
                ["img"] = image ?? TestImages.DataUri,
                ["hook"] = receiver.Url.AbsoluteUri,
            });
            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            Assert.Contains(r.Warnings, w => w.Message.Contains("plain http")); // loopback receiver, so http
            var requestId = (string)r.Single("Seedream.Job").P("RequestId")!;
            var hook = Assert.Single(await receiver.WaitForAsync(1));
            return (hook, requestId);
        }

        private static Hashtable HeaderTable(ReceivedWebhook hook)
        {
            var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (var pair in hook.Headers) table[pair.Key] = pair.Value;
            return table;
        }

        private static PSObject Verdict(PsResult r)
        {
            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            return r.Single("Seedream.WebhookVerdict");
        }

        private async Task<string> EmulatorKeyIdAsync()
        {
            using var http = new HttpClient();
            using var doc = JsonDocument.Parse(await http.GetStringAsync(_fx.Emulator.JwksUrl));
            return doc.RootElement.GetProperty("keys")[0].GetProperty("kid").GetString()!;
        }

        [Fact]
        public async Task A_delivered_webhook_verifies_against_the_emulator_jwks()
        {
            var (hook, requestId) = await DeliverAsync();
            Assert.Equal(requestId, hook.Headers[RequestIdHeader]);

            var verdict = Verdict(Verify(HeaderTable(hook), hook.Body));
            Assert.True((bool)verdict.P("IsValid")!);
            Assert.Equal("Valid", verdict.P("Reason")!.ToString());
            Assert.Equal(requestId, verdict.P("RequestId"));
            Assert.Equal(FalEmulator.WebhookUserId, verdict.P("UserId"));
            Assert.Equal(await EmulatorKeyIdAsync(), verdict.P("KeyId"));
            var signedAt = (DateTimeOffset)verdict.P("Timestamp")!;
            Assert.InRange(signedAt, DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow.AddSeconds(1));
            Assert.Null(verdict.P("MissingHeader"));

            // The same body as a string (what $Request.RawBody gives) hashes to the same bytes.
            var fromString = Verdict(Verify(HeaderTable(hook), Encoding.UTF8.GetString(hook.Body)));
            Assert.True((bool)fromString.P("IsValid")!);
        }

        [Fact]
        public async Task Header_collections_of_every_common_shape_are_read_case_insensitively()
        {
            var (hook, _) = await DeliverAsync();
            var lower = hook.Headers.ToDictionary(p => p.Key.ToLowerInvariant(), p => p.Value); // ordinal comparer on purpose
            var arrays = hook.Headers.ToDictionary(p => p.Key.ToUpperInvariant(), p => new[] { p.Value });
            var nvc = new WebHeaderCollection();
            foreach (var p in hook.Headers) nvc.Add(p.Key, p.Value);
            using var message = new HttpRequestMessage();
            foreach (var p in hook.Headers) message.Headers.TryAddWithoutValidation(p.Key, p.Value);
            var aspNet = new Microsoft.AspNetCore.Http.HeaderDictionary();
            foreach (var p in hook.Headers) aspNet[p.Key] = p.Value;

            foreach (var headers in new object[] { lower, arrays, nvc, message.Headers, aspNet })
            {
                var verdict = Verdict(Verify(headers, hook.Body));
                Assert.True((bool)verdict.P("IsValid")!, $"{headers.GetType().Name}: {verdict.P("Message")}");
            }

            // Azure Automation hands the headers over as an object with one property per header.
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run("$WebhookData = [pscustomobject]@{ RequestHeader = [pscustomobject]$h; RequestBody = $body }; " +
                           "Test-SeedreamWebhookSignature -Headers $WebhookData.RequestHeader -Body $WebhookData.RequestBody -JwksUrl $jwks",
                new Dictionary<string, object?> { ["h"] = HeaderTable(hook), ["body"] = Encoding.UTF8.GetString(hook.Body), ["jwks"] = Jwks });
            Assert.True((bool)Verdict(r).P("IsValid")!);
        }

        /// <summary>
        /// In this test process BouncyCastle is already on the probing path (the emulator uses it), which
        /// would hide a module that cannot find its own copy. pwsh has no such luck, so the check runs in a
        /// child process that has only the PowerShell engine, like pwsh.
        /// </summary>
        [Fact]
        public async Task In_a_host_like_pwsh_the_module_loads_its_signature_library_from_its_dependencies_folder()
        {
            var (hook, requestId) = await DeliverAsync();
            var configuration = new System.IO.DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // Debug or Release
            var hostDir = System.IO.Path.Combine(Paths.RepoRoot, "tests", "Seedream.BareHost", "bin", configuration, "net10.0");
            Assert.DoesNotContain("BouncyCastle", System.IO.File.ReadAllText(System.IO.Path.Combine(hostDir, "Seedream.BareHost.deps.json")));

            using var dir = new TempDir();
            var bodyPath = System.IO.Path.Combine(dir.Path, "body.json");
            System.IO.File.WriteAllBytes(bodyPath, hook.Body);
            static string Q(string s) => "'" + s.Replace("'", "''") + "'";
            var headers = string.Join("; ", new[] { RequestIdHeader, UserIdHeader, TimestampHeader, SignatureHeader }.Select(n => $"{Q(n)} = {Q(hook.Headers[n])}"));
            var scriptPath = System.IO.Path.Combine(dir.Path, "verify.ps1");
            System.IO.File.WriteAllText(scriptPath, string.Join("\n",
                $"Import-Module {Q(Paths.ModuleManifest)} -ErrorAction Stop",
                $"$v = Test-SeedreamWebhookSignature -Headers @{{ {headers} }} -Body ([System.IO.File]::ReadAllBytes({Q(bodyPath)})) -JwksUrl {Q(Jwks)}",
                "$v.Reason.ToString()",
                "$v.RequestId",
                // A type literal would not do: on PowerShell 7 BouncyCastle lives in the module's own load context.
                "([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'BouncyCastle.Cryptography' }).Location"));

            var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && System.IO.File.Exists(h) ? h : "dotnet";
            var start = new System.Diagnostics.ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(System.IO.Path.Combine(hostDir, "Seedream.BareHost.dll"));
            start.ArgumentList.Add(scriptPath);
            using var process = System.Diagnostics.Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(120_000), "the bare host did not finish");
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}");
            var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal("Valid", lines[0]);
            Assert.Equal(requestId, lines[1]);
            Assert.Equal(System.IO.Path.Combine(Paths.RepoRoot, "output", "Seedream", "dependencies", "BouncyCastle.Cryptography.dll"), lines[2]);
        }

        [Fact]
        public async Task The_body_may_be_a_stream_or_a_list_of_bytes()
        {
            var (hook, _) = await DeliverAsync();
            using var stream = new System.IO.MemoryStream(hook.Body);
            Assert.True((bool)Verdict(Verify(HeaderTable(hook), stream)).P("IsValid")!);

            // What a pipeline of bytes becomes in PowerShell: object[] of byte.
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run("$list = @($bytes | ForEach-Object { $_ }); $list.GetType().Name; Test-SeedreamWebhookSignature -Headers $h -Body $list -JwksUrl $jwks",
                new Dictionary<string, object?> { ["bytes"] = hook.Body, ["h"] = HeaderTable(hook), ["jwks"] = Jwks });
            Assert.Empty(r.Errors);
            Assert.Equal("Object[]", r.Output[0].ToString());
            Assert.True((bool)r.Output[1].P("IsValid")!);
        }

        [Fact]
        public async Task A_tampered_body_is_a_bad_signature()
        {
            var (hook, requestId) = await DeliverAsync();
            var text = Encoding.UTF8.GetString(hook.Body).Replace("\"status\":\"OK\"", "\"status\":\"ERROR\"");
            Assert.NotEqual(Encoding.UTF8.GetString(hook.Body), text);

            var verdict = Verdict(Verify(HeaderTable(hook), text));
            Assert.False((bool)verdict.P("IsValid")!);
            Assert.Equal("BadSignature", verdict.P("Reason")!.ToString());
            Assert.Equal(requestId, verdict.P("RequestId")); // still reported, for logging
            Assert.Null(verdict.P("KeyId"));
        }

        [Fact]
        public async Task A_signature_checked_against_another_emulators_keys_is_a_bad_signature()
        {
            var (hook, _) = await DeliverAsync();
            await using var other = await FalEmulator.StartAsync(new EmulatorOptions { ProcessingMs = 10 });
            var verdict = Verdict(Verify(HeaderTable(hook), hook.Body, other.JwksUrl.AbsoluteUri));
            Assert.False((bool)verdict.P("IsValid")!);
            // fal sends no key id, so "signed by a key the JWKS does not list" looks like any other mismatch.
            Assert.Equal("BadSignature", verdict.P("Reason")!.ToString());
            Assert.Equal(other.JwksUrl, verdict.P("JwksUrl"));
        }

        [Fact]
        public async Task A_timestamp_outside_the_tolerance_is_stale()
        {
            var (hook, _) = await DeliverAsync();
            var later = DateTimeOffset.UtcNow.AddSeconds(420);

            var stale = Verdict(Verify(HeaderTable(hook), hook.Body, extra: "-Now $now", now: later));
            Assert.False((bool)stale.P("IsValid")!);
            Assert.Equal("StaleTimestamp", stale.P("Reason")!.ToString());
            Assert.Contains("300", (string)stale.P("Message")!);

            var earlier = Verdict(Verify(HeaderTable(hook), hook.Body, extra: "-Now $now", now: DateTimeOffset.UtcNow.AddSeconds(-420)));
            Assert.Equal("StaleTimestamp", earlier.P("Reason")!.ToString());

            var widened = Verdict(Verify(HeaderTable(hook), hook.Body, extra: "-Now $now -ToleranceSec 900", now: later));
            Assert.True((bool)widened.P("IsValid")!);
        }

        private PsResult Verify(object? headers, object? body, string? jwks = null, string extra = "", DateTimeOffset? now = null)
        {
            using var ps = new PsHost(null, connect: false);
            return ps.Run("Test-SeedreamWebhookSignature -Headers $h -Body $b -JwksUrl $jwks " + extra, new Dictionary<string, object?>
            {
                ["h"] = headers,
                ["b"] = body,
                ["jwks"] = jwks ?? Jwks,
                ["now"] = now,
            });
        }

        [Theory]
        [InlineData(RequestIdHeader)]
        [InlineData(UserIdHeader)]
        [InlineData(TimestampHeader)]
        [InlineData(SignatureHeader)]
        public async Task A_missing_header_is_named(string header)
        {
            var (hook, _) = await DeliverAsync();
            var headers = HeaderTable(hook);
            headers.Remove(header);
            var verdict = Verdict(Verify(headers, hook.Body));
            Assert.False((bool)verdict.P("IsValid")!);
            Assert.Equal("MissingHeader", verdict.P("Reason")!.ToString());
            Assert.Equal(header, verdict.P("MissingHeader"));

            headers[header] = "   "; // present but blank counts as missing
            Assert.Equal(header, Verdict(Verify(headers, hook.Body)).P("MissingHeader"));
        }

        [Fact]
        public async Task Malformed_signature_and_timestamp_are_reported_as_such()
        {
            var (hook, _) = await DeliverAsync();
            var headers = HeaderTable(hook);
            headers[SignatureHeader] = "not-hex";
            Assert.Equal("MalformedSignature", Verdict(Verify(headers, hook.Body)).P("Reason")!.ToString());
            headers[SignatureHeader] = hook.Headers[SignatureHeader].Substring(0, 126); // 63 bytes
            Assert.Equal("MalformedSignature", Verdict(Verify(headers, hook.Body)).P("Reason")!.ToString());

            headers = HeaderTable(hook);
            headers[TimestampHeader] = "2026-01-01T00:00:00Z";
            Assert.Equal("MalformedTimestamp", Verdict(Verify(headers, hook.Body)).P("Reason")!.ToString());
        }

        [Fact]
        public async Task An_unreachable_jwks_is_reported_with_a_warning_and_a_jwks_without_ed25519_keys_as_NoKeys()
        {
            var (hook, _) = await DeliverAsync();
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();

            var r = Verify(HeaderTable(hook), hook.Body, $"http://127.0.0.1:{port}/.well-known/jwks.json");
            var verdict = Verdict(r);
            Assert.Equal("JwksUnavailable", verdict.P("Reason")!.ToString());
            Assert.False((bool)verdict.P("IsValid")!);
            Assert.Single(r.Warnings);

            await using var rsaOnly = await WebhookReceiver.StartAsync();
            rsaOnly.JsonAnswer = "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"kid\":\"rsa\"}]}";
            Assert.Equal("NoKeys", Verdict(Verify(HeaderTable(hook), hook.Body, rsaOnly.Url.AbsoluteUri)).P("Reason")!.ToString());
            Assert.DoesNotContain(rsaOnly.Received, w => w.Headers.ContainsKey("Authorization")); // the JWKS is fetched without any key
        }

        [Fact]
        public async Task The_jwks_is_fetched_once_and_then_served_from_the_cache()
        {
            var (hook, _) = await DeliverAsync();
            Assert.True((bool)Verdict(Verify(HeaderTable(hook), hook.Body)).P("IsValid")!);
            var before = JwksFetches();
            for (var i = 0; i < 3; i++) Assert.True((bool)Verdict(Verify(HeaderTable(hook), hook.Body)).P("IsValid")!);
            Assert.Equal(before, JwksFetches());
            Assert.True(before >= 1);
        }

        private long JwksFetches() => _fx.Stats.RequestsByRoute.TryGetValue("jwks", out var n) ? n : 0;

        public static IEnumerable<object?[]> BadInputs() => new[]
        {
            new object?[] { "-Headers $null -Body '{}'", "SeedreamWebhookHeadersMissing", ErrorCategory.InvalidArgument },
            new object?[] { "-Headers 'X-Fal-Webhook-Signature: ab' -Body '{}'", "SeedreamWebhookHeadersInvalid", ErrorCategory.InvalidArgument },
            new object?[] { "-Headers @(1, 2) -Body '{}'", "SeedreamWebhookHeadersInvalid", ErrorCategory.InvalidArgument },
            new object?[] { "-Headers 42 -Body '{}'", "SeedreamWebhookHeadersInvalid", ErrorCategory.InvalidArgument },
            new object?[] { "-Headers @{} -Body $null", "SeedreamWebhookBodyMissing", ErrorCategory.InvalidArgument },
            new object?[] { "-Headers @{} -Body @{ request_id = 'x' }", "SeedreamWebhookBodyNotRaw", ErrorCategory.InvalidArgument },
            new object?[] { "-Headers @{} -Body ([pscustomobject]@{ status = 'OK' })", "SeedreamWebhookBodyNotRaw", ErrorCategory.InvalidArgument },
            new object?[] { "-Headers @{} -Body 42", "SeedreamWebhookBodyNotRaw", ErrorCategory.InvalidArgument },
            new object?[] { "-Headers @{} -Body '{}' -JwksUrl 'ftp://keys.example/jwks.json'", "SeedreamWebhookJwksUrlInvalid", ErrorCategory.InvalidArgument },
            new object?[] { "-Headers @{} -Body '{}' -JwksUrl 'jwks.json'", "SeedreamWebhookJwksUrlInvalid", ErrorCategory.InvalidArgument },
            new object?[] { "-Headers @{} -Body '{}' -JwksUrl 'http://keys.example/jwks.json'", "SeedreamWebhookJwksUrlInsecure", ErrorCategory.SecurityError },
            new object?[] { "-Headers @{} -Body '{}' -ToleranceSec -1", "SeedreamWebhookToleranceInvalid", ErrorCategory.InvalidArgument },
            new object?[] { "-Headers @{} -Body '{}' -ToleranceSec 86401", "SeedreamWebhookToleranceInvalid", ErrorCategory.InvalidArgument },
        };

        [Theory]
        [MemberData(nameof(BadInputs))]
        public void Bad_input_gets_a_specific_error_and_no_verdict(string arguments, string errorId, ErrorCategory category)
        {
            using var ps = new PsHost(null, connect: false);
            var fetches = JwksFetches();
            var r = ps.Run("Test-SeedreamWebhookSignature " + arguments);
            Assert.Null(r.Terminating);
            Assert.Empty(r.Output);
            Assert.Contains(errorId, r.ErrorIds);
            Assert.All(r.Errors.Where(e => e.FullyQualifiedErrorId.StartsWith(errorId)), e => Assert.Equal(category, e.CategoryInfo.Category));
            Assert.Equal(fetches, JwksFetches());
        }

        [Fact]
        public void Headers_alone_decide_before_any_key_is_fetched()
        {
            // Missing headers never cost a JWKS fetch, even to an address that does not exist.
            var r = Verify(new Hashtable(), "{}", "https://jwks.invalid/.well-known/jwks.json");
            var verdict = Verdict(r);
            Assert.Equal("MissingHeader", verdict.P("Reason")!.ToString());
            Assert.Equal(RequestIdHeader, verdict.P("MissingHeader"));
            Assert.Contains(SignatureHeader, (string)verdict.P("Message")!);
        }

        [Fact]
        public void The_cmdlet_defaults_to_fals_jwks_and_is_exported()
        {
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run("$c = Get-Command Test-SeedreamWebhookSignature; $c.ModuleName; $c.Parameters['JwksUrl'].ParameterType.FullName; $c.OutputType[0].Name");
            Assert.Empty(r.Errors);
            Assert.Equal(new[] { "Seedream", "System.Uri", "Seedream.WebhookVerdict" }, r.Output.Select(o => o.ToString()));
            var missing = ps.Run("Test-SeedreamWebhookSignature -Headers @{} -Body ''");
            Assert.Equal(new Uri("https://rest.alpha.fal.ai/.well-known/jwks.json"), Verdict(missing).P("JwksUrl"));
        }
    }
}
