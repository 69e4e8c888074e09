using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
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
            Assert.Equal("SeedreamApiKeyMissing", Assert.Single(r.ErrorIds));
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
            Assert.Equal("SeedreamApiKeyMissing", ps.Run("$ErrorActionPreference = 'Continue'; Get-SeedreamContext").ErrorIds.Single());
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
