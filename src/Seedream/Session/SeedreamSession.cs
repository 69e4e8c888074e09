using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace Seedream.Commands.Session
{
    /// <summary>One configured fal client (with its connection pool) and the settings behind it.</summary>
    public sealed class SeedreamSession : IDisposable
    {
        public SeedreamSession(FalClientOptions options, bool connected)
        {
            // Every session logs through the router, which sends each line to the running cmdlet.
            options.Log ??= RoutingLog.Instance;
            Options = options;
            Client = new FalClient(options);
            Connected = connected;
            ConnectedAt = connected ? DateTime.Now : (DateTime?)null;
        }

        public FalClientOptions Options { get; }
        public FalClient Client { get; }
        public bool Connected { get; }
        public DateTime? ConnectedAt { get; }

        public Context ToContext() => new Context
        {
            KeySource = Options.Credentials?.Source ?? "none",
            ProxyUrl = Options.ProxyUrl?.AbsoluteUri,
            MaxRetryCount = Options.MaxRetryCount,
            TimeoutSec = (int)Options.RequestTimeout.TotalSeconds,
            Connected = Connected,
            ConnectedAt = ConnectedAt,
        };

        /// <summary>The settings in force when no key is configured: the proxy from SEEDREAM_PROXY_URL and the defaults.</summary>
        public static Context KeylessContext()
        {
            var defaults = new FalClientOptions();
            var proxy = Environment.GetEnvironmentVariable(SessionStore.ProxyEnvironmentVariable);
            return new Context
            {
                KeySource = "none",
                ProxyUrl = string.IsNullOrWhiteSpace(proxy) ? null : proxy!.Trim(),
                MaxRetryCount = defaults.MaxRetryCount,
                TimeoutSec = (int)defaults.RequestTimeout.TotalSeconds,
                Connected = false,
            };
        }

        public void Dispose() => Client.Dispose();
    }

    /// <summary>
    /// Sessions per runspace: what Connect-Seedream set, else one built from environment variables
    /// (FAL_KEY, FAL_KEY_ID + FAL_KEY_SECRET, SEEDREAM_PROXY_URL), rebuilt when they change.
    /// </summary>
    public static class SessionStore
    {
        public const string ProxyEnvironmentVariable = "SEEDREAM_PROXY_URL";

        private sealed class Slot
        {
            public SeedreamSession? Connected;
            public SeedreamSession? FromEnvironment;
            public string? EnvironmentFingerprint;
            public FalClient? Keyless;
        }

        private static readonly ConditionalWeakTable<Runspace, Slot> Slots = new ConditionalWeakTable<Runspace, Slot>();
        private static readonly object Gate = new object();

        public static void Connect(Runspace runspace, SeedreamSession session)
        {
            lock (Gate)
            {
                var slot = Slots.GetOrCreateValue(runspace);
                slot.Connected = session;
            }
        }

        /// <summary>Forgets the connected session; returns false when there was none.</summary>
        public static bool Disconnect(Runspace runspace)
        {
            lock (Gate)
            {
                if (!Slots.TryGetValue(runspace, out var slot) || slot.Connected == null) return false;
                // Not disposed: in-flight work of another pipeline may still use the old client;
                // the garbage collector (or module removal) ends it.
                slot.Connected = null;
                return true;
            }
        }

        public static SeedreamSession? GetConnected(Runspace runspace)
        {
            lock (Gate) return Slots.TryGetValue(runspace, out var slot) ? slot.Connected : null;
        }

        /// <summary>The session to use now, or null when no key is configured anywhere.</summary>
        public static SeedreamSession? Current(Runspace runspace, Func<FalClientOptions, FalClientOptions>? customize = null)
        {
            lock (Gate)
            {
                var slot = Slots.GetOrCreateValue(runspace);
                if (slot.Connected != null) return slot.Connected;
                var credentials = FalCredentials.Resolve(null);
                if (credentials == null) return null;
                var proxy = Environment.GetEnvironmentVariable(ProxyEnvironmentVariable);
                var fingerprint = Fingerprint(credentials.Fingerprint + "\n" + credentials.Source + "\n" + proxy);
                if (slot.FromEnvironment != null && slot.EnvironmentFingerprint == fingerprint) return slot.FromEnvironment;
                var options = new FalClientOptions { Credentials = credentials };
                if (!string.IsNullOrWhiteSpace(proxy))
                {
                    if (!Uri.TryCreate(proxy!.Trim(), UriKind.Absolute, out var proxyUrl))
                        throw new ArgumentException($"The {ProxyEnvironmentVariable} environment variable does not hold an absolute URL.");
                    options.ProxyUrl = proxyUrl;
                }
                var session = new SeedreamSession(options, connected: false);
                slot.FromEnvironment = session;
                slot.EnvironmentFingerprint = fingerprint;
                return session;
            }
        }

        /// <summary>
        /// The client for downloads, which need no key: the current session's when there is one
        /// (its retry settings), else this runspace's key-less client. Both end with the module.
        /// </summary>
        public static FalClient DownloadClient(Runspace runspace)
        {
            SeedreamSession? session = null;
            try { session = Current(runspace); }
            catch (ArgumentException) { }
            if (session != null) return session.Client;
            lock (Gate)
            {
                var slot = Slots.GetOrCreateValue(runspace);
                return slot.Keyless ??= new FalClient(new FalClientOptions { Log = RoutingLog.Instance });
            }
        }

        /// <summary>
        /// The module was removed from <paramref name="runspace"/> (Remove-Module, or Import-Module
        /// -Force): the settings Connect-Seedream made there end and its clients are disposed, so the
        /// next import there starts afresh (the assembly itself stays loaded, and with it this
        /// table). Other runspaces (ForEach-Object -Parallel, thread jobs) keep theirs. Work still
        /// running on a removed client fails with ObjectDisposedException; a new command gets a new client.
        /// </summary>
        public static void Forget(Runspace? runspace)
        {
            if (runspace == null) return;
            lock (Gate)
            {
                if (!Slots.TryGetValue(runspace, out var slot)) return;
                Slots.Remove(runspace);
                foreach (var s in new[] { slot.Connected, slot.FromEnvironment })
                {
                    if (s == null) continue;
                    try { s.Dispose(); } catch (ObjectDisposedException) { }
                }
                try { slot.Keyless?.Dispose(); } catch (ObjectDisposedException) { }
            }
        }

        private static string Fingerprint(string text)
        {
            using var sha = SHA256.Create();
            return Convert.ToBase64String(sha.ComputeHash(Encoding.UTF8.GetBytes(text)));
        }
    }
}
