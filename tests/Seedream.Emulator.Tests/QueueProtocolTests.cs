using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading.Tasks;
using Xunit;

namespace Seedream.Emulator.Tests;

public class QueueProtocolTests
{
    private static object SimpleInput(long seed = 7) => new
    {
        prompt = "make it blue",
        image_urls = new[] { TestImages.DataUri(TestImages.Png(16, 16)) },
        seed,
    };

    [Fact]
    public async Task Submit_status_result_round_trip_through_the_proxy()
    {
        await using var h = await Harness.StartAsync(processingMs: 1000); // long enough to observe the 202s

        using var submitResponse = await h.ProxyAsync(HttpMethod.Post, Harness.QueueBase + Harness.Endpoint, JsonSerializer.Serialize(SimpleInput()));
        Assert.Equal(HttpStatusCode.OK, submitResponse.StatusCode);
        var submit = JsonDocument.Parse(await submitResponse.Content.ReadAsStringAsync()).RootElement;
        var id = submit.GetProperty("request_id").GetString()!;
        Assert.True(Guid.TryParse(id, out _));
        Assert.Equal(id, submit.GetProperty("gateway_request_id").GetString());
        Assert.Equal("IN_QUEUE", submit.GetProperty("status").GetString());
        Assert.Equal(0, submit.GetProperty("queue_position").GetInt32());
        Assert.Equal(Harness.AppBase + id, submit.GetProperty("response_url").GetString());
        Assert.Equal(Harness.AppBase + id + "/status", submit.GetProperty("status_url").GetString());
        Assert.Equal(Harness.AppBase + id + "/cancel", submit.GetProperty("cancel_url").GetString());
        Assert.Equal(id, submitResponse.Headers.GetValues("x-fal-request-id").Single());

        // While running: 202 with the URLs, empty metrics, no logs unless asked.
        var (status, body, response) = await h.StatusAsync(id);
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Contains(body.GetProperty("status").GetString(), new[] { "IN_QUEUE", "IN_PROGRESS" });
        Assert.Equal(id, body.GetProperty("request_id").GetString());
        Assert.Equal(Harness.AppBase + id, body.GetProperty("response_url").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("logs").ValueKind);
        Assert.Empty(body.GetProperty("metrics").EnumerateObject());
        Assert.Equal(id, response.Headers.GetValues("x-fal-request-id").Single());

        var (early, earlyBody, _) = await h.ResultAsync(id);
        Assert.Equal(HttpStatusCode.BadRequest, early);
        // fal documents no type of its own for this: the nearest of its request errors.
        Assert.Equal("bad_request", earlyBody.GetProperty("error_type").GetString());

        var done = await h.WaitCompletedAsync(id);
        Assert.False(done.TryGetProperty("queue_position", out _));
        // The model time is the 1 s processing; a timer may fire a millisecond early against the clock.
        Assert.True(done.GetProperty("metrics").GetProperty("inference_time").GetDouble() >= 0.99);
        Assert.False(done.TryGetProperty("error", out _));

        var (resultStatus, result, resultResponse) = await h.ResultAsync(id);
        Assert.Equal(HttpStatusCode.OK, resultStatus);
        Assert.Equal(id, resultResponse.Headers.GetValues("x-fal-request-id").Single());
        Assert.Equal(7, result.GetProperty("seed").GetInt64());
        var image = Assert.Single(result.GetProperty("images").EnumerateArray());
        Assert.StartsWith(h.Emulator.BaseUrl + "files/", image.GetProperty("url").GetString());

        var stats = h.Emulator.GetStats();
        Assert.Equal(1, stats.Submitted);
        Assert.Equal(1, stats.Completed);
        Assert.Equal(1, stats.RequestsByRoute["submit"]);
        Assert.Equal(2, stats.RequestsByRoute["result"]);
        Assert.True(stats.RequestsByRoute["status"] >= 2);

        var job = await h.JobInfoAsync(id);
        Assert.Equal("COMPLETED", job.GetProperty("status").GetString());
        Assert.Equal("make it blue", job.GetProperty("input").GetProperty("prompt").GetString());
        Assert.NotEqual(JsonValueKind.Null, job.GetProperty("resultFetchedAt").ValueKind);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", job.GetProperty("startedAt").GetString());
    }

