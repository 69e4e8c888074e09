using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using Seedream.TestSupport;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>The API key never shows up in any stream, error, host text or file.</summary>
    public class SecretTests : IClassFixture<EmulatorFixture>
    {
        private readonly EmulatorFixture _fx;
        public SecretTests(EmulatorFixture fx) => _fx = fx;

        [Fact]
        public void The_key_appears_in_no_output_of_any_cmdlet_even_with_Verbose_and_Debug()
        {
            using var dir = new TempDir();
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run(@"
                $DebugPreference = 'Continue'
                $VerbosePreference = 'Continue'
                Connect-Seedream -ApiKey $key -ProxyUrl $proxy -PassThru -Verbose -Debug
                Get-SeedreamContext
                $r = Invoke-SeedreamEdit -Prompt 'leak check' -Image $img -Verbose -Debug
                $r; $r.Images; $r.RawJson
                $j = Submit-SeedreamJob -Prompt 'leak check 2' -Image $img -Verbose -Debug
                $j | Get-SeedreamJobStatus -Logs -Verbose -Debug
                $j | Wait-SeedreamJob -Verbose -Debug | Receive-SeedreamJob -Verbose -Debug
                $j | Stop-SeedreamJob -PassThru -Verbose -Debug
                Invoke-SeedreamEdit -Prompt 'bad' -Image 'http://127.0.0.1:9/missing.png' -Verbose -Debug
                Invoke-SeedreamEdit -Prompt 'x' -Image $img -Endpoint 'someone/unknown-app' -Verbose -Debug
                Invoke-SeedreamEdit -Prompt 'x' -Image $img -WhatIf
                Connect-Seedream -ApiKey ('wrong-' + $key) -ProxyUrl $proxy -Verbose -Debug
                Invoke-SeedreamEdit -Prompt 'wrong key' -Image $img -Verbose -Debug
                $Error | ForEach-Object { $_.ToString(); $_.Exception.ToString(); $_.ErrorDetails.Message; $_.ScriptStackTrace }
                [System.IO.File]::WriteAllText($dir + '/dump.txt', [string]$r)
            ", new Dictionary<string, object?>
            {
                ["key"] = EmulatorFixture.Key,
                ["proxy"] = _fx.Emulator.ProxyUrl.AbsoluteUri,
                ["img"] = TestImages.DataUri,
                ["dir"] = dir.Path,
            });
            // The run exercised the paths that matter: success, server errors and a rejected key.
            Assert.Contains("SeedreamInputRejected", r.ErrorIds);
            Assert.Contains("SeedreamNotFound", r.ErrorIds);
            Assert.Contains("SeedreamUnauthorized", r.ErrorIds);
            Assert.NotEmpty(r.Verbose);
            Assert.NotEmpty(r.Debug.Concat<object>(r.Verbose));
            var text = r.AllText() + "\n" + ps.HostText + "\n" + string.Join("\n", Directory.GetFiles(dir.Path).Select(File.ReadAllText));
            Assert.DoesNotContain(EmulatorFixture.Key, text);
            Assert.DoesNotContain("LEAKCHECK", text);
        }

        /// <summary>
        /// One script per exported cmdlet, each with -Verbose -Debug; variables are global so later lines can use
        /// earlier results. -WarningAction Continue because -Debug makes warnings ask the user, which this host cannot.
        /// </summary>
        private static readonly Dictionary<string, string> EveryCmdlet = new Dictionary<string, string>
        {
            ["Connect-Seedream"] = "Connect-Seedream -ApiKey $key -ProxyUrl $proxy -RetryDelayMilliseconds 10 -MaxRetryCount 1 -PassThru -Verbose -Debug -WarningAction Continue",
            ["Get-SeedreamContext"] = "Get-SeedreamContext -Verbose -Debug -WarningAction Continue | ForEach-Object { $_.PSObject.Properties | ForEach-Object { '{0}={1}' -f $_.Name, $_.Value } }",
            ["Send-SeedreamFile"] = "$global:f = Send-SeedreamFile -LiteralPath $png -Verbose -Debug -WarningAction Continue; $f; $f.Url",
            ["Invoke-SeedreamEdit"] = "$global:r = Invoke-SeedreamEdit -Prompt 'every cmdlet' -Image $png, $f -OutFolder $out -Verbose -Debug -WarningAction Continue; $r; $r.Images; $r.RawJson",
            // Text-to-image: the emulator serves it once it has the family models; before that the 404 path is checked.
            ["New-SeedreamImage"] = "New-SeedreamImage -Prompt 'every cmdlet t2i' -NumImages 2 -OutFolder $out -Verbose -Debug -WarningAction Continue | ForEach-Object { $_; $_.RawJson }",
            ["Get-SeedreamModel"] = "Get-SeedreamModel -Verbose -Debug -WarningAction Continue | Format-List | Out-String",
            ["Submit-SeedreamJob"] = "$global:j = Submit-SeedreamJob -Prompt 'every cmdlet 2' -Image $img -WebhookUrl 'https://hooks.example.com/seedream?token=t' -Verbose -Debug -WarningAction Continue; $j",
            // The journal file lands in $out, so the search of written files covers it too.
            ["Get-SeedreamJournal"] = "Submit-SeedreamJob -Prompt 'journaled' -Image $img -Journal (Join-Path $out 'j.jsonl') -Verbose -Debug -WarningAction Continue | Out-Null; $gj = Get-SeedreamJournal (Join-Path $out 'j.jsonl') -Verbose -Debug -WarningAction Continue; $gj; $gj.Entries",
            ["Get-SeedreamJobStatus"] = "$j | Get-SeedreamJobStatus -Logs -Verbose -Debug -WarningAction Continue",
            ["Wait-SeedreamJob"] = "$global:s = $j | Wait-SeedreamJob -Verbose -Debug -WarningAction Continue; $s; $s.Logs",
            ["Receive-SeedreamJob"] = "$global:res = $s | Receive-SeedreamJob -Verbose -Debug -WarningAction Continue; $res",
            ["Save-SeedreamImage"] = "$res | Save-SeedreamImage -Destination $out -NameTemplate 'saved-{Index}.{ext}' -Verbose -Debug -WarningAction Continue",
            ["Stop-SeedreamJob"] = "$j | Stop-SeedreamJob -PassThru -Confirm:$false -Verbose -Debug -WarningAction Continue",
            ["Test-SeedreamWebhookSignature"] = "Test-SeedreamWebhookSignature -Headers @{ 'x-fal-webhook-request-id' = 'x'; 'x-fal-webhook-signature' = 'zz' } -Body '{}' -JwksUrl $jwks -Verbose -Debug -WarningAction Continue",
            ["Receive-SeedreamWebhook"] = "Receive-SeedreamWebhook -Headers @{ 'x-fal-webhook-request-id' = 'x'; 'x-fal-webhook-signature' = 'zz' } -Body '{}' -JwksUrl $jwks -Verbose -Debug -WarningAction Continue",
            ["Disconnect-Seedream"] = "Disconnect-Seedream -Verbose -Debug -WarningAction Continue",
        };

        /// <summary>Everything a run left: all six streams, progress, error records with their exceptions, host text.</summary>
        private static string Everything(PsHost ps, IEnumerable<PsResult> runs, string folder)
        {
            var text = string.Join("\n", runs.Select(r => r.AllText() + "\n" + string.Join("\n", r.Errors.Select(e => e.ScriptStackTrace + e.InvocationInfo?.Line + e.CategoryInfo))));
            var files = Directory.Exists(folder) ? Directory.GetFiles(folder, "*", SearchOption.AllDirectories) : Array.Empty<string>();
            // Files are searched as bytes read as Latin-1, so binary PNGs are searched too.
            return text + "\n" + ps.HostText + "\n" + string.Join("\n", files.Select(f => System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(f))));
        }

        private static void AssertNoKey(string text)
        {
            Assert.DoesNotContain(EmulatorFixture.Key, text);
            Assert.DoesNotContain("LEAKCHECK", text);
            Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(EmulatorFixture.Key)), text);
        }

        [Fact]
        public void Every_exported_cmdlet_runs_with_Verbose_and_Debug_and_the_key_shows_up_nowhere()
        {
            using var dir = new TempDir();
            var png = TestImages.WritePng(dir.Path, "in.png");
            var output = Path.Combine(dir.Path, "out");
            using var ps = new PsHost(_fx.Emulator);
            var exported = ps.Run("(Get-Command -Module Seedream).Name").Output.Select(o => o.ToString()).OrderBy(n => n, StringComparer.Ordinal).ToArray();
            // A cmdlet added later without a line here fails this test instead of going unchecked.
            Assert.Equal(EveryCmdlet.Keys.OrderBy(n => n, StringComparer.Ordinal).ToArray(), exported);

            var vars = new Dictionary<string, object?>
            {
                ["key"] = EmulatorFixture.Key, ["proxy"] = _fx.Emulator.ProxyUrl.AbsoluteUri, ["img"] = TestImages.DataUri,
                ["png"] = png, ["out"] = output, ["jwks"] = _fx.Emulator.JwksUrl.AbsoluteUri,
            };
            var runs = EveryCmdlet.Values.Select(script => ps.Run(script, vars)).ToList();
            // And the failure paths: an unknown endpoint, an image the server cannot load, a wrong key.
            runs.Add(ps.Run(@"
                Connect-Seedream -ApiKey $key -ProxyUrl $proxy -RetryDelayMilliseconds 10 -MaxRetryCount 1
                Invoke-SeedreamEdit -Prompt 'x' -Image $img -Endpoint 'someone/unknown-app' -Verbose -Debug
                Invoke-SeedreamEdit -Prompt 'bad' -Image 'http://127.0.0.1:9/missing.png' -Verbose -Debug
                Connect-Seedream -ApiKey ('wrong-' + $key) -ProxyUrl $proxy -Verbose -Debug
                Get-SeedreamJobStatus -RequestId $j.RequestId -Verbose -Debug
                $Error | ForEach-Object { $_.ToString(); $_.Exception.ToString(); $_.ErrorDetails.Message; $_.ScriptStackTrace }", vars));

            Assert.All(runs, r => Assert.Null(r.Terminating));
            var all = runs.SelectMany(r => r.Output).Where(o => o != null).Select(o => o.BaseObject).ToList();
            Assert.Contains(all, o => o.GetType().FullName == "Seedream.EditResult");
            Assert.Contains(all, o => o.GetType().Name == "CancelResult");
            Assert.Contains(all, o => o is FileInfo);
            Assert.Contains("SeedreamUnauthorized", runs.SelectMany(r => r.ErrorIds));
            Assert.Contains("SeedreamNotFound", runs.SelectMany(r => r.ErrorIds));
            Assert.Contains("SeedreamInputRejected", runs.SelectMany(r => r.ErrorIds));
            Assert.NotEmpty(runs.SelectMany(r => r.Verbose));
            Assert.NotEmpty(runs.SelectMany(r => r.Progress));
            Assert.NotEmpty(Directory.GetFiles(output));
            AssertNoKey(Everything(ps, runs, dir.Path));
            Assert.Equal(0, _fx.Stats.DirectRequestsWithAuthorization);
        }

        [Fact]
        public async Task A_server_that_echoes_the_key_back_gets_it_scrubbed_from_every_stream()
        {
            // A hostile proxy that puts the key it received into error bodies, garbled answers,
            // status errors, log lines, validation details and a request-id header.
            await using var echo = await ScriptedFal.StartAsync(async (ctx, route, n) =>
            {
                var key = ctx.Request.Headers.Authorization.ToString().Replace("Key ", "");
                switch (route)
                {
                    case "storage" when n == 0:
                        await ScriptedFal.Json(ctx, 422, "{\"detail\":[{\"loc\":[\"body\",\"" + key + "\"],\"msg\":\"bad " + key + "\",\"type\":\"" + key + "\"}]}");
                        return;
                    case "submit" when n == 0:
                        await ScriptedFal.Json(ctx, 200, "{\"request_id\":\"" + key + "\"}", ("x-fal-request-id", key));
                        return;
                    case "submit":
                        await ScriptedFal.Json(ctx, 200, "{\"request_id\":\"" + ScriptedFal.RequestId + "\",\"echo\":\"" + key + "\"}", ("x-fal-request-id", key));
                        return;
                    case "stream":
                        ctx.Response.ContentType = "text/event-stream";
                        await ScriptedFal.Write(ctx, "data: {\"status\": " + key + "\n\n");
                        return;
                    case "status" when n == 0:
                        await ScriptedFal.Json(ctx, 500, "{\"detail\":\"upstream saw " + key + "\",\"error_type\":\"" + key + "\"}", ("x-fal-request-id", key));
                        return;
                    case "status":
                        await ScriptedFal.Status(ctx, "COMPLETED", "\"error\":\"failed for " + key + "\",\"error_type\":\"internal_error\",\"logs\":[{\"message\":\"log " + key + "\"}]");
                        return;
                    case "result":
                        await ScriptedFal.Json(ctx, 200, "<html>" + key + "</html>");
                        return;
                    default:
                        await ScriptedFal.Json(ctx, 400, "{\"detail\":\"" + key + "\"}", ("x-fal-request-id", key));
                        return;
                }
            });
            using var dir = new TempDir();
            var png = TestImages.WritePng(dir.Path, "in.png");
            using var ps = new PsHost(null, connect: false);
            var vars = new Dictionary<string, object?> { ["key"] = EmulatorFixture.Key, ["proxy"] = echo.ProxyUrl.AbsoluteUri, ["img"] = TestImages.DataUri, ["png"] = png, ["out"] = Path.Combine(dir.Path, "out") };
            var r = ps.Run(@"
                Connect-Seedream -ApiKey $key -ProxyUrl $proxy -RetryDelayMilliseconds 10 -MaxRetryCount 1
                Send-SeedreamFile -LiteralPath $png -Verbose -Debug
                Submit-SeedreamJob -Prompt 'echo' -Image $img -Verbose -Debug
                $j = Submit-SeedreamJob -Prompt 'echo' -Image $img -Verbose -Debug
                $j
                $j | Get-SeedreamJobStatus -Logs -Verbose -Debug
                $j | Wait-SeedreamJob -Verbose -Debug | ForEach-Object { $_; $_.Error; $_.Logs }
                $j | Receive-SeedreamJob -Status COMPLETED -Verbose -Debug
                $j | Stop-SeedreamJob -Confirm:$false -Verbose -Debug
                Invoke-SeedreamEdit -Prompt 'echo' -Image $img -OutFolder $out -Verbose -Debug
                $Error | ForEach-Object { $_.ToString(); $_.Exception.ToString(); $_.ErrorDetails.Message; $_.TargetObject; $_.Exception.Detail; $_.Exception.ErrorType; $_.Exception.ValidationErrors; $_.Exception.RequestId }", vars);

            Assert.Null(r.Terminating);
            // The hostile answers were met: rejected input, an unusable submit, garbled results, server errors.
            Assert.Contains("SeedreamInputRejected", r.ErrorIds);
            Assert.Contains("SeedreamProtocolError", r.ErrorIds);
            Assert.Contains(r.Output, o => o?.BaseObject.GetType().FullName == "Seedream.Job");
            Assert.Contains(r.Output, o => o?.BaseObject.GetType().FullName == "Seedream.JobStatus");
            Assert.All(r.Errors, e => Assert.NotEqual(EmulatorFixture.Key, e.TargetObject as string));
            AssertNoKey(Everything(ps, new[] { r }, dir.Path));
        }

        [Fact]
        public void Context_and_connection_objects_never_hold_the_key()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("$c = Connect-Seedream -ApiKey $key -ProxyUrl $proxy -PassThru; $c | ForEach-Object { $_.PSObject.Properties | ForEach-Object { '{0}={1}' -f $_.Name, $_.Value } }",
                new Dictionary<string, object?> { ["key"] = EmulatorFixture.Key, ["proxy"] = _fx.Emulator.ProxyUrl.AbsoluteUri });
            Assert.Empty(r.Errors);
            var text = string.Join("\n", r.Output.Select(o => o.ToString()));
            Assert.Contains("KeySource=parameter", text);
            Assert.DoesNotContain("LEAKCHECK", text);
        }

        [Fact]
        public void The_key_is_never_sent_to_file_or_upload_urls()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'p' -Image $img", new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            Assert.Empty(r.Errors);
            Assert.Equal(0, _fx.Stats.DirectRequestsWithAuthorization);
        }
    }

    /// <summary>Tests that read or change process environment variables run alone.</summary>
    [CollectionDefinition("Environment", DisableParallelization = true)]
    public sealed class EnvironmentCollection { }

    [Collection("Environment")]
    public class ConnectionTests : IClassFixture<EmulatorFixture>
    {
        private readonly EmulatorFixture _fx;
        public ConnectionTests(EmulatorFixture fx) => _fx = fx;

        private sealed class EnvScope : IDisposable
        {
            private readonly Dictionary<string, string?> _saved = new Dictionary<string, string?>();
            public EnvScope(params (string Name, string? Value)[] vars)
            {
                foreach (var (name, value) in vars)
                {
                    _saved[name] = Environment.GetEnvironmentVariable(name);
                    Environment.SetEnvironmentVariable(name, value);
                }
            }
            public void Dispose()
            {
                foreach (var kv in _saved) Environment.SetEnvironmentVariable(kv.Key, kv.Value);
            }
        }

        [Fact]
        public void Without_any_key_a_single_terminating_SeedreamApiKeyMissing_error()
        {
            using var env = new EnvScope(("FAL_KEY", null), ("FAL_KEY_ID", null), ("FAL_KEY_SECRET", null), ("SEEDREAM_PROXY_URL", _fx.Emulator.ProxyUrl.AbsoluteUri));
            using var ps = new PsHost(_fx.Emulator, connect: false);
            var before = _fx.Stats.RequestsByRoute.Values.Sum();
            // Three records in, but the missing key stops the command at the first one.
            var r = ps.Run("@($img, $img, $img) | Invoke-SeedreamEdit -Prompt 'p'; 'next statement'", new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            var error = Assert.Single(r.Errors);
            Assert.Equal("SeedreamApiKeyMissing", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.AuthenticationError, error.CategoryInfo.Category);
            Assert.Contains("FAL_KEY", error.Exception.Message);
            // Statement-terminating, as PowerShell's own terminating errors are: the script goes on.
            Assert.Equal("next statement", Assert.Single(r.Output).BaseObject);
            Assert.Equal(before, _fx.Stats.RequestsByRoute.Values.Sum());
        }

        [Fact]
        public void FAL_KEY_and_SEEDREAM_PROXY_URL_are_used_without_Connect()
        {
            using var env = new EnvScope(("FAL_KEY", EmulatorFixture.Key), ("SEEDREAM_PROXY_URL", _fx.Emulator.ProxyUrl.AbsoluteUri));
            using var ps = new PsHost(_fx.Emulator, connect: false);
            var r = ps.Run("Get-SeedreamContext; Invoke-SeedreamEdit -Prompt 'env' -Image $img", new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            Assert.Empty(r.Errors);
            Assert.Equal("FAL_KEY", r.Output[0].P("KeySource"));
            Assert.False((bool)r.Output[0].P("Connected")!);
            Assert.Equal("env", r.Output[1].P("Prompt"));
        }

        [Fact]
        public void FAL_KEY_ID_and_FAL_KEY_SECRET_are_joined_with_a_colon()
        {
            using var env = new EnvScope(("FAL_KEY", null), ("FAL_KEY_ID", "id"), ("FAL_KEY_SECRET", "secret"), ("SEEDREAM_PROXY_URL", _fx.Emulator.ProxyUrl.AbsoluteUri));
            using var ps = new PsHost(_fx.Emulator, connect: false);
            var r = ps.Run("Get-SeedreamContext; Invoke-SeedreamEdit -Prompt 'env' -Image $img", new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            Assert.Equal("FAL_KEY_ID/FAL_KEY_SECRET", r.Output[0].P("KeySource"));
            // The emulator wants another key, so the joined one is sent and refused.
            Assert.Equal("SeedreamUnauthorized", Assert.Single(r.ErrorIds));
        }

        [Fact]
        public void Disconnect_returns_to_the_environment_settings()
        {
            using var env = new EnvScope(("FAL_KEY", null), ("FAL_KEY_ID", null), ("FAL_KEY_SECRET", null));
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("(Get-SeedreamContext).Connected; Disconnect-Seedream; Get-SeedreamContext");
            Assert.True((bool)r.Output[0].BaseObject);
            // No key anywhere now: the keyless settings, not an error.
            Assert.Empty(r.Errors);
            Assert.Equal("none", r.Output[1].P("KeySource"));
            Assert.Equal(false, r.Output[1].P("Connected"));
        }

        [Theory]
        [InlineData("Connect-Seedream -ApiKey k -ProxyUrl 'http://proxy.example.com/api/fal/proxy'", "SeedreamInsecureProxyUrl", ErrorCategory.SecurityError)]
        [InlineData("Connect-Seedream -ApiKey k -ProxyUrl 'ftp://proxy.example.com/'", "SeedreamInvalidProxyUrl", ErrorCategory.InvalidArgument)]
        [InlineData("Connect-Seedream -ApiKey ' '", "SeedreamApiKeyMissing", ErrorCategory.AuthenticationError)]
        public void Connect_refuses_bad_settings(string script, string errorId, ErrorCategory category)
        {
            using var env = new EnvScope(("FAL_KEY", null), ("FAL_KEY_ID", null), ("FAL_KEY_SECRET", null));
            using var ps = new PsHost(_fx.Emulator, connect: false);
            var r = ps.Run("$ErrorActionPreference = 'Stop'; " + script);
            Assert.NotNull(r.Terminating);
            Assert.Equal(errorId, r.Terminating!.ErrorRecord.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(category, r.Terminating.ErrorRecord.CategoryInfo.Category);
            // Nothing half-done: the failed Connect left no session behind.
            var after = ps.Run("$ErrorActionPreference = 'Continue'; Get-SeedreamContext");
            Assert.Empty(after.Errors);
            Assert.Equal("none", Assert.Single(after.Output).P("KeySource"));
        }

        [Fact]
        public void Plain_http_proxy_elsewhere_is_allowed_only_when_asked_for()
        {
            using var ps = new PsHost(_fx.Emulator, connect: false);
            var r = ps.Run("Connect-Seedream -ApiKey k -ProxyUrl 'http://proxy.example.com/api/fal/proxy' -AllowInsecureHttp -PassThru");
            Assert.Null(r.Terminating);
            Assert.Equal("http://proxy.example.com/api/fal/proxy", r.Single("Seedream.Context").P("ProxyUrl"));
        }

        [Fact]
        public void Connect_with_a_credential_uses_id_and_secret()
        {
            using var ps = new PsHost(_fx.Emulator, connect: false);
            var r = ps.Run(@"$secure = [System.Security.SecureString]::new(); 'secret'.ToCharArray() | ForEach-Object { $secure.AppendChar($_) }
                Connect-Seedream -Credential ([pscredential]::new('id', $secure)) -ProxyUrl $proxy -PassThru
                Invoke-SeedreamEdit -Prompt 'p' -Image $img", new Dictionary<string, object?> { ["proxy"] = _fx.Emulator.ProxyUrl.AbsoluteUri, ["img"] = TestImages.DataUri });
            Assert.Equal("credential", r.Output[0].P("KeySource"));
            Assert.Equal("SeedreamUnauthorized", Assert.Single(r.ErrorIds));
        }

        [Fact]
        public void Module_manifest_is_valid_and_exports_exactly_its_cmdlets()
        {
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run("$m = Test-ModuleManifest -Path $path; $m.ExportedCmdlets.Keys; '--'; (Get-Module Seedream).ExportedCmdlets.Keys",
                new Dictionary<string, object?> { ["path"] = Paths.ModuleManifest });
            Assert.Empty(r.Errors);
            var lines = r.Output.Select(o => o.ToString()).ToList();
            var sep = lines.IndexOf("--");
            var declared = lines.Take(sep).OrderBy(x => x).ToArray();
            var exported = lines.Skip(sep + 1).OrderBy(x => x).ToArray();
            Assert.Equal(declared, exported);
            Assert.Contains("Invoke-SeedreamEdit", exported);
            Assert.Contains("Submit-SeedreamJob", exported);
        }
    }
}
