using System.Threading;

namespace Seedream.Core.Tests.Faults;

internal static class FaultClients
{
    public const string Key = "fault-key-5c1e0f";
    public static readonly EndpointId Edit = EndpointId.Parse(EndpointId.SeedreamV5LiteEdit);
    public static readonly JobRef Queued = new(Edit, ScriptedFal.RequestId);
    public const string Body = "{\"prompt\":\"p\",\"image_urls\":[\"https://example.com/a.png\"]}";

    /// <summary>A client whose queue, run and rest hosts are all the fault server (no proxy).</summary>
    public static FalClient Direct(ScriptedFal s, Action<FalClientOptions>? configure = null) => Create(s.BaseUrl, configure);

    public static FalClient Create(Uri baseUrl, Action<FalClientOptions>? configure = null)
    {
        var o = new FalClientOptions
        {
            Credentials = new FalCredentials(Key, "test"),
            QueueUrl = baseUrl,
            RunUrl = new Uri(baseUrl, "run/"),
            RestUrl = baseUrl,
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            RetryMaxDelay = TimeSpan.FromSeconds(5),
            MaxRetryCount = 3,
            RequestTimeout = TimeSpan.FromSeconds(10),
        };
        configure?.Invoke(o);
        return new FalClient(o);
    }

    public static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;
}