    [Fact]
    public async Task Logs_are_returned_only_when_asked_for()
    {
        await using var h = await Harness.StartAsync(processingMs: 50);
        var id = (await h.SubmitAsync(SimpleInput(42))).GetProperty("request_id").GetString()!;
        await h.WaitCompletedAsync(id);

        var (_, withLogs, _) = await h.StatusAsync(id, logs: true);
        var messages = withLogs.GetProperty("logs").EnumerateArray().Select(l => l.GetProperty("message").GetString()).ToList();
        Assert.Equal(new[] { "Loading 1 input image(s)", "Generating 1 image(s) at 2048x2048 (seed 42)", "Saving results" }, messages);
        var first = withLogs.GetProperty("logs")[0];
        Assert.Equal("INFO", first.GetProperty("level").GetString());
        Assert.Equal("USER", first.GetProperty("source").GetString());
        Assert.True(DateTimeOffset.TryParse(first.GetProperty("timestamp").GetString(), out _));

        var (_, withoutLogs, _) = await h.StatusAsync(id, logs: false);
        Assert.Equal(JsonValueKind.Null, withoutLogs.GetProperty("logs").ValueKind);

        // Python's spelling logs=true works as well.
        var (_, pythonStyle, _) = await h.GetJsonAsync(HttpMethod.Get, Harness.AppBase + id + "/status?logs=true");
        Assert.Equal(3, pythonStyle.GetProperty("logs").GetArrayLength());
    }

    [Fact]
    public async Task Queue_positions_count_the_jobs_ahead_with_one_runner()
    {
        using var hang = new HangingServer();
        await using var h = await Harness.StartAsync(processingMs: 50, runners: 1);
        var a = await h.SubmitAsync(hang.BlockingInput);
        var b = await h.SubmitAsync(hang.BlockingInput); // also blocks, so c stays queued behind it
        var c = await h.SubmitAsync(SimpleInput(3));
        Assert.Equal(0, a.GetProperty("queue_position").GetInt32());
        Assert.Equal(0, b.GetProperty("queue_position").GetInt32());
        Assert.Equal(1, c.GetProperty("queue_position").GetInt32());

        var (_, sa, _) = await h.StatusAsync(a.GetProperty("request_id").GetString()!);
        var (_, sb, _) = await h.StatusAsync(b.GetProperty("request_id").GetString()!);
        var (_, sc, _) = await h.StatusAsync(c.GetProperty("request_id").GetString()!);
        Assert.Equal("IN_PROGRESS", sa.GetProperty("status").GetString());
        Assert.False(sa.TryGetProperty("queue_position", out _));
        Assert.Equal("IN_QUEUE", sb.GetProperty("status").GetString());
        Assert.Equal(0, sb.GetProperty("queue_position").GetInt32());
        Assert.Equal(1, sc.GetProperty("queue_position").GetInt32());

        var stats = h.Emulator.GetStats();
        Assert.Equal(3, stats.Submitted);
        Assert.Equal(2, stats.InQueue);
        Assert.Equal(1, stats.InProgress);

        // When the running job ends, the next one starts and the others move up.
        await h.CancelAsync(a.GetProperty("request_id").GetString()!);
        await h.WaitCompletedAsync(a.GetProperty("request_id").GetString()!);
        Assert.Equal("IN_PROGRESS", (await h.StatusAsync(b.GetProperty("request_id").GetString()!)).Body.GetProperty("status").GetString());
        var (_, sc2, _) = await h.StatusAsync(c.GetProperty("request_id").GetString()!);
        Assert.Equal(0, sc2.GetProperty("queue_position").GetInt32());
    }

