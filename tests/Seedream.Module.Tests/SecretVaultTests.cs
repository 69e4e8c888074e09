using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using Seedream.Emulator;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>An emulator whose key has the id:secret shape, so a PSCredential secret can be proven to work too.</summary>
    public class ColonKeyEmulatorFixture : EmulatorFixture
    {
        public const string KeyId = "sk-test-id-LEAKCHECK";
        public const string KeySecret = "sk-test-secret-9b1e4f7a";
        public const string ColonKey = KeyId + ":" + KeySecret;

        protected override EmulatorOptions Options => new EmulatorOptions { ProcessingMs = 100, Runners = 4, RequireKey = ColonKey, PingMs = 100 };
    }

    /// <summary>
    /// Connect-Seedream -SecretName/-Vault reads the key through SecretManagement's Get-Secret. The
    /// real module is not installed here, so a module of the same name with a scripted Get-Secret
    /// stands in for it: the cmdlet finds it exactly as it would find the real one.
    /// </summary>
    public class SecretVaultTests : IClassFixture<ColonKeyEmulatorFixture>
    {
        private readonly ColonKeyEmulatorFixture _fx;
        public SecretVaultTests(ColonKeyEmulatorFixture fx) => _fx = fx;

        private const string FakeSecretManagement = @"
            $global:SecretCalls = [System.Collections.Generic.List[string]]::new()
            $null = New-Module -Name Microsoft.PowerShell.SecretManagement -ArgumentList $secrets -ScriptBlock {
                param($Secrets)
                function Get-Secret {
                    [CmdletBinding()]
                    param([Parameter(Mandatory)] [string] $Name, [string] $Vault, [switch] $AsPlainText)
                    $global:SecretCalls.Add(""$Name|$Vault"")
                    if ($Name -eq 'silent') { return }
                    if ($Secrets.ContainsKey($Name)) { return $Secrets[$Name] }
                    # What the real Get-Secret does for an unknown name: a non-terminating ObjectNotFound error.
                    $PSCmdlet.WriteError([System.Management.Automation.ErrorRecord]::new(
                        [System.Management.Automation.ItemNotFoundException]::new(""The secret $Name was not found.""),
                        'GetSecretNotFound', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $Name))
                }
                Export-ModuleMember -Function Get-Secret
            } | Import-Module -PassThru";

        private static System.Security.SecureString Secure(string text) => new NetworkCredential(string.Empty, text).SecurePassword;

        private PsHost HostWithVault(Hashtable secrets)
        {
            var ps = new PsHost(_fx.Emulator, connect: false);
            var r = ps.Run(FakeSecretManagement, new Dictionary<string, object?> { ["secrets"] = secrets });
            Assert.Empty(r.Errors);
            return ps;
        }

        private Dictionary<string, object?> Vars(params (string, object?)[] extra)
        {
            var vars = new Dictionary<string, object?> { ["proxy"] = _fx.Emulator.ProxyUrl.AbsoluteUri, ["img"] = TestImages.DataUri };
            foreach (var (k, v) in extra) vars[k] = v;
            return vars;
        }

        [Fact]
        public void A_SecureString_secret_is_the_key_that_is_sent()
        {
            using var ps = HostWithVault(new Hashtable { ["fal"] = Secure(ColonKeyEmulatorFixture.ColonKey) });
            var r = ps.Run(@"
                Connect-Seedream -SecretName fal -Vault TestVault -ProxyUrl $proxy -PassThru -Verbose
                Invoke-SeedreamEdit -Prompt 'key from a vault' -Image $img
                $global:SecretCalls", Vars());
            Assert.Empty(r.Errors);
            Assert.Equal("SecretManagement:TestVault/fal", r.Output[0].P("KeySource"));
            // The emulator answers 401 to any other key, so a result proves the vault's key was sent.
            Assert.Equal("key from a vault", r.Output[1].P("Prompt"));
            Assert.Equal("fal|TestVault", r.Output[2].BaseObject);
            var text = r.AllText() + ps.HostText;
            Assert.DoesNotContain(ColonKeyEmulatorFixture.KeySecret, text);
        }

        [Fact]
        public void A_string_secret_works_and_without_Vault_Get_Secret_searches_every_vault()
        {
            using var ps = HostWithVault(new Hashtable { ["fal-text"] = ColonKeyEmulatorFixture.ColonKey });
            var r = ps.Run(@"
                Connect-Seedream -SecretName fal-text -ProxyUrl $proxy
                (Invoke-SeedreamEdit -Prompt 'string secret' -Image $img).Prompt
                (Get-SeedreamContext).KeySource
                $global:SecretCalls", Vars());
            Assert.Empty(r.Errors);
            Assert.Equal("string secret", r.Output[0].BaseObject);
            Assert.Equal("SecretManagement:fal-text", r.Output[1].BaseObject);
            // No -Vault was given, so none is passed on.
            Assert.Equal("fal-text|", r.Output[2].BaseObject);
        }

        [Fact]
        public void A_PSCredential_secret_is_sent_as_id_colon_secret()
        {
            var credential = new PSCredential(ColonKeyEmulatorFixture.KeyId, Secure(ColonKeyEmulatorFixture.KeySecret));
            using var ps = HostWithVault(new Hashtable { ["fal-pair"] = credential });
            var r = ps.Run(@"
                Connect-Seedream -SecretName fal-pair -Vault TestVault -ProxyUrl $proxy
                (Invoke-SeedreamEdit -Prompt 'credential secret' -Image $img).Prompt", Vars());
            Assert.Empty(r.Errors);
            Assert.Equal("credential secret", Assert.Single(r.Output).BaseObject);
        }

        [Fact]
        public void A_wrong_key_in_the_vault_is_sent_and_refused()
        {
            using var ps = HostWithVault(new Hashtable { ["stale"] = Secure("sk-not-the-right-key") });
            var r = ps.Run(@"
                Connect-Seedream -SecretName stale -Vault TestVault -ProxyUrl $proxy
                Invoke-SeedreamEdit -Prompt 'wrong key' -Image $img", Vars());
            Assert.Equal("SeedreamUnauthorized", Assert.Single(r.ErrorIds));
        }

        [Fact]
        public void Without_SecretManagement_a_SeedreamSecretManagementUnavailable_error()
        {
            using var ps = new PsHost(_fx.Emulator, connect: false);
            // Auto-loading off: a SecretManagement installed on the test machine must not be found.
            var r = ps.Run(@"
                $PSModuleAutoLoadingPreference = 'None'
                Connect-Seedream -SecretName fal -Vault TestVault -ProxyUrl $proxy
                'next statement'", Vars());
            var error = Assert.Single(r.Errors);
            Assert.Equal("SeedreamSecretManagementUnavailable", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.NotInstalled, error.CategoryInfo.Category);
            Assert.Contains("SecretManagement", error.Exception.Message);
            Assert.Equal("next statement", Assert.Single(r.Output).BaseObject);
        }

        [Theory]
        [InlineData("absent", "was not found")]
        [InlineData("silent", "was not found")]
        public void A_missing_secret_is_SeedreamSecretNotFound(string name, string message)
        {
            using var ps = HostWithVault(new Hashtable());
            var r = ps.Run("Connect-Seedream -SecretName $name -Vault TestVault -ProxyUrl $proxy", Vars(("name", name)));
            var error = r.Errors.Single(e => e.FullyQualifiedErrorId.StartsWith("Seedream"));
            Assert.Equal("SeedreamSecretNotFound", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
            Assert.Contains(message, error.Exception.Message);
            Assert.Contains(name, error.Exception.Message);
        }

        [Fact]
        public void A_secret_of_another_type_is_SeedreamSecretInvalidType_and_its_content_is_not_shown()
        {
            using var ps = HostWithVault(new Hashtable { ["table"] = new Hashtable { ["key"] = "sk-hidden-LEAKCHECK" } });
            var r = ps.Run("Connect-Seedream -SecretName table -Vault TestVault -ProxyUrl $proxy", Vars());
            var error = Assert.Single(r.Errors);
            Assert.Equal("SeedreamSecretInvalidType", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.InvalidType, error.CategoryInfo.Category);
            Assert.Contains("Hashtable", error.Exception.Message);
            Assert.DoesNotContain("LEAKCHECK", r.AllText() + ps.HostText);
        }

        [Fact]
        public void A_failed_vault_connect_keeps_the_previous_connection()
        {
            using var ps = HostWithVault(new Hashtable());
            var r = ps.Run(@"
                Connect-Seedream -ApiKey $key -ProxyUrl $proxy
                Connect-Seedream -SecretName absent -Vault TestVault -ProxyUrl $proxy
                (Get-SeedreamContext).KeySource
                (Invoke-SeedreamEdit -Prompt 'still connected' -Image $img).Prompt", Vars(("key", ColonKeyEmulatorFixture.ColonKey)));
            Assert.Equal("SeedreamSecretNotFound", Assert.Single(r.ErrorIds, id => id.StartsWith("Seedream")));
            Assert.Equal(new object[] { "parameter", "still connected" }, r.Output.Select(o => o.BaseObject).ToArray());
        }
    }
}
