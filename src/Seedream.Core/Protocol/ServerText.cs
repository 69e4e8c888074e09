namespace Seedream.Protocol
{
    /// <summary>
    /// Makes server text safe to show: the API key scrubbed (a hostile server or proxy may echo it
    /// back), request ids checked before they reach output and error targets.
    /// </summary>
    internal sealed class ServerText
    {
        private readonly FalCredentials? _credentials;

        public ServerText(FalCredentials? credentials) => _credentials = credentials;

        public string Redact(string? text) => _credentials?.Redact(text) ?? text ?? string.Empty;

        /// <summary>
        /// A request id a server named (body or x-fal-request-id header), when usable: a valid id,
        /// and not the API key echoed back.
        /// </summary>
        public string? UsableRequestId(string? id) =>
            id != null && JobRef.IsValidRequestId(id) && (_credentials == null || _credentials.Redact(id) == id) ? id.Trim() : null;

        public static string Truncate(string s, int max) => s.Length <= max ? s : s.Substring(0, max) + "…";
    }
}
