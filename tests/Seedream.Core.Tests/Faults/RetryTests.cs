using System.Diagnostics;
using System.Net;
using static Seedream.Core.Tests.Faults.FaultClients;

namespace Seedream.Core.Tests.Faults;

/// <summary>The retry policy as the transport applies it, against scripted failures.</summary>
public sealed class RetryTests
{
    [Fact]
    public async Task Rate_limited_submit_waits_for_retry_after_then_succeeds()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => n == 0
            ? ScriptedFal.Json(ctx, 429, "{\"detail\":\"slow down\",\"error_type\":\"rate_limited\"}", ("Retry-After", "1"))
            : ScriptedFal.SubmitOk(ctx));
        using var client = Direct(s); // base delay 5 ms: only Retry-After explains a long pause
        var clock = Stopwatch.StartNew();
        var job = await client.SubmitAsync(Edit, Body, null, Timeout());
        Assert.Equal(ScriptedFal.RequestId, job.RequestId);
        Assert.Equal(2, s.Count("submit"));
        var seen = s.Seen.Where(r => r.Route == "submit").ToArray();
        Assert.InRange((seen[1].At - seen[0].At).TotalMilliseconds, 900, 5000);
        Assert.True(clock.ElapsedMilliseconds >= 900);
    }

    [Fact]
    public async Task Retry_after_is_capped_by_the_maximum_delay()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => n == 0
            ? ScriptedFal.Json(ctx, 503, "{\"detail\":\"busy\"}", ("Retry-After", "3600"))
            : ScriptedFal.Status(ctx, JobStatus.InProgress));
        using var client = Direct(s, o => o.RetryMaxDelay = TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        var status = await client.GetStatusAsync(Queued, false, Timeout());
        Assert.Equal(JobStatus.InProgress, status.Status);
        Assert.InRange(clock.ElapsedMilliseconds, 250, 5000);
        Assert.Equal(2, s.Count("status"));
    }

    [Fact]
    public async Task Service_unavailable_on_submit_is_retried()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => n < 2
            ? ScriptedFal.Json(ctx, 503, "{\"detail\":\"no runners\",\"error_type\":\"runner_unavailable\"}")
            : ScriptedFal.SubmitOk(ctx));
        using var client = Direct(s);
        var job = await client.SubmitAsync(Edit, Body, null, Timeout());
        Assert.Equal(ScriptedFal.RequestId, job.RequestId);
        Assert.Equal(3, s.Count("submit"));
    }

    [Theory]
    [InlineData(502)]
    [InlineData(500)]
    [InlineData(504)]
    public async Task Ambiguous_failures_on_submit_are_not_retried(int code)
    {
        // The job may exist already: a second submit could be billed twice.
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => ScriptedFal.Json(ctx, code, "{\"detail\":\"upstream\"}"));
        using var client = Direct(s);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Edit, Body, null, Timeout()));
        Assert.Equal(FalErrorKind.Server, ex.Kind);
        Assert.Equal((HttpStatusCode)code, ex.StatusCode);
        Assert.Equal(1, ex.Attempts);
        Assert.Equal(1, s.Count("submit"));
    }

    [Fact]
    public async Task Run_follows_the_submit_rules()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => route == "run" && n == 0
            ? ScriptedFal.Json(ctx, 429, "{}", ("Retry-After", "0"))
            : route == "run" && n == 1 ? ScriptedFal.Json(ctx, 502, "{\"detail\":\"bad gateway\"}")
            : ScriptedFal.Json(ctx, 200, "{\"images\":[]}"));
        using var client = Direct(s);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.RunAsync(Edit, Body, null, null, Timeout()));
        Assert.Equal(FalErrorKind.Server, ex.Kind);
        Assert.Equal(2, ex.Attempts);
        Assert.Equal(2, s.Count("run")); // 429 retried, 502 not
    }

    [Fact]
    public async Task A_user_start_timeout_is_final_even_for_reads()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) =>
            ScriptedFal.Json(ctx, 504, "{\"detail\":\"Request timed out\",\"error_type\":\"request_timeout\"}", ("X-Fal-Request-Timeout-Type", "user"), ("X-Fal-Error-Type", "request_timeout")));
        using var client = Direct(s);
        var submit = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Edit, Body, new SubmitOptions { StartTimeout = TimeSpan.FromSeconds(5) }, Timeout()));
        Assert.Equal(FalErrorKind.StartTimeout, submit.Kind);
        Assert.Equal("user", submit.TimeoutType);
        Assert.Equal("request_timeout", submit.ErrorType);
        Assert.Equal(1, s.Count("submit"));

        var result = await Assert.ThrowsAsync<FalApiException>(() => client.GetResultAsync(Queued, Timeout()));
        Assert.Equal(FalErrorKind.StartTimeout, result.Kind);
        Assert.Equal(1, s.Count("result"));
    }

    [Fact]
    public async Task A_plain_gateway_timeout_on_a_read_is_retried()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => n == 0
            ? ScriptedFal.Json(ctx, 504, "{\"detail\":\"gateway\"}")
            : ScriptedFal.Status(ctx, JobStatus.InQueue, "\"queue_position\":3"));
        using var client = Direct(s);
        var status = await client.GetStatusAsync(Queued, false, Timeout());
        Assert.Equal(3, status.QueuePosition);
        Assert.Equal(2, s.Count("status"));
    }

    [Fact]
    public async Task Internal_errors_are_retried_for_status_but_not_for_results()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => route switch
        {
            "status" when n < 2 => ScriptedFal.Json(ctx, 500, "{\"detail\":\"oops\"}"),
            "status" => ScriptedFal.Status(ctx, JobStatus.Completed),
            _ => ScriptedFal.Json(ctx, 500, "{\"detail\":\"model crashed\",\"error_type\":\"internal_error\"}"),
        });
        using var client = Direct(s);
        Assert.True((await client.GetStatusAsync(Queued, false, Timeout())).IsCompleted);
        Assert.Equal(3, s.Count("status"));

        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.GetResultAsync(Queued, Timeout()));
        Assert.Equal(FalErrorKind.Server, ex.Kind);
        Assert.Equal("internal_error", ex.ErrorType);
        Assert.Equal("model crashed", ex.Detail);
        Assert.Equal(1, s.Count("result"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(5)]
    public async Task The_retry_count_is_respected(int maxRetries)
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => ScriptedFal.Json(ctx, 503, "{\"detail\":\"busy\"}", ("Retry-After", "0")));
        using var client = Direct(s, o => o.MaxRetryCount = maxRetries);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.GetStatusAsync(Queued, false, Timeout()));
        Assert.Equal(maxRetries + 1, ex.Attempts);
        Assert.Equal(maxRetries + 1, s.Count("status"));
        Assert.Equal(TimeSpan.Zero, ex.RetryAfter);
    }

    [Fact]
    public async Task Exhausted_rate_limiting_reports_rate_limited_with_retry_after()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => ScriptedFal.Json(ctx, 429, "{\"detail\":\"Too many requests\"}", ("Retry-After", "0"), ("x-fal-request-id", "gw-77")));
        using var client = Direct(s, o => o.MaxRetryCount = 1);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Edit, Body, null, Timeout()));
        Assert.Equal(FalErrorKind.RateLimited, ex.Kind);
        Assert.Equal(2, ex.Attempts);
        Assert.Equal("gw-77", ex.RequestId);
        Assert.Equal(TimeSpan.Zero, ex.RetryAfter);
    }

    [Fact]
    public async Task A_refused_connection_on_submit_is_retried_until_the_limit()
    {
        using var client = Create(new Uri($"http://127.0.0.1:{ScriptedFal.FreePort()}/"), o => o.MaxRetryCount = 3);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Edit, Body, null, Timeout()));
        Assert.Equal(FalErrorKind.Connection, ex.Kind);
        Assert.Equal(4, ex.Attempts); // nothing reached a server, so nothing can be billed twice
        var run = await Assert.ThrowsAsync<FalApiException>(() => client.RunAsync(Edit, Body, null, null, Timeout()));
        Assert.Equal(4, run.Attempts);
    }

    [Fact]
    public async Task A_refused_submit_succeeds_once_the_server_is_up()
    {
        var port = ScriptedFal.FreePort();
        using var client = Create(new Uri($"http://127.0.0.1:{port}/"), o =>
        {
            o.MaxRetryCount = 8;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(150);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(400);
        });
        var submit = client.SubmitAsync(Edit, Body, null, Timeout(30));
        await Task.Delay(400);
        Assert.False(submit.IsCompleted);
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => ScriptedFal.SubmitOk(ctx), port);
        var job = await submit;
        Assert.Equal(ScriptedFal.RequestId, job.RequestId);
        Assert.Equal(1, s.Count("submit"));
    }

    [Fact]
    public async Task A_connection_dropped_after_the_submit_was_sent_is_not_retried()
    {
        await using var s = await ScriptedFal.StartAsync(async (ctx, route, n) =>
        {
            await ScriptedFal.Drain(ctx);
            if (route == "submit" || n == 0) ctx.Abort();
            else await ScriptedFal.Status(ctx, JobStatus.InProgress);
        });
        using var client = Direct(s);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Edit, Body, null, Timeout()));
        Assert.Equal(FalErrorKind.Connection, ex.Kind);
        Assert.Equal(1, ex.Attempts);
        Assert.Equal(1, s.Count("submit"));

        // The same failure on a read is simply retried.
        Assert.Equal(JobStatus.InProgress, (await client.GetStatusAsync(Queued, false, Timeout())).Status);
        Assert.Equal(2, s.Count("status"));
    }

    [Fact]
    public async Task An_attempt_timeout_is_retried_for_reads_only()
    {
        await using var s = await ScriptedFal.StartAsync(async (ctx, route, n) =>
        {
            if (n == 0 || route == "submit") await Task.Delay(System.Threading.Timeout.Infinite, ctx.RequestAborted);
            else await ScriptedFal.Status(ctx, JobStatus.InQueue);
        });
        using var client = Direct(s, o => o.RequestTimeout = TimeSpan.FromMilliseconds(300));
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Edit, Body, null, Timeout()));
        Assert.Equal(FalErrorKind.Connection, ex.Kind);
        Assert.Contains("timed out", ex.Message);
        Assert.Equal(1, s.Count("submit"));

        Assert.Equal(JobStatus.InQueue, (await client.GetStatusAsync(Queued, false, Timeout())).Status);
        Assert.Equal(2, s.Count("status"));
    }

    [Fact]
    public async Task The_callers_token_stops_retrying_at_once()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => ScriptedFal.Json(ctx, 503, "{}", ("Retry-After", "30")));
        using var client = Direct(s, o => o.RetryMaxDelay = TimeSpan.FromSeconds(30));
        using var cts = new System.Threading.CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetStatusAsync(Queued, false, cts.Token));
        Assert.True(clock.ElapsedMilliseconds < 5000);
        Assert.Equal(1, s.Count("status"));
    }
}
