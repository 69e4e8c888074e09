using System.IO;
using Microsoft.AspNetCore.Http;
using static Seedream.Core.Tests.Faults.FaultClients;

namespace Seedream.Core.Tests.Faults;

/// <summary>
/// Faults the client recovers from without risking a second job: a submit answer that breaks off
/// after naming the job, garbled answers to reads, passing 500s where no job error can hide.
/// </summary>
public sealed class RecoveryTests
{
    private const string Garbage = "<html>502 from some proxy</html>";

    /// <summary>A submit answer: 200 with the id in the header, then a body that is cut, reset or garbled.</summary>
    private static async Task BrokenSubmitAsync(HttpContext ctx, string how, bool withHeader = true)
    {
        await ScriptedFal.Drain(ctx);
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        if (withHeader) ctx.Response.Headers["x-fal-request-id"] = ScriptedFal.RequestId;
        switch (how)
        {
            case "garbled":
                await ScriptedFal.Json(ctx, 200, Garbage, withHeader ? new[] { ("x-fal-request-id", ScriptedFal.RequestId) } : Array.Empty<(string, string)>());
                return;
            case "cut":
                ctx.Response.ContentLength = 400;
                await ScriptedFal.Write(ctx, "{\"request_id\":\"" + ScriptedFal.RequestId.Substring(0, 8));
                break;
            default: // reset: chunked, a few bytes
                await ScriptedFal.Write(ctx, "{\"req");
                break;
        }

        await Task.Delay(100); // the client has the headers before the connection goes
        ctx.Abort();
    }

    [Theory]
    [InlineData("cut")]
    [InlineData("reset")]
    [InlineData("garbled")]
    public async Task A_submit_answer_that_breaks_off_after_naming_the_job_is_followed(string how)
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => BrokenSubmitAsync(ctx, how));
        using var client = Direct(s);
        var job = await client.SubmitAsync(Edit, Body, null, Timeout());
        Assert.Equal(ScriptedFal.RequestId, job.RequestId);
        Assert.Equal(JobStatus.InQueue, job.Status);
        Assert.Null(job.StatusUrl); // built from the endpoint id when used
        Assert.Equal(1, s.Count("submit"));
    }

    [Theory]
    [InlineData("cut", FalErrorKind.Connection)]
    [InlineData("garbled", FalErrorKind.Protocol)]
    public async Task Without_the_header_a_broken_submit_answer_is_reported_and_never_resent(string how, FalErrorKind kind)
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => BrokenSubmitAsync(ctx, how, withHeader: false));
        using var client = Direct(s);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Edit, Body, null, Timeout()));
        Assert.Equal(kind, ex.Kind);
        Assert.Equal(1, s.Count("submit"));
    }

    [Fact]
    public async Task Garbled_answers_to_status_and_result_reads_are_retried()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => (route, n) switch
        {
            ("status", 0) => ScriptedFal.Json(ctx, 200, Garbage),
            ("status", _) => ScriptedFal.Status(ctx, JobStatus.Completed),
            ("result", 0) => ScriptedFal.Json(ctx, 200, "{\"images\":[{\"url\":\"https://x/a.png\""), // valid start, cut JSON
            _ => ScriptedFal.Json(ctx, 200, "{\"images\":[],\"seed\":5}"),
        });
        using var client = Direct(s);
        Assert.True((await client.GetStatusAsync(Queued, false, Timeout())).IsCompleted);
        Assert.Contains("\"seed\":5", (await client.GetResultAsync(Queued, Timeout())).Json);
        Assert.Equal(2, s.Count("status"));
        Assert.Equal(2, s.Count("result"));
    }

    [Fact]
    public async Task A_garbled_status_that_never_heals_ends_as_a_protocol_error_after_the_retries()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => ScriptedFal.Json(ctx, 200, "{\"status\":\"IN_QUEUE\"," + new string('[', 5000)));
        using var client = Direct(s, o => o.MaxRetryCount = 2);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.GetStatusAsync(Queued, false, Timeout()));
        Assert.Equal(FalErrorKind.Protocol, ex.Kind);
        Assert.Equal(ScriptedFal.RequestId, ex.RequestId);
        Assert.Equal(3, ex.Attempts);
        Assert.Equal(3, s.Count("status"));
    }

    [Fact]
    public async Task A_500_on_the_result_of_a_request_that_succeeded_is_retried()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => n == 0
            ? ScriptedFal.Json(ctx, 500, "{\"detail\":\"oops\",\"error_type\":\"internal_error\"}")
            : ScriptedFal.Json(ctx, 200, "{\"images\":[]}"));
        using var client = Direct(s);
        await client.GetResultAsync(Queued, succeeded: true, Timeout());
        Assert.Equal(2, s.Count("result"));
    }

    [Fact]
    public async Task A_garbled_stream_event_reconnects_the_stream_instead_of_giving_it_up()
    {
        await using var s = await ScriptedFal.StartAsync(async (ctx, route, n) =>
        {
            if (route != "stream")
            {
                await ScriptedFal.Status(ctx, JobStatus.InProgress);
                return;
            }

            await ScriptedFal.StartStream(ctx);
            await ScriptedFal.Write(ctx, n == 0 ? "data: {\"status\": <garbage>\n\n" : "data: " + ScriptedFal.StatusJson(JobStatus.Completed) + "\n\n");
        });
        using var client = Direct(s);
        var done = await client.WaitAsync(Queued, new WaitOptions(), Timeout());
        Assert.True(done.IsCompleted);
        Assert.Equal(2, s.Count("stream"));
        Assert.Equal(1, s.Count("status")); // one check between the two streams, no polling
    }

    [Fact]
    public async Task A_failed_upload_put_is_retried_and_the_cancel_500_too()
    {
        await using var cdn = await ScriptedFal.StartAsync(async (ctx, route, n) =>
        {
            await ScriptedFal.Drain(ctx);
            if (n == 0) await ScriptedFal.Json(ctx, 500, "{\"detail\":\"upload failed\"}");
            else ctx.Response.StatusCode = 200;
        });
        await using var api = await ScriptedFal.StartAsync((ctx, route, n) => route == "cancel"
            ? (n == 0 ? ScriptedFal.Json(ctx, 500, "{\"detail\":\"oops\"}") : ScriptedFal.Json(ctx, 202, "{\"status\":\"CANCELLATION_REQUESTED\"}"))
            : ScriptedFal.Json(ctx, 200, $"{{\"upload_url\":\"{cdn.BaseUrl}upload/1?sig=s\",\"file_url\":\"{cdn.BaseUrl}file.bin\"}}"));
        using var client = Direct(api);
        var path = Path.GetTempFileName();
        try
        {
            System.IO.File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
            Assert.Equal(cdn.BaseUrl + "file.bin", (await client.UploadFileAsync(path, null, Timeout())).Url);
        }
        finally { System.IO.File.Delete(path); }
        Assert.Equal(2, cdn.Seen.Count);
        Assert.Equal(nameof(CancelOutcome.CancellationRequested), (await client.CancelAsync(Queued, Timeout())).Outcome);
        Assert.Equal(2, api.Count("cancel"));
    }
}
