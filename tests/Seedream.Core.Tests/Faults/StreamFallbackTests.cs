using System.Diagnostics;
using System.Threading;
using static Seedream.Core.Tests.Faults.FaultClients;

namespace Seedream.Core.Tests.Faults;

/// <summary>Status streams that misbehave: the wait must still end, by polling if need be.</summary>
public sealed class StreamFallbackTests
{
    private static string Event(string status, string? extra = null) => "data: " + ScriptedFal.StatusJson(status, extra) + "\n\n";

    private static Task Hang(Microsoft.AspNetCore.Http.HttpContext ctx) => Task.Delay(System.Threading.Timeout.Infinite, ctx.RequestAborted);

    [Fact]
    public async Task A_stream_that_breaks_before_completion_falls_back_and_completes()
    {
        await using var s = await ScriptedFal.StartAsync(async (ctx, route, n) =>
        {
            if (route == "stream")
            {
                await ScriptedFal.StartStream(ctx);
                await ScriptedFal.Write(ctx, Event(JobStatus.InProgress));
                await Task.Delay(100); // let the client take the headers and the event first
                ctx.Abort();
                return;
            }
            // Still running at the first check after each break; done after that.
            await ScriptedFal.Status(ctx, n < 2 ? JobStatus.InProgress : JobStatus.Completed);
        });
        using var client = Direct(s);
        var updates = new List<string>();
        var clock = Stopwatch.StartNew();
        var done = await client.WaitAsync(Queued, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(10), OnUpdate = u => { lock (updates) updates.Add(u.Status); } }, Timeout());
        Assert.True(done.IsCompleted);
        Assert.True(clock.ElapsedMilliseconds < 10_000);
        // Reconnects a few times, then gives the stream up for polling.
        Assert.InRange(s.Count("stream"), 2, 3);
        Assert.True(s.Count("status") >= 1);
        Assert.Equal(JobStatus.InProgress, updates.First());
        Assert.Equal(JobStatus.Completed, updates.Last());
    }

    [Fact]
    public async Task A_broken_stream_reports_why()
    {
        await using var s = await ScriptedFal.StartAsync(async (ctx, route, n) =>
        {
            await ScriptedFal.StartStream(ctx);
            await ScriptedFal.Write(ctx, ": ping\n\n" + Event(JobStatus.InQueue));
            await Task.Delay(100);
            ctx.Abort();
        });
        using var client = Direct(s);
        var seen = new List<JobStatus>();
        var ex = await Assert.ThrowsAsync<FalStreamException>(() => client.StreamStatusAsync(Queued, false, seen.Add, Timeout()));
        Assert.False(ex.Unavailable);
        Assert.Equal(JobStatus.InQueue, Assert.Single(seen).Status);
        Assert.Equal(1, s.Count("stream"));
    }

    [Fact]
    public async Task A_silent_stream_is_abandoned_after_the_idle_timeout()
    {
        await using var s = await ScriptedFal.StartAsync(async (ctx, route, n) =>
        {
            if (route == "stream")
            {
                await ScriptedFal.StartStream(ctx);
                await ScriptedFal.Write(ctx, Event(JobStatus.InProgress));
                await Hang(ctx); // then nothing at all, not even a ping
                return;
            }
            await ScriptedFal.Status(ctx, JobStatus.Completed);
        });
        using var client = Direct(s, o => o.StreamIdleTimeout = TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        var done = await client.WaitAsync(Queued, new WaitOptions(), Timeout());
        Assert.True(done.IsCompleted);
        Assert.InRange(clock.ElapsedMilliseconds, 250, 8000);
        Assert.Equal(1, s.Count("stream"));
        Assert.Equal(1, s.Count("status"));

        var direct = await Assert.ThrowsAsync<FalStreamException>(() => client.StreamStatusAsync(Queued, false, null, Timeout()));
        Assert.Contains("sent nothing", direct.Message);
    }

    [Fact]
    public async Task Pings_keep_a_stream_alive_past_the_idle_timeout()
    {
        // StreamIdleTimeout is documented as "nothing, not even a ping": a queued request may
        // wait long with only keep-alives, and that is no reason to drop the stream.
        await using var s = await ScriptedFal.StartAsync(async (ctx, route, n) =>
        {
            if (route != "stream") { await ScriptedFal.Status(ctx, JobStatus.Completed); return; }
            await ScriptedFal.StartStream(ctx);
            await ScriptedFal.Write(ctx, Event(JobStatus.InQueue, "\"queue_position\":4"));
            for (var i = 0; i < 16; i++)
            {
                await Task.Delay(50, ctx.RequestAborted);
                await ScriptedFal.Write(ctx, ": ping\n\n");
            }
            await ScriptedFal.Write(ctx, Event(JobStatus.Completed));
        });
        var log = new Emulated.ListLog();
        using var client = Direct(s, o => { o.StreamIdleTimeout = TimeSpan.FromMilliseconds(500); o.Log = log; });
        var clock = Stopwatch.StartNew();
        var done = await client.WaitAsync(Queued, new WaitOptions(), Timeout());
        Assert.True(done.IsCompleted);
        Assert.True(s.Count("status") == 0, string.Join("\n", log.Lines));
        Assert.True(clock.ElapsedMilliseconds >= 700, "the stream ran its course");
        Assert.Equal(1, s.Count("stream"));
        Assert.Equal(0, s.Count("status"));
    }

    [Fact]
    public async Task A_stream_that_is_not_an_event_stream_switches_to_polling_at_once()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => route == "stream"
            ? ScriptedFal.Json(ctx, 200, ScriptedFal.StatusJson(JobStatus.InProgress))
            : ScriptedFal.Status(ctx, n < 3 ? JobStatus.InProgress : JobStatus.Completed));
        using var client = Direct(s);
        var ex = await Assert.ThrowsAsync<FalStreamException>(() => client.StreamStatusAsync(Queued, false, null, Timeout()));
        Assert.True(ex.Unavailable);

        var done = await client.WaitAsync(Queued, new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(10) }, Timeout());
        Assert.True(done.IsCompleted);
        Assert.Equal(2, s.Count("stream")); // once above, once in the wait: never retried
        Assert.Equal(4, s.Count("status"));
    }

    [Fact]
    public async Task An_oversized_stream_event_falls_back()
    {
        await using var s = await ScriptedFal.StartAsync(async (ctx, route, n) =>
        {
            if (route != "stream") { await ScriptedFal.Status(ctx, JobStatus.Completed); return; }
            await ScriptedFal.StartStream(ctx);
            var chunk = "data: " + new string('x', 64 * 1024) + "\n";
            // 9 MB of one event: more than the parser's 8 MB bound.
            for (var i = 0; i < 150 && !ctx.RequestAborted.IsCancellationRequested; i++) await ScriptedFal.Write(ctx, chunk);
        });
        using var client = Direct(s);
        var done = await client.WaitAsync(Queued, new WaitOptions(), Timeout(30));
        Assert.True(done.IsCompleted);
        Assert.Equal(1, s.Count("status"));
    }

    [Fact]
    public async Task A_stream_refused_for_auth_fails_the_wait_instead_of_polling()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => ScriptedFal.Json(ctx, 401, "{\"detail\":\"Invalid key\"}"));
        using var client = Direct(s);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.WaitAsync(Queued, new WaitOptions(), Timeout()));
        Assert.Equal(FalErrorKind.Unauthorized, ex.Kind);
        Assert.Equal(0, s.Count("status"));
    }

    [Fact]
    public async Task Polling_slows_down_while_nothing_changes()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) =>
            ScriptedFal.Status(ctx, n < 8 ? JobStatus.InQueue : JobStatus.Completed, "\"queue_position\":2"));
        using var client = Direct(s);
        await client.WaitAsync(Queued, new WaitOptions { UseStream = false, PollInterval = TimeSpan.FromMilliseconds(20), MaxPollInterval = TimeSpan.FromMilliseconds(100) }, Timeout());
        var at = s.Seen.Select(r => r.At).ToArray();
        Assert.Equal(9, at.Length);
        var gaps = at.Zip(at.Skip(1), (a, b) => (b - a).TotalMilliseconds).ToArray();
        // Starts at 20 ms, grows ×1.5 to the 100 ms cap. Stalls on a loaded machine can only
        // lengthen gaps, so: some gap is short, and the last ones are all at the cap.
        var text = string.Join(", ", gaps.Select(g => g.ToString("0")));
        Assert.True(gaps.Min() < 60, text);
        Assert.True(gaps.TakeLast(3).All(g => g >= 90), text);
    }
}
