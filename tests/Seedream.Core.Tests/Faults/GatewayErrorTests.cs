using System.Net;
using Microsoft.AspNetCore.Http;
using static Seedream.Core.Tests.Faults.FaultClients;

namespace Seedream.Core.Tests.Faults;

/// <summary>
/// fal's two kinds of 502/503/504: the ingress proxy's page (no request id: the request never
/// arrived, so any call is retried, submit included) and fal's own server error (names the
/// request: a submit is followed by that id, reads are retried), plus the truly ambiguous loss.
/// </summary>
public sealed class GatewayErrorTests
{
    private const string OtherId = "7c0d2a31-55e4-4f6b-9a8e-1b2c3d4e5f60";

    /// <summary>What nginx in front of fal answers when it cannot reach the queue.</summary>
    internal static Task IngressPage(HttpContext ctx, int code)
    {
        var title = code == 502 ? "502 Bad Gateway" : code == 503 ? "503 Service Temporarily Unavailable" : "504 Gateway Time-out";
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "text/html";
        return ScriptedFal.Write(ctx, $"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n");
    }

    /// <summary>fal's own infrastructure error, naming the request.</summary>
    internal static Task ServerError(HttpContext ctx, int code, string id = ScriptedFal.RequestId) =>
        ScriptedFal.Json(ctx, code, "{\"detail\":\"The runner sent an incomplete response\",\"error_type\":\"runner_incomplete_response\"}",
            ("x-fal-request-id", id), ("X-Fal-Error-Type", "runner_incomplete_response"));

    [Theory]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task An_ingress_error_at_submit_is_retried_because_the_request_never_arrived(int code)
    {
        await using var s = await ScriptedFal.StartAsync(async (ctx, route, n) =>
        {
            await ScriptedFal.Drain(ctx);
            if (n < 2) await IngressPage(ctx, code);
            else await ScriptedFal.SubmitOk(ctx);
        });
        using var client = Direct(s);
        var job = await client.SubmitAsync(Edit, Body, null, Timeout());
        Assert.Equal(ScriptedFal.RequestId, job.RequestId);
        Assert.Equal(3, s.Count("submit"));
    }