    [Fact]
    public async Task Runners_limit_how_many_jobs_run_at_once()
    {
        using var hang = new HangingServer();
        await using var h = await Harness.StartAsync(processingMs: 50, runners: 2);
        var ids = new string[4];
        for (var i = 0; i < ids.Length; i++) ids[i] = (await h.SubmitAsync(hang.BlockingInput)).GetProperty("request_id").GetString()!;
        var busy = h.Emulator.GetStats();
        Assert.Equal(2, busy.InProgress);
        Assert.Equal(2, busy.InQueue);
        Assert.Equal(1, (await h.StatusAsync(ids[3])).Body.GetProperty("queue_position").GetInt32());

        foreach (var id in ids) await h.CancelAsync(id);
        foreach (var id in ids) await h.WaitCompletedAsync(id);
        var stats = h.Emulator.GetStats();
        Assert.Equal(2, stats.MaxConcurrentRunning);
        Assert.Equal(4, stats.Cancelled);
        Assert.Equal(0, stats.InQueue + stats.InProgress);
    }

    [Fact]
    public async Task Low_priority_jobs_wait_behind_every_normal_job()
    {
        using var hang = new HangingServer();
        await using var h = await Harness.StartAsync(processingMs: 100, runners: 1);
        var blocker = await h.SubmitAsync(hang.BlockingInput);
        var low = await h.SubmitAsync(SimpleInput(2), r => r.Headers.Add("X-Fal-Queue-Priority", "low"));
        var normal = await h.SubmitAsync(SimpleInput(3), r => r.Headers.Add("x-fal-queue-priority", "normal"));
        Assert.Equal(0, low.GetProperty("queue_position").GetInt32()); // alone in the queue when it arrived
        Assert.Equal(0, normal.GetProperty("queue_position").GetInt32()); // goes ahead of it

        var lowId = low.GetProperty("request_id").GetString()!;
        var normalId = normal.GetProperty("request_id").GetString()!;
        var (_, lowStatus, _) = await h.StatusAsync(lowId);
        Assert.Equal(1, lowStatus.GetProperty("queue_position").GetInt32());
        await h.CancelAsync(blocker.GetProperty("request_id").GetString()!);

        await h.WaitCompletedAsync(lowId);
        var lowJob = await h.JobInfoAsync(lowId);
        var normalJob = await h.JobInfoAsync(normalId);
        Assert.Equal("low", lowJob.GetProperty("priority").GetString());
        Assert.True(DateTimeOffset.Parse(normalJob.GetProperty("startedAt").GetString()!) <= DateTimeOffset.Parse(lowJob.GetProperty("startedAt").GetString()!));
        Assert.True(DateTimeOffset.Parse(normalJob.GetProperty("completedAt").GetString()!) <= DateTimeOffset.Parse(lowJob.GetProperty("startedAt").GetString()!));
    }

    [Fact]
    public async Task Bad_priority_or_timeout_headers_are_rejected_with_400()
    {
        await using var h = await Harness.StartAsync();
        foreach (var (header, value) in new[] { ("x-fal-queue-priority", "urgent"), ("x-fal-request-timeout", "0"), ("x-fal-request-timeout", "-3"), ("x-fal-request-timeout", "soon") })
        {
            using var response = await h.ProxyAsync(HttpMethod.Post, Harness.QueueBase + Harness.Endpoint, JsonSerializer.Serialize(SimpleInput()),
                r => r.Headers.TryAddWithoutValidation(header, value));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("bad_request", body.GetProperty("error_type").GetString());
            Assert.Equal("bad_request", response.Headers.GetValues("X-Fal-Error-Type").Single());
        }

        Assert.Equal(0, h.Emulator.GetStats().Submitted);
    }

