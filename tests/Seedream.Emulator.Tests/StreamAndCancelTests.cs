using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Seedream.Emulator.Tests;

public class StreamAndCancelTests
{
    private static object Input(long seed) => new
    {
        prompt = "a red bicycle",
        image_urls = new[] { TestImages.DataUri(TestImages.Png(12, 12)) },
        seed,
    };

    [Fact]
    public async Task Status_stream_sends_events_in_order_pings_and_ends_after_completed()
    {
        using var hang = new HangingServer();
        await using var h = await Harness.StartAsync(processingMs: 300, runners: 1, pingMs: 50);
        var blocker = (await h.SubmitAsync(hang.BlockingInput)).GetProperty("request_id").GetString()!;
        var second = (await h.SubmitAsync(Input(2))).GetProperty("request_id").GetString()!;

        using var request = h.ProxyRequest(HttpMethod.Get, Harness.AppBase + second + "/status/stream?logs=1");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await h.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(second, response.Headers.GetValues("x-fal-request-id").Single());

        var events = new List<JsonElement>();
        var pings = 0;
        var released = false;
        await using var stream = await response.Content.ReadAsStreamAsync(cts.Token);
        await foreach (var message in Sse.ReadAsync(stream, cts.Token))
        {
            if (message.Comment == "ping") pings++;
            if (message.Data is { } data) events.Add(JsonDocument.Parse(data).RootElement.Clone());
            if (!released && pings >= 2)
            {
                // Seen queued and kept alive: now free the runner so our request moves on.
                released = true;
                await h.CancelAsync(blocker);
            }
        }

        // The stream ended by itself, right after COMPLETED.
        var statuses = events.Select(e => e.GetProperty("status").GetString()).ToList();
        Assert.Equal("IN_QUEUE", statuses[0]);
        Assert.Equal(0, events[0].GetProperty("queue_position").GetInt32());
        Assert.Equal("COMPLETED", statuses[^1]);
        Assert.Equal(1, statuses.Count(s => s == "COMPLETED"));
        var order = new[] { "IN_QUEUE", "IN_PROGRESS", "COMPLETED" };
        var ranks = statuses.Select(s => Array.IndexOf(order, s)).ToList();
        Assert.Equal(ranks.OrderBy(r => r), ranks);
        Assert.Contains("IN_PROGRESS", statuses);
        Assert.True(pings >= 2, $"only {pings} pings at 50 ms");
        Assert.True(events[^1].GetProperty("metrics").GetProperty("inference_time").GetDouble() > 0);

        // Each event carries only new log lines; together they are the full log.
        var logs = events.SelectMany(e => e.GetProperty("logs").EnumerateArray()).Select(l => l.GetProperty("message").GetString()).ToList();
        Assert.Equal(new[] { "Loading 1 input image(s)", "Generating 1 image(s) at 2048x2048 (seed 2)", "Saving results" }, logs);
        Assert.Equal(1, h.Emulator.GetStats().RequestsByRoute["stream"]);
    }

    [Fact]
    public async Task Status_stream_of_a_completed_request_sends_one_event_and_ends()
    {
        await using var h = await Harness.StartAsync();
        var id = (await h.SubmitAsync(Input(3))).GetProperty("request_id").GetString()!;
        await h.WaitCompletedAsync(id);
        using var response = await h.ProxyAsync(HttpMethod.Get, Harness.AppBase + id + "/status/stream");
        var text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("data: {", text);
        Assert.EndsWith("}\n\n", text);
        var json = JsonDocument.Parse(text["data: ".Length..].Trim()).RootElement;
        Assert.Equal("COMPLETED", json.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("logs").ValueKind);
    }