    [Fact]
    public async Task An_ingress_error_at_run_is_retried_too()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => n == 0 ? IngressPage(ctx, 504) : ScriptedFal.Json(ctx, 200, "{\"images\":[]}", ("x-fal-request-id", ScriptedFal.RequestId)));
        using var client = Direct(s);
        var r = await client.RunAsync(Edit, Body, null, null, Timeout());
        Assert.Equal(ScriptedFal.RequestId, r.RequestId);
        Assert.Equal(2, s.Count("run"));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task A_server_error_at_submit_that_names_the_request_is_followed_by_that_id(int code)
    {
        await using var s = await ScriptedFal.StartAsync(async (ctx, route, n) =>
        {
            await ScriptedFal.Drain(ctx);
            await ServerError(ctx, code, OtherId);
        });
        using var client = Direct(s);
        var job = await client.SubmitAsync(Edit, Body, new SubmitOptions { WebhookUrl = "https://example.com/hook" }, Timeout());
        Assert.Equal(OtherId, job.RequestId);
        Assert.Equal(JobStatus.InQueue, job.Status);
        Assert.Equal(Edit.Full, job.Endpoint);
        Assert.Equal("https://example.com/hook", job.WebhookUrl);
        Assert.Equal(1, s.Count("submit")); // never sent twice
    }

    [Fact]
    public async Task An_adopted_job_is_waited_for_and_its_result_delivered()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => route switch
        {
            "submit" => ServerError(ctx, 504),
            "stream" => ServerError(ctx, 502), // fal's error on the stream too: status polling takes over
            "status" => ScriptedFal.Status(ctx, n == 0 ? JobStatus.InProgress : JobStatus.Completed),
            "result" when n == 0 => ServerError(ctx, 502),
            _ => ScriptedFal.Json(ctx, 200, "{\"images\":[{\"url\":\"https://v3.fal.media/a.png\"}],\"seed\":1}", ("x-fal-request-id", ScriptedFal.RequestId)),
        });
        using var client = Direct(s, o => o.MaxRetryCount = 1);
        var job = await client.SubmitAsync(Edit, Body, null, Timeout());
        var done = await client.WaitAsync(JobRef.From(job), new WaitOptions { PollInterval = TimeSpan.FromMilliseconds(10) }, Timeout());
        Assert.True(done.IsSucceeded);
        var result = await client.GetResultAsync(JobRef.From(job), succeeded: true, Timeout());
        Assert.Contains("a.png", result.Json);
        Assert.Equal(1, s.Count("submit"));
        Assert.Equal(2, s.Count("result"));
        Assert.All(s.Seen.Where(r => r.Route is "status" or "stream" or "result"), r => Assert.Contains(ScriptedFal.RequestId, r.Target));
    }

    [Theory]
    [InlineData("status", true)]
    [InlineData("status", false)]
    [InlineData("result", true)]
    [InlineData("result", false)]
    [InlineData("cancel", true)]
    [InlineData("cancel", false)]
    public async Task Reads_retry_both_shapes(string op, bool ingress)
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => n == 0
            ? (ingress ? IngressPage(ctx, 502) : ServerError(ctx, 504))
            : route switch
            {
                "status" => ScriptedFal.Status(ctx, JobStatus.Completed),
                "cancel" => ScriptedFal.Json(ctx, 400, "{\"status\":\"ALREADY_COMPLETED\"}"),
                _ => ScriptedFal.Json(ctx, 200, "{\"images\":[]}"),
            });
        using var client = Direct(s);
        switch (op)
        {
            case "status": Assert.True((await client.GetStatusAsync(Queued, false, Timeout())).IsCompleted); break;
            case "result": await client.GetResultAsync(Queued, Timeout()); break;
            default: Assert.Equal(nameof(CancelOutcome.AlreadyCompleted), (await client.CancelAsync(Queued, Timeout())).Outcome); break;
        }
        Assert.Equal(2, s.Count(op));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_stream_refused_in_either_shape_still_ends_in_the_completion(bool ingress)
    {
        await using var s = await ScriptedFal.StartAsync(async (ctx, route, n) =>
        {
            if (route == "stream" && n == 0)
            {
                if (ingress) await IngressPage(ctx, 504);
                else await ServerError(ctx, 502);
                return;
            }

            if (route == "stream")
            {
                await ScriptedFal.StartStream(ctx);
                await ScriptedFal.Write(ctx, "data: " + ScriptedFal.StatusJson(JobStatus.Completed) + "\n\n");
                return;
            }

            await ScriptedFal.Status(ctx, JobStatus.InProgress);
        });
        using var client = Direct(s);
        var done = await client.WaitAsync(Queued, new WaitOptions(), Timeout());
        Assert.True(done.IsCompleted);
        Assert.Equal(2, s.Count("stream")); // the stream retried, no polling needed
    }

    [Fact]
    public async Task A_connection_dropped_before_any_header_at_submit_is_one_error_saying_a_job_may_exist()
    {
        await using var s = await ScriptedFal.StartAsync(async (ctx, route, n) =>
        {
            await ScriptedFal.Drain(ctx);
            ctx.Abort();
        });
        using var client = Direct(s);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Edit, Body, null, Timeout()));
        Assert.Equal(FalErrorKind.Connection, ex.Kind);
        Assert.Equal(1, ex.Attempts);
        Assert.Null(ex.RequestId);
        Assert.Contains("may have created a job", ex.Message);
        Assert.Contains("not submitted again", ex.Message);
        Assert.DoesNotContain(Key, ex.Message);
        Assert.Equal(1, s.Count("submit"));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(504)]
    public async Task A_gateway_error_from_nobody_in_particular_at_submit_is_reported_with_the_same_note(int code)
    {
        // JSON, no request id, no proxy page: it may have come from anywhere after the job was made.
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => ScriptedFal.Json(ctx, code, "{\"detail\":\"upstream\"}"));
        using var client = Direct(s);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Edit, Body, null, Timeout()));
        Assert.Equal(FalErrorKind.Server, ex.Kind);
        Assert.Equal((HttpStatusCode)code, ex.StatusCode);
        Assert.Contains("not submitted again", ex.Message);
        Assert.Equal("upstream", ex.Detail);
        Assert.Equal(1, s.Count("submit"));
    }

    [Fact]
    public async Task A_rejection_is_not_called_ambiguous()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => ScriptedFal.Json(ctx, 503, "{\"detail\":\"busy\"}", ("Retry-After", "0")));
        using var client = Direct(s, o => o.MaxRetryCount = 1);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Edit, Body, null, Timeout()));
        Assert.Equal(2, ex.Attempts);
        Assert.DoesNotContain("not submitted again", ex.Message);
    }

    [Fact]
    public async Task A_server_error_at_run_names_the_request_and_is_not_run_again()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => ServerError(ctx, 502, OtherId));
        using var client = Direct(s);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.RunAsync(Edit, Body, null, null, Timeout()));
        Assert.Equal(FalErrorKind.Server, ex.Kind);
        Assert.Equal(OtherId, ex.RequestId);
        Assert.Contains("not run again", ex.Message);
        Assert.Equal(1, s.Count("run"));
    }

    [Fact]
    public async Task A_user_start_timeout_at_submit_is_neither_adopted_nor_retried()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) =>
            ScriptedFal.Json(ctx, 504, "{\"detail\":\"Request timed out\",\"error_type\":\"request_timeout\"}", ("X-Fal-Request-Timeout-Type", "user"), ("x-fal-request-id", OtherId)));
        using var client = Direct(s);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Edit, Body, null, Timeout()));
        Assert.Equal(FalErrorKind.StartTimeout, ex.Kind);
        Assert.Equal(OtherId, ex.RequestId);
        Assert.Equal(1, s.Count("submit"));
    }

    [Fact]
    public async Task A_request_id_that_echoes_the_key_is_not_adopted_and_the_key_stays_out_of_the_error()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) =>
            ScriptedFal.Json(ctx, 502, "{\"detail\":\"" + Key + "\"}", ("x-fal-request-id", Key)));
        using var client = Direct(s);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Edit, Body, null, Timeout()));
        Assert.Null(ex.RequestId);
        Assert.DoesNotContain(Key, ex.Message);
        Assert.DoesNotContain(Key, ex.ResponseBody ?? "");
        Assert.Equal(1, s.Count("submit"));
    }
}