    [Fact]
    public async Task Start_timeout_expiring_in_the_queue_answers_504_with_user_timeout_type()
    {
        using var hang = new HangingServer();
        await using var h = await Harness.StartAsync(processingMs: 50, runners: 1);
        await h.SubmitAsync(hang.BlockingInput);
        var waiting = await h.SubmitAsync(SimpleInput(2), r => r.Headers.Add("x-fal-request-timeout", "0.2"));
        var id = waiting.GetProperty("request_id").GetString()!;

        var done = await h.WaitCompletedAsync(id, timeoutMs: 5000);
        Assert.Equal("request_timeout", done.GetProperty("error_type").GetString());
        Assert.False(string.IsNullOrEmpty(done.GetProperty("error").GetString()));

        var (status, body, response) = await h.ResultAsync(id);
        Assert.Equal(HttpStatusCode.GatewayTimeout, status);
        Assert.Equal("request_timeout", body.GetProperty("error_type").GetString());
        Assert.Equal(JsonValueKind.String, body.GetProperty("detail").ValueKind);
        Assert.Equal("user", response.Headers.GetValues("X-Fal-Request-Timeout-Type").Single());
        Assert.Equal("request_timeout", response.Headers.GetValues("X-Fal-Error-Type").Single());

        var job = await h.JobInfoAsync(id);
        Assert.Equal(0.2, job.GetProperty("startTimeoutSeconds").GetDouble());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("startedAt").ValueKind);
        Assert.Equal(1, h.Emulator.GetStats().Failed);
    }

    [Fact]
    public async Task Start_timeout_does_not_fire_once_the_job_has_started()
    {
        await using var h = await Harness.StartAsync(processingMs: 500, runners: 1);
        var id = (await h.SubmitAsync(SimpleInput(1), r => r.Headers.Add("x-fal-request-timeout", "0.2"))).GetProperty("request_id").GetString()!;
        await h.WaitCompletedAsync(id);
        var (status, _, _) = await h.ResultAsync(id);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Webhook_url_is_stored_on_the_job()
    {
        await using var h = await Harness.StartAsync();
        var hook = "https://example.test/hook?x=1";
        var submit = await h.SubmitAsync(SimpleInput(), query: "?fal_webhook=" + Uri.EscapeDataString(hook));
        var job = await h.JobInfoAsync(submit.GetProperty("request_id").GetString()!);
        Assert.Equal(hook, job.GetProperty("webhookUrl").GetString());
    }

    [Fact]
    public async Task Status_result_and_cancel_accept_the_full_endpoint_path_and_the_backup_host()
    {
        await using var h = await Harness.StartAsync();
        var id = (await h.SubmitAsync(SimpleInput())).GetProperty("request_id").GetString()!;
        await h.WaitCompletedAsync(id);

        var (status, body, _) = await h.GetJsonAsync(HttpMethod.Get, $"https://queue.fal.run/{Harness.Endpoint}/requests/{id}/status");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("COMPLETED", body.GetProperty("status").GetString());
        var (resultStatus, _, _) = await h.GetJsonAsync(HttpMethod.Get, $"https://queue.falrun.com/{Harness.Endpoint}/requests/{id}");
        Assert.Equal(HttpStatusCode.OK, resultStatus);
        var (cancelStatus, cancel, _) = await h.GetJsonAsync(HttpMethod.Put, $"https://queue.fal.run/{Harness.Endpoint}/requests/{id}/cancel");
        Assert.Equal(HttpStatusCode.BadRequest, cancelStatus);
        Assert.Equal("ALREADY_COMPLETED", cancel.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Endpoint_without_the_fal_ai_owner_is_served_with_its_own_app_urls()
    {
        await using var h = await Harness.StartAsync();
        var submit = await h.SubmitAsync(SimpleInput(), endpoint: "bytedance/seedream/v5/lite/edit");
        var id = submit.GetProperty("request_id").GetString()!;
        Assert.Equal($"https://queue.fal.run/bytedance/seedream/requests/{id}/status", submit.GetProperty("status_url").GetString());
        var (status, _, _) = await h.GetJsonAsync(HttpMethod.Get, submit.GetProperty("status_url").GetString()!);
        Assert.True(status is HttpStatusCode.OK or HttpStatusCode.Accepted);
    }

    [Theory]
    [InlineData("fal-ai/flux/dev")]
    [InlineData("fal-ai/bytedance/seedream/v4/upscale")]
    [InlineData("fal-ai/bytedance/seedream/v2/text-to-image")]
    [InlineData("workflows/fal-ai/bytedance/seedream/v5/lite/edit")]
    public async Task Unknown_endpoint_is_404_and_creates_no_job(string endpoint)
    {
        await using var h = await Harness.StartAsync();
        using var response = await h.ProxyAsync(HttpMethod.Post, Harness.QueueBase + endpoint, JsonSerializer.Serialize(SimpleInput()));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal($"Application '{endpoint}' not found", body.GetProperty("detail").GetString());
        // fal's request-errors list has no type for a 404: the body is just detail.
        Assert.False(body.TryGetProperty("error_type", out _));
        Assert.False(response.Headers.Contains("X-Fal-Error-Type"));
        Assert.Equal(0, h.Emulator.GetStats().Submitted);
    }

    [Fact]
    public async Task Unknown_request_id_is_404_everywhere()
    {
        await using var h = await Harness.StartAsync();
        var id = Guid.NewGuid().ToString();
        var (status, body, response) = await h.StatusAsync(id);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.False(body.TryGetProperty("error_type", out _));
        Assert.Equal(id, response.Headers.GetValues("x-fal-request-id").Single());
        var (resultStatus, result, _) = await h.ResultAsync(id);
        Assert.Equal(HttpStatusCode.NotFound, resultStatus);
        Assert.Equal("Request not found", result.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Non_json_body_is_422_and_creates_no_job()
    {
        await using var h = await Harness.StartAsync();
        using var response = await h.ProxyAsync(HttpMethod.Post, Harness.QueueBase + Harness.Endpoint, "{not json");
        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail");
        Assert.Equal("json_invalid", detail[0].GetProperty("type").GetString());
        Assert.Equal(0, h.Emulator.GetStats().Submitted);
    }

    [Fact]
    public async Task Sync_run_on_fal_run_waits_for_a_runner_and_answers_the_output()
    {
        await using var h = await Harness.StartAsync(processingMs: 200, runners: 1);
        var queued = await h.SubmitAsync(SimpleInput(1)); // occupies the only runner first
        using var response = await h.ProxyAsync(HttpMethod.Post, "https://fal.run/" + Harness.Endpoint, JsonSerializer.Serialize(SimpleInput(99)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = response.Headers.GetValues("x-fal-request-id").Single();
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(99, body.GetProperty("seed").GetInt64());
        Assert.Single(body.GetProperty("images").EnumerateArray());

        var job = await h.JobInfoAsync(id);
        Assert.Equal("sync", job.GetProperty("kind").GetString());
        var queuedJob = await h.JobInfoAsync(queued.GetProperty("request_id").GetString()!);
        Assert.True(DateTimeOffset.Parse(job.GetProperty("startedAt").GetString()!) >= DateTimeOffset.Parse(queuedJob.GetProperty("completedAt").GetString()!));

        var stats = h.Emulator.GetStats();
        Assert.Equal(1, stats.SyncRuns);
        Assert.Equal(1, stats.Submitted);
        Assert.Equal(1, stats.RequestsByRoute["run"]);

        // Queue operations do not know sync requests.
        var (status, _, _) = await h.StatusAsync(id);
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task Sync_run_answers_the_model_error()
    {
        await using var h = await Harness.StartAsync();
        using var response = await h.ProxyAsync(HttpMethod.Post, "https://fal.run/" + Harness.Endpoint, """{"image_urls":[]}""");
        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail");
        Assert.Equal(2, detail.GetArrayLength());
        Assert.True(response.Headers.Contains("x-fal-request-id"));
    }
}
