using Seedream.Emulator;

namespace Seedream.Core.Tests.Emulated;

/// <summary>An emulator that answers 502 or 504, in both of fal's shapes, to a quarter of all requests.</summary>
public sealed class GatewayFaultEmulatorFixture : EmulatorFixtureBase
{
    protected override EmulatorOptions CreateOptions() => new()
    {
        ProcessingMs = 20,
        Runners = 4,
        PingMs = 50,
        FaultRate = 0.25,
        FaultKinds = new[] { FaultKind.BadGateway, FaultKind.GatewayTimeout },
        FaultSeed = 14,
    };
}

/// <summary>
/// The client against the emulator's two 502/504 shapes on every route: each edit is delivered,
/// exactly one job per edit exists, and nothing was paid twice.
/// </summary>
public sealed class GatewayFaultTests : IClassFixture<GatewayFaultEmulatorFixture>
{
    private static readonly EndpointId Seedream = EndpointId.Parse(EndpointId.SeedreamV5LiteEdit);
    private readonly GatewayFaultEmulatorFixture _f;

    public GatewayFaultTests(GatewayFaultEmulatorFixture f) => _f = f;

    [Fact]
    public async Task Every_edit_is_delivered_once_through_ingress_and_server_errors()
    {
        const int n = 30;
        // Enough retries that four faults in a row (one in 256 calls) cannot end an edit.
        using var client = _f.NewClient(configure: o => o.MaxRetryCount = 8);
        using var cts = new System.Threading.CancellationTokenSource(TimeSpan.FromSeconds(90));
        var before = _f.Emulator.GetStats();
        // One after another: with a fixed seed the n-th request of each route meets the same fate every run.
        for (var i = 0; i < n; i++)
        {
            var job = await client.SubmitAsync(Seedream, _f.Input("gateway edit " + i), null, cts.Token);
            var done = await client.WaitAsync(JobRef.From(job), new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(20) }, cts.Token);
            Assert.True(done.IsSucceeded, $"edit {i}: {done.Status} {done.Error}");
            var result = await client.GetResultAsync(JobRef.From(job), succeeded: true, cts.Token);
            Assert.Contains("\"images\"", result.Json);
        }

        var stats = _f.Emulator.GetStats();
        Assert.Equal(n, stats.Submitted - before.Submitted); // the ingress errors created nothing, the server errors were adopted
        Assert.Equal(0, stats.DuplicateJobs);
        var shapes = stats.FaultsInjected.ByShape;
        foreach (var shape in new[] { "submit.ingress", "submit.server", "stream.ingress", "stream.server", "result.ingress", "result.server" })
            Assert.True(shapes.GetValueOrDefault(shape) > 0, $"{shape} never happened: {string.Join(", ", shapes.Select(p => p.Key + "=" + p.Value))}");
    }
}