    [Fact]
    public async Task Cancel_of_a_queued_request_removes_it_from_the_queue()
    {
        using var hang = new HangingServer();
        await using var h = await Harness.StartAsync(processingMs: 50, runners: 1);
        await h.SubmitAsync(hang.BlockingInput);
        var id = (await h.SubmitAsync(Input(2))).GetProperty("request_id").GetString()!;

        var (status, body, response) = await h.CancelAsync(id);
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("CANCELLATION_REQUESTED", body.GetProperty("status").GetString());
        Assert.Equal(id, response.Headers.GetValues("x-fal-request-id").Single());

        var (statusCode, done, _) = await h.StatusAsync(id);
        Assert.Equal(HttpStatusCode.OK, statusCode);
        Assert.Equal("COMPLETED", done.GetProperty("status").GetString());
        Assert.Equal("Request was cancelled", done.GetProperty("error").GetString());
        Assert.Equal("client_cancelled", done.GetProperty("error_type").GetString());

        var (resultStatus, result, _) = await h.ResultAsync(id);
        Assert.Equal(HttpStatusCode.BadRequest, resultStatus);
        Assert.Equal("client_cancelled", result.GetProperty("error_type").GetString());
        Assert.Equal("Request was cancelled", result.GetProperty("detail").GetString());

        var job = await h.JobInfoAsync(id);
        Assert.Equal(JsonValueKind.Null, job.GetProperty("startedAt").ValueKind); // never ran
        var stats = h.Emulator.GetStats();
        Assert.Equal(1, stats.Cancelled);
        Assert.Equal(0, stats.InQueue);
    }

    [Fact]
    public async Task Cancel_of_a_running_request_stops_the_runner_early()
    {
        await using var h = await Harness.StartAsync(processingMs: 5000, runners: 1);
        var id = (await h.SubmitAsync(Input(1))).GetProperty("request_id").GetString()!;
        var clock = Stopwatch.StartNew();
        while ((await h.StatusAsync(id)).Body.GetProperty("status").GetString() != "IN_PROGRESS")
            await Task.Delay(10);

        var (status, body, _) = await h.CancelAsync(id);
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("CANCELLATION_REQUESTED", body.GetProperty("status").GetString());

        var done = await h.WaitCompletedAsync(id, timeoutMs: 3000);
        Assert.True(clock.ElapsedMilliseconds < 4000, "the runner should not have run its full 5 s");
        Assert.Equal("client_cancelled", done.GetProperty("error_type").GetString());
        var (resultStatus, _, _) = await h.ResultAsync(id);
        Assert.Equal(HttpStatusCode.BadRequest, resultStatus);

        // The runner is free again: a new job starts at once.
        var next = (await h.SubmitAsync(Input(2))).GetProperty("request_id").GetString()!;
        await Task.Delay(100);
        Assert.Equal("IN_PROGRESS", (await h.StatusAsync(next)).Body.GetProperty("status").GetString());
        Assert.Equal(1, h.Emulator.GetStats().Cancelled);
        Assert.True((await h.JobInfoAsync(id)).GetProperty("cancelRequested").GetBoolean());
    }

    [Fact]
    public async Task Cancel_of_a_completed_request_is_400_already_completed()
    {
        await using var h = await Harness.StartAsync();
        var id = (await h.SubmitAsync(Input(1))).GetProperty("request_id").GetString()!;
        await h.WaitCompletedAsync(id);
        var (status, body, _) = await h.CancelAsync(id);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("ALREADY_COMPLETED", body.GetProperty("status").GetString());
        var (resultStatus, _, _) = await h.ResultAsync(id);
        Assert.Equal(HttpStatusCode.OK, resultStatus);
    }

    [Fact]
    public async Task Cancel_of_an_unknown_request_is_404_not_found()
    {
        await using var h = await Harness.StartAsync();
        var (status, body, _) = await h.CancelAsync(Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("NOT_FOUND", body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Cancel_needs_put()
    {
        await using var h = await Harness.StartAsync();
        var (status, _, _) = await h.GetJsonAsync(HttpMethod.Post, Harness.AppBase + Guid.NewGuid() + "/cancel");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
    }
}
