using System.Collections.ObjectModel;
using System.Security;

namespace Seedream.Commands
{
    /// <summary>
    /// <para type="synopsis">Sets the fal API key and connection settings for this PowerShell session.</para>
    /// </summary>
    [Cmdlet(VerbsCommunications.Connect, "Seedream", DefaultParameterSetName = ApiKeySet)]
    [OutputType(typeof(Context))]
    public sealed class ConnectSeedreamCommand : SeedreamCmdlet
    {
        private const string ApiKeySet = "ApiKey";
        private const string CredentialSet = "Credential";
        private const string EnvironmentSet = "Environment";
        private const string SecretSet = "SecretManagement";

        /// <summary>The fal API key (a SecureString; plain text is accepted and converted at once).</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = ApiKeySet)]
        [SecureStringTransformation]
        public SecureString? ApiKey { get; set; }

        /// <summary>Key id as user name and key secret as password.</summary>
        [Parameter(Mandatory = true, ParameterSetName = CredentialSet)]
        [Credential]
        public PSCredential? Credential { get; set; }

        /// <summary>Use FAL_KEY (or FAL_KEY_ID and FAL_KEY_SECRET) as they are now.</summary>
        [Parameter(Mandatory = true, ParameterSetName = EnvironmentSet)]
        public SwitchParameter FromEnvironment { get; set; }

        /// <summary>The name of a SecretManagement secret holding the key (read with Get-Secret at connect time).</summary>
        [Parameter(Mandatory = true, ParameterSetName = SecretSet)]
        [ValidateNotNullOrEmpty]
        public string? SecretName { get; set; }

        /// <summary>The SecretManagement vault to read -SecretName from; without it Get-Secret searches the registered vaults.</summary>
        [Parameter(ParameterSetName = SecretSet)]
        [ValidateNotNullOrEmpty]
        public string? Vault { get; set; }

        /// <summary>A fal server-proxy URL (or the local emulator's /api/fal/proxy).</summary>
        [Parameter]
        public Uri? ProxyUrl { get; set; }

        /// <summary>Allow a plain-http proxy on a host other than loopback.</summary>
        [Parameter]
        public SwitchParameter AllowInsecureHttp { get; set; }

        [Parameter]
        [ValidateRange(0, 20)]
        public int MaxRetryCount { get; set; } = 3;

        /// <summary>Timeout of one HTTP request, in seconds (waits for jobs have their own -TimeoutSec).</summary>
        [Parameter]
        [ValidateRange(1, 3600)]
        public int TimeoutSec { get; set; } = 100;

        /// <summary>First retry delay in milliseconds; doubles per retry.</summary>
        [Parameter]
        [ValidateRange(0, 60000)]
        public int RetryDelayMilliseconds { get; set; } = 500;

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void EndProcessing()
        {
            FalCredentials? credentials;
            switch (ParameterSetName)
            {
                case ApiKeySet:
                    var key = SecureText.ToPlain(ApiKey!);
                    credentials = string.IsNullOrWhiteSpace(key) ? null : new FalCredentials(key, "parameter");
                    break;
                case CredentialSet:
                    credentials = FromCredential(Credential!, "credential");
                    break;
                case SecretSet:
                    credentials = SecretManagementKey.Read(this, SecretName!, Vault);
                    break;
                default:
                    credentials = FalCredentials.Resolve(null);
                    break;
            }
            if (credentials == null)
            {
                ThrowTerminatingError(Errors.ApiKeyMissing.Record(new SeedreamException(ParameterSetName == EnvironmentSet
                        ? FalCredentials.DescribeMissing()
                        : ParameterSetName == SecretSet ? $"The secret '{SecretName}' holds an empty key." : "The API key is empty."), null));
            }
            var options = new FalClientOptions
            {
                Credentials = credentials,
                ProxyUrl = ProxyUrl,
                AllowInsecureHttp = AllowInsecureHttp.IsPresent,
                MaxRetryCount = MaxRetryCount,
                RequestTimeout = TimeSpan.FromSeconds(TimeoutSec),
                RetryBaseDelay = TimeSpan.FromMilliseconds(RetryDelayMilliseconds),
                Log = RoutingLog.Instance,
            };
            SeedreamSession session;
            try
            {
                session = new SeedreamSession(options, connected: true);
            }
            catch (InsecureEndpointException ex)
            {
                ThrowTerminatingError(Errors.InsecureProxyUrl.Record(ex, ProxyUrl));
                return;
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(Errors.InvalidProxyUrl.Record(ex, ProxyUrl));
                return;
            }
            SessionStore.Connect(Runspace.DefaultRunspace, session);
            WriteVerbose($"Connected: key from {credentials!.Source}{(ProxyUrl != null ? ", through the proxy " + ProxyUrl : string.Empty)}.");
            if (PassThru) WriteObject(session.ToContext());
        }

