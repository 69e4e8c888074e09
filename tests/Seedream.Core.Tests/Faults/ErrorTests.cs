using System.Net;
using System.Text;
using static Seedream.Core.Tests.Faults.FaultClients;

namespace Seedream.Core.Tests.Faults;

/// <summary>Both fal error formats, headers and malformed answers.</summary>
public sealed class ErrorTests
{
    private static async Task<FalApiException> ResultErrorAsync(int code, string body, params (string, string)[] headers)
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => ScriptedFal.Json(ctx, code, body, headers));
        using var client = Direct(s, o => o.MaxRetryCount = 0);
        return await Assert.ThrowsAsync<FalApiException>(() => client.GetResultAsync(Queued, Timeout()));
    }

    [Fact]
    public async Task A_detail_list_becomes_validation_errors()
    {
        var ex = await ResultErrorAsync(422, """
            {"detail":[
              {"loc":["body","image_urls",0],"msg":"Failed to download the file.","type":"file_download_error","url":"https://docs.fal.ai/errors/#file_download_error","input":"https://x/y.png"},
              {"loc":["body","num_images"],"msg":"Input should be less than or equal to 6","type":"less_than_equal","ctx":{"le":6}}
            ]}
            """, ("X-Fal-Retryable", "false"), ("x-fal-request-id", "from-header-1"));
        Assert.Equal(FalErrorKind.Validation, ex.Kind);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, ex.StatusCode);
        Assert.Equal("from-header-1", ex.RequestId); // the server's id wins over the one asked for
        Assert.False(ex.Retryable);
        Assert.Equal(2, ex.ValidationErrors.Count);
        var first = ex.ValidationErrors[0];
        Assert.Equal(new[] { "body", "image_urls", "0" }, first.Location);
        Assert.Equal("image_urls.0", first.Field);
        Assert.Equal("file_download_error", first.Type);
        Assert.Equal("https://docs.fal.ai/errors/#file_download_error", first.Url);
        Assert.Null(first.Context);
        Assert.Equal(6L, ex.ValidationErrors[1].Context!["le"]);
        Assert.Equal("num_images: Input should be less than or equal to 6 (less_than_equal)", ex.ValidationErrors[1].ToString());
        Assert.Contains("image_urls.0: Failed to download the file.", ex.Message);
        Assert.Contains("from-header-1", ex.Message);
    }

    [Fact]
    public async Task A_detail_string_with_error_type_is_read()
    {
        var ex = await ResultErrorAsync(400, "{\"detail\":\"Request is still in progress\",\"error_type\":\"request_not_completed\"}");
        Assert.Equal(FalErrorKind.BadRequest, ex.Kind);
        Assert.Equal("Request is still in progress", ex.Detail);
        Assert.Equal("request_not_completed", ex.ErrorType);
        Assert.Empty(ex.ValidationErrors);
        Assert.Null(ex.Retryable);
        Assert.Equal(ScriptedFal.RequestId, ex.RequestId); // no header: the id of the request asked for
        Assert.Contains("request_not_completed", ex.Message);
    }

    [Fact]
    public async Task The_error_type_header_is_used_when_the_body_has_none()
    {
        var ex = await ResultErrorAsync(503, "{\"detail\":\"No runner\"}", ("X-Fal-Error-Type", "runner_unavailable"), ("X-Fal-Retryable", "true"));
        Assert.Equal(FalErrorKind.Server, ex.Kind);
        Assert.Equal("runner_unavailable", ex.ErrorType);
        Assert.Equal("No runner", ex.Detail);
        Assert.True(ex.Retryable);

        var both = await ResultErrorAsync(500, "{\"detail\":\"x\",\"error_type\":\"from_body\"}", ("X-Fal-Error-Type", "from_header"));
        Assert.Equal("from_body", both.ErrorType);
    }

    [Theory]
    [InlineData(401, FalErrorKind.Unauthorized)]
    [InlineData(403, FalErrorKind.Forbidden)]
    [InlineData(404, FalErrorKind.NotFound)]
    [InlineData(409, FalErrorKind.BadRequest)]
    [InlineData(499, FalErrorKind.JobCancelled)]
    [InlineData(501, FalErrorKind.Server)]
    public async Task Status_codes_map_to_kinds(int code, FalErrorKind kind)
    {
        Assert.Equal(kind, (await ResultErrorAsync(code, "{\"detail\":\"x\"}")).Kind);
    }

    [Fact]
    public async Task A_cancelled_request_result_is_a_cancellation()
    {
        var ex = await ResultErrorAsync(400, "{\"detail\":\"Request was cancelled\",\"error_type\":\"client_cancelled\"}");
        Assert.Equal(FalErrorKind.JobCancelled, ex.Kind);
    }

    [Fact]
    public async Task A_non_json_error_body_is_kept_as_text()
    {
        var ex = await ResultErrorAsync(500, "<html><body>Bad Gateway from nginx</body></html>");
        Assert.Equal(FalErrorKind.Server, ex.Kind);
        Assert.Null(ex.Detail);
        Assert.Contains("Bad Gateway from nginx", ex.Message);
        Assert.Equal("<html><body>Bad Gateway from nginx</body></html>", ex.ResponseBody);
    }

    [Fact]
    public async Task The_key_is_redacted_from_error_text()
    {
        var ex = await ResultErrorAsync(400, "{\"detail\":\"invalid key " + Key + "\"}");
        Assert.DoesNotContain(Key, ex.Message);
        Assert.DoesNotContain(Key, ex.ResponseBody);
        Assert.Contains("***", ex.Message);
    }

    [Fact]
    public async Task A_huge_error_body_is_bounded()
    {
        var ex = await ResultErrorAsync(500, "{\"detail\":\"" + new string('x', 3 * 1024 * 1024) + "\"}");
        Assert.Equal(FalErrorKind.Server, ex.Kind);
        Assert.True(ex.Message.Length < 64 * 1024, $"message of {ex.Message.Length} chars");
        Assert.True((ex.ResponseBody ?? "").Length <= 16 * 1024 + 1);
    }

    [Fact]
    public async Task A_request_id_header_is_kept_when_submit_fails()
    {
        // A 4xx (a 5xx naming the request would be followed as the job: GatewayErrorTests).
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => ScriptedFal.Json(ctx, 400, "{\"detail\":\"bad header\",\"error_type\":\"bad_request\"}", ("x-fal-request-id", "gw-submit-9")));
        using var client = Direct(s);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Edit, Body, null, Timeout()));
        Assert.Equal(FalErrorKind.BadRequest, ex.Kind);
        Assert.Equal("gw-submit-9", ex.RequestId);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1]", "not an object")]
    [InlineData("{\"status\":\"IN_QUEUE\"}", "no request_id")]
    [InlineData("{\"request_id\":\"../../admin\"}", "unusable request_id")]
    [InlineData("{\"request_id\":\"\"}", "no request_id")]
    public async Task An_unusable_submit_answer_is_a_protocol_error(string body, string message)
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => ScriptedFal.Json(ctx, 200, body));
        using var client = Direct(s);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Edit, Body, null, Timeout()));
        Assert.Equal(FalErrorKind.Protocol, ex.Kind);
        Assert.Contains(message, ex.Message);
        Assert.Equal(1, s.Count("submit")); // a job may exist: never submit again
    }

    [Fact]
    public async Task A_submit_answer_without_body_id_uses_the_header_id()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => ScriptedFal.Json(ctx, 200, "{\"status\":\"IN_QUEUE\"}", ("x-fal-request-id", ScriptedFal.RequestId)));
        using var client = Direct(s);
        var job = await client.SubmitAsync(Edit, Body, null, Timeout());
        Assert.Equal(ScriptedFal.RequestId, job.RequestId);
        Assert.Null(job.QueuePosition);
        Assert.Null(job.StatusUrl);
    }

    [Fact]
    public async Task A_status_without_status_is_a_protocol_error()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => ScriptedFal.Json(ctx, 200, "{\"request_id\":\"x\"}"));
        using var client = Direct(s);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.GetStatusAsync(Queued, false, Timeout()));
        Assert.Equal(FalErrorKind.Protocol, ex.Kind);
        Assert.Equal(ScriptedFal.RequestId, ex.RequestId);
    }

    [Fact]
    public async Task Status_fields_are_read_including_errors_and_logs()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => ScriptedFal.Status(ctx, JobStatus.Completed,
            "\"error\":\"Image failed the safety check\",\"error_type\":\"content_policy_violation\",\"metrics\":{\"inference_time\":2.5}," +
            "\"logs\":[{\"message\":\"a\",\"level\":\"INFO\",\"source\":\"USER\",\"timestamp\":\"2026-01-02T03:04:05.678Z\"},{\"message\":\"b\"},7]"));
        using var client = Direct(s);
        var st = await client.GetStatusAsync(Queued, true, Timeout());
        Assert.True(st.IsFailed);
        Assert.False(st.IsSucceeded);
        Assert.Equal("content_policy_violation", st.ErrorType);
        Assert.Equal("Image failed the safety check", st.Error);
        Assert.Equal(2.5, st.InferenceTime);
        Assert.Equal(new[] { "a", "b" }, st.Logs.Select(l => l.Message));
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero).UtcDateTime, st.Logs[0].Timestamp!.Value.ToUniversalTime());
        Assert.Null(st.Logs[1].Timestamp);
        Assert.EndsWith("?logs=1", s.Seen.Single().Target);
    }

    [Fact]
    public async Task A_response_over_the_byte_limit_is_refused_with_or_without_a_length()
    {
        var big = "{\"request_id\":\"" + ScriptedFal.RequestId + "\",\"pad\":\"" + new string('p', 5000) + "\"}";
        await using var s = await ScriptedFal.StartAsync(async (ctx, route, n) =>
        {
            if (n == 0) { await ScriptedFal.Json(ctx, 200, big); return; }
            // Chunked: no Content-Length to refuse up front; the reader must stop by itself.
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/json";
            for (var i = 0; i < 50; i++) await ScriptedFal.Write(ctx, new string(' ', 1000));
        });
        using var client = Direct(s, o => o.MaxResponseBytes = 4096);
        var declared = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Edit, Body, null, Timeout()));
        Assert.Equal(FalErrorKind.Protocol, declared.Kind);
        Assert.Contains("4096", declared.Message);
        var streamed = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Edit, Body, null, Timeout()));
        Assert.Equal(FalErrorKind.Protocol, streamed.Kind);
        Assert.Contains("4096", streamed.Message);
        Assert.Equal(2, s.Count("submit")); // each refused once, neither retried
    }

    [Fact]
    public async Task A_body_shorter_than_its_length_is_a_broken_response()
    {
        await using var s = await ScriptedFal.StartAsync(async (ctx, route, n) =>
        {
            if (n > 0) { await ScriptedFal.Status(ctx, JobStatus.InQueue); return; }
            ctx.Response.StatusCode = 202;
            ctx.Response.ContentType = "application/json";
            ctx.Response.ContentLength = 500;
            await ScriptedFal.Write(ctx, "{\"status\":\"IN_QUEUE\"");
            ctx.Abort();
        });
        using var client = Direct(s);
        Assert.Equal(JobStatus.InQueue, (await client.GetStatusAsync(Queued, false, Timeout())).Status);
        Assert.Equal(2, s.Count("status"));
    }

    [Fact]
    public async Task Cancel_outcomes_follow_the_documented_answers()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => n switch
        {
            0 => ScriptedFal.Json(ctx, 202, "{\"status\":\"CANCELLATION_REQUESTED\"}"),
            1 => ScriptedFal.Json(ctx, 400, "{\"status\":\"ALREADY_COMPLETED\"}"),
            2 => ScriptedFal.Json(ctx, 404, "{\"status\":\"NOT_FOUND\"}"),
            3 => ScriptedFal.Json(ctx, 200, "{\"status\":\"NOT_FOUND\"}"),
            _ => ScriptedFal.Json(ctx, 400, "{\"detail\":\"bad\",\"error_type\":\"bad_request\"}"),
        });
        using var client = Direct(s);
        Assert.Equal(nameof(CancelOutcome.CancellationRequested), (await client.CancelAsync(Queued, Timeout())).Outcome);
        Assert.Equal(nameof(CancelOutcome.AlreadyCompleted), (await client.CancelAsync(Queued, Timeout())).Outcome);
        Assert.Equal(nameof(CancelOutcome.NotFound), (await client.CancelAsync(Queued, Timeout())).Outcome);
        Assert.Equal(nameof(CancelOutcome.NotFound), (await client.CancelAsync(Queued, Timeout())).Outcome);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.CancelAsync(Queued, Timeout()));
        Assert.Equal(FalErrorKind.BadRequest, ex.Kind);
        Assert.All(s.Seen, r => Assert.Equal("PUT", r.Method));
    }
}
