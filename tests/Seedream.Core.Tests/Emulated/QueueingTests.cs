using System.Diagnostics;
using System.Net;
using System.Threading;

namespace Seedream.Core.Tests.Emulated;

/// <summary>Requests that really wait: one runner, 1.5 s jobs.</summary>
public sealed class QueueingTests : IClassFixture<QueueingEmulatorFixture>, IAsyncLifetime
{
    private static readonly EndpointId Seedream = EndpointId.Parse(EndpointId.SeedreamV5LiteEdit);
    private readonly QueueingEmulatorFixture _f;
    private readonly FalClient _client;
    private readonly List<JobRef> _submitted = new();

    public QueueingTests(QueueingEmulatorFixture f)
    {
        _f = f;
        _client = f.NewClient();
    }

    private static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private async Task<(Job Job, JobRef Ref)> SubmitAsync(SubmitOptions? options = null)
    {
        var job = await _client.SubmitAsync(Seedream, _f.Input(), options, Timeout());
        var r = JobRef.From(job);
        lock (_submitted) _submitted.Add(r);
        return (job, r);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Frees the single runner for the next test.</summary>
    public async Task DisposeAsync()
    {
        foreach (var r in _submitted) await _client.CancelAsync(r, Timeout());
        foreach (var r in _submitted) await _f.OutcomeAsync(r.RequestId);
        _client.Dispose();
    }

    [Fact]
    public async Task Queued_requests_report_their_position()
    {
        await SubmitAsync(); // takes the runner
        var (b, bRef) = await SubmitAsync();
        var (c, cRef) = await SubmitAsync();
        Assert.NotNull(b.QueuePosition);
        Assert.Equal(b.QueuePosition + 1, c.QueuePosition);

        var status = await _client.GetStatusAsync(cRef, false, Timeout());
        Assert.Equal(JobStatus.InQueue, status.Status);
        Assert.Equal(c.QueuePosition, status.QueuePosition);
        Assert.Contains("position", status.ToString());

        // Cancelling the one ahead moves c up.
        Assert.Equal(nameof(CancelOutcome.CancellationRequested), (await _client.CancelAsync(bRef, Timeout())).Outcome);
        Assert.Equal(c.QueuePosition - 1, (await _client.GetStatusAsync(cRef, false, Timeout())).QueuePosition);
    }

    [Fact]
    public async Task Status_is_202_while_pending_and_200_once_completed()
    {
        var log = new ListLog();
        using var client = _f.NewClient(log: log);
        await SubmitAsync(); // takes the runner
        var (_, job) = await SubmitAsync();

        var pending = await client.GetStatusAsync(job, false, Timeout());
        Assert.Equal(JobStatus.InQueue, pending.Status);
        Assert.False(pending.IsCompleted);
        Assert.Equal(job.RequestId, pending.RequestId);
        Assert.Contains(log.Lines, l => l.Contains(job.RequestId + "/status?…") && l.Contains("-> 202"));
        Assert.DoesNotContain(log.Lines, l => l.Contains("-> 200") && l.Contains("/status?"));

        // Cancelled is completed too: 200.
        await client.CancelAsync(job, Timeout());
        var done = await client.GetStatusAsync(job, false, Timeout());
        Assert.True(done.IsCompleted);
        Assert.Contains(log.Lines, l => l.Contains(job.RequestId + "/status?…") && l.Contains("-> 200"));
    }

    [Fact]
    public async Task The_stream_reports_queued_then_running_then_completed()
    {
        var (_, blocker) = await SubmitAsync();
        var (_, job) = await SubmitAsync();
        var seen = new List<JobStatus>();
        var released = 0;
        var final = await _client.StreamStatusAsync(job, false, s =>
        {
            lock (seen) seen.Add(s);
            // Once queued has been seen, free the runner so the job moves on.
            if (s.Status == JobStatus.InQueue && Interlocked.Exchange(ref released, 1) == 0)
                _ = _client.CancelAsync(blocker, Timeout());
        }, Timeout());

        Assert.Equal(JobStatus.Completed, final.Status);
        Assert.True(final.IsSucceeded, final.ToString());
        var order = seen.Select(s => s.Status).Distinct().ToArray();
        Assert.Equal(new[] { JobStatus.InQueue, JobStatus.InProgress, JobStatus.Completed }, order);
        // Ranks never go backwards.
        var ranks = seen.Select(s => Array.IndexOf(new[] { JobStatus.InQueue, JobStatus.InProgress, JobStatus.Completed }, s.Status)).ToList();
        Assert.Equal(ranks.OrderBy(x => x), ranks);
        Assert.Same(seen.Last(), final);
        Assert.Equal(0, seen.First().QueuePosition);
    }

    [Fact]
    public async Task Cancelling_a_queued_request_completes_it_as_cancelled()
    {
        await SubmitAsync();
        var (_, job) = await SubmitAsync();
        var r = await _client.CancelAsync(job, Timeout());
        Assert.Equal(nameof(CancelOutcome.CancellationRequested), r.Outcome);
        Assert.Equal(EndpointId.SeedreamV5LiteEdit, r.Endpoint);

        var status = await _client.GetStatusAsync(job, false, Timeout());
        Assert.True(status.IsCompleted);
        Assert.True(status.IsFailed);
        Assert.Equal("client_cancelled", status.ErrorType);
        Assert.Equal("cancelled", await _f.OutcomeAsync(job.RequestId));

        var ex = await Assert.ThrowsAsync<FalApiException>(() => _client.GetResultAsync(job, Timeout()));
        Assert.Equal(FalErrorKind.JobCancelled, ex.Kind);
        Assert.Equal(job.RequestId, ex.RequestId);

        // A second cancel finds it finished.
        Assert.Equal(nameof(CancelOutcome.AlreadyCompleted), (await _client.CancelAsync(job, Timeout())).Outcome);
    }

    [Fact]
    public async Task A_wait_that_times_out_cancels_the_request()
    {
        await SubmitAsync();
        var (_, job) = await SubmitAsync();
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<FalWaitTimeoutException>(() => _client.WaitAsync(job, new WaitOptions { Timeout = TimeSpan.FromMilliseconds(200) }, Timeout()));
        Assert.InRange(clock.ElapsedMilliseconds, 150, 5000);
        Assert.Equal(job.RequestId, ex.RequestId);
        Assert.Equal(TimeSpan.FromMilliseconds(200), ex.Timeout);
        Assert.Equal("cancelled", await _f.OutcomeAsync(job.RequestId));
    }

    [Fact]
    public async Task A_timed_out_wait_can_leave_the_request_alone()
    {
        await SubmitAsync();
        var (_, job) = await SubmitAsync();
        await Assert.ThrowsAsync<FalWaitTimeoutException>(() => _client.WaitAsync(job, new WaitOptions { Timeout = TimeSpan.FromMilliseconds(100), CancelRemoteOnAbort = false }, Timeout()));
        var info = await _f.JobInfoAsync(job.RequestId);
        Assert.False(info.GetProperty("cancelRequested").GetBoolean());
        Assert.NotEqual("COMPLETED", info.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Aborting_a_wait_cancels_the_request_remotely()
    {
        await SubmitAsync();
        var (_, job) = await SubmitAsync();
        foreach (var useStream in new[] { true, false })
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(150));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _client.WaitAsync(job, new WaitOptions { UseStream = useStream }, cts.Token));
            Assert.Equal("cancelled", await _f.OutcomeAsync(job.RequestId));
            (_, job) = await SubmitAsync();
        }
    }

    [Fact]
    public async Task A_start_timeout_ends_the_request_with_a_start_timeout_error()
    {
        // Two 1.5 s jobs ahead: the 1.1 s start deadline passes long before a runner is free.
        for (var i = 0; i < 2; i++) await SubmitAsync();
        var (_, job) = await SubmitAsync(new SubmitOptions { StartTimeout = TimeSpan.FromSeconds(1.1) });
        var status = await _client.WaitAsync(job, new WaitOptions(), Timeout());
        Assert.True(status.IsFailed);
        Assert.Equal("request_timeout", status.ErrorType);

        var ex = await Assert.ThrowsAsync<FalApiException>(() => _client.GetResultAsync(job, Timeout()));
        Assert.Equal(FalErrorKind.StartTimeout, ex.Kind);
        Assert.Equal(HttpStatusCode.GatewayTimeout, ex.StatusCode);
        Assert.Equal("user", ex.TimeoutType);
        Assert.Equal(1, ex.Attempts); // never retried
    }
}
