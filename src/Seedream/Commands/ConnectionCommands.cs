using System;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Security;
using Seedream.Commands.Internal;
using Seedream.Commands.Session;
using Seedream.Protocol;

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
                    var secret = SecureText.ToPlain(Credential!.Password);
                    credentials = string.IsNullOrWhiteSpace(Credential.UserName) || string.IsNullOrWhiteSpace(secret)
                        ? null
                        : new FalCredentials(Credential.UserName.Trim() + ":" + secret.Trim(), "credential");
                    break;
                default:
                    credentials = FalCredentials.Resolve(null);
                    break;
            }
            if (credentials == null)
            {
                ThrowTerminatingError(new ErrorRecord(new SeedreamException(ParameterSetName == EnvironmentSet
                        ? "Neither FAL_KEY nor FAL_KEY_ID and FAL_KEY_SECRET are set."
                        : "The API key is empty."),
                    "SeedreamApiKeyMissing", ErrorCategory.AuthenticationError, null));
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
                ThrowTerminatingError(new ErrorRecord(ex, "SeedreamInsecureProxyUrl", ErrorCategory.SecurityError, ProxyUrl));
                return;
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(new ErrorRecord(ex, "SeedreamInvalidProxyUrl", ErrorCategory.InvalidArgument, ProxyUrl));
                return;
            }
            SessionStore.Connect(Runspace.DefaultRunspace, session);
            WriteVerbose($"Connected: key from {credentials!.Source}{(ProxyUrl != null ? ", through the proxy " + ProxyUrl : string.Empty)}.");
            if (PassThru) WriteObject(session.ToContext());
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
            var session = SessionStore.Current(Runspace.DefaultRunspace);
            if (session == null)
            {
                WriteError(new ErrorRecord(new SeedreamException("No fal API key is configured. Run Connect-Seedream, or set FAL_KEY."),
                    "SeedreamApiKeyMissing", ErrorCategory.AuthenticationError, null));
                return;
            }
            WriteObject(session.ToContext());
        }
    }
}