        /// <summary>Key id as user name, key secret as password: joined as fal's clients join FAL_KEY_ID and FAL_KEY_SECRET.</summary>
        internal static FalCredentials? FromCredential(PSCredential credential, string source)
        {
            var secret = credential.Password == null ? string.Empty : SecureText.ToPlain(credential.Password);
            return string.IsNullOrWhiteSpace(credential.UserName) || string.IsNullOrWhiteSpace(secret)
                ? null
                : new FalCredentials(credential.UserName.Trim() + ":" + secret.Trim(), source);
        }
    }

    /// <summary>
    /// Reads the key from Microsoft.PowerShell.SecretManagement, if the user has it. A soft
    /// dependency: Get-Secret is looked up and run through the engine at connect time (module
    /// auto-loading applies), so the module neither references nor requires SecretManagement.
    /// </summary>
    internal static class SecretManagementKey
    {
        private const string GetSecret = "Microsoft.PowerShell.SecretManagement\\Get-Secret";

        public static FalCredentials? Read(PSCmdlet cmdlet, string name, string? vault)
        {
            var where = vault == null ? $"secret '{name}'" : $"secret '{name}' in vault '{vault}'";
            var source = vault == null ? $"SecretManagement:{name}" : $"SecretManagement:{vault}/{name}";
            CommandInfo? command = null;
            try { command = cmdlet.InvokeCommand.GetCommand(GetSecret, CommandTypes.Cmdlet | CommandTypes.Function | CommandTypes.Alias); }
            catch (RuntimeException) { }
            if (command == null)
            {
                cmdlet.ThrowTerminatingError(Errors.SecretManagementUnavailable.Record("Get-Secret from Microsoft.PowerShell.SecretManagement is not available. Install it (Install-PSResource Microsoft.PowerShell.SecretManagement), register a vault, or give the key with -ApiKey, -Credential or FAL_KEY.", name));
                return null;
            }

            Collection<PSObject> results;
            Collection<ErrorRecord> errors;
            using (var ps = PowerShell.Create(RunspaceMode.CurrentRunspace))
            {
                ps.AddCommand(command).AddParameter("Name", name);
                if (vault != null) ps.AddParameter("Vault", vault);
                try
                {
                    results = ps.Invoke();
                }
                catch (RuntimeException ex)
                {
                    cmdlet.ThrowTerminatingError(Errors.SecretNotFound.Record($"The {where} could not be read: {ex.Message}", name, ex));
                    return null;
                }
                errors = ps.Streams.Error.ReadAll();
            }
            var value = results.Where(r => r != null).Select(r => r.BaseObject).FirstOrDefault();
            if (value == null)
            {
                var reason = errors.Count > 0 ? ": " + errors[0].Exception.Message : ".";
                cmdlet.ThrowTerminatingError(Errors.SecretNotFound.Record($"The {where} was not found{reason}", name, errors.Count > 0 ? errors[0].Exception : null));
                return null;
            }

            string? key;
            switch (value)
            {
                case System.Security.SecureString secure:
                    key = SecureText.ToPlain(secure);
                    break;
                case string text:
                    key = text;
                    break;
                case PSCredential credential:
                    return ConnectSeedreamCommand.FromCredential(credential, source);
                default:
                    // The type name only: the value itself may be sensitive.
                    cmdlet.ThrowTerminatingError(Errors.SecretInvalidType.Record($"The {where} is a {value.GetType().Name}; the fal key must be stored as a SecureString, a string or a PSCredential (key id as user name, key secret as password).", name));
                    return null;
            }
            return string.IsNullOrWhiteSpace(key) ? null : new FalCredentials(key!.Trim(), source);
        }
    }

    /// <summary>
    /// <para type="synopsis">Forgets the settings made by Connect-Seedream in this session.</para>
    /// </summary>
    [Cmdlet(VerbsCommunications.Disconnect, "Seedream")]
    [OutputType(typeof(void))]
    public sealed class DisconnectSeedreamCommand : SeedreamCmdlet
    {
        protected override void EndProcessing()
        {
            if (!SessionStore.Disconnect(Runspace.DefaultRunspace))
                WriteVerbose("Not connected; nothing to forget.");
            else
                WriteVerbose("Disconnected. Environment variables (FAL_KEY, SEEDREAM_PROXY_URL) apply again.");
        }
    }

    /// <summary>
    /// <para type="synopsis">Shows the connection settings in force (never the key).</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "SeedreamContext")]
    [OutputType(typeof(Context))]
    public sealed class GetSeedreamContextCommand : SeedreamCmdlet
    {
        protected override void EndProcessing()
        {
            var session = FindSession(out var proxyError);
            if (proxyError != null)
            {
                // Not terminating here: Get-SeedreamContext reports the bad SEEDREAM_PROXY_URL and ends.
                WriteError(proxyError);
                return;
            }
            if (session == null)
            {
                // No key anywhere: still show what is in force (the proxy and the defaults), so a
                // script can check "KeySource -eq 'none'" instead of catching an error.
                WriteVerbose(FalCredentials.DescribeMissing());
                WriteObject(SeedreamSession.KeylessContext());
                return;
            }
            WriteObject(session.ToContext());
        }
    }
}
