using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Seedream.Emulator.Tests;

/// <summary>--fault-*: options, determinism, and what each kind does on the wire and to the jobs.</summary>
public class FaultInjectionTests
{
    private static object Input(string prompt) => new { prompt, image_urls = new[] { TestImages.DataUri(TestImages.Png(8, 8)) } };

    private static Task<Harness> StartAsync(FaultKind kind, double rate = 1, int slowMs = 3000, int seed = 1, int processingMs = 30) =>
        Harness.StartAsync(new EmulatorOptions { ProcessingMs = processingMs, Runners = 4, PingMs = 50, FaultRate = rate, FaultKinds = new[] { kind }, FaultSeed = seed, FaultSlowMs = slowMs });

    private static HttpRequestMessage Submit(Harness h, string prompt) =>
        h.ProxyRequest(HttpMethod.Post, Harness.QueueBase + Harness.Endpoint, JsonSerializer.Serialize(Input(prompt)));

    private static async Task<(HttpResponseMessage Response, string Body)> SendAsync(Harness h, HttpRequestMessage request)
    {
        var response = await h.Http.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    private static async Task WaitIdleAsync(Harness h)
    {
        for (var i = 0; i < 200; i++)
        {
            var s = h.Emulator.GetStats();
            if (s.InQueue + s.InProgress == 0) return;
            await Task.Delay(20);
        }
    }

    [Fact]
    public void Options_parse_and_validate()
    {
        var o = EmulatorOptions.Parse(["--fault-rate", "0.25", "--fault-kinds", "429, reset,sse-drop", "--fault-seed=-7", "--fault-slow-ms", "120"]);
        Assert.Equal(0.25, o.FaultRate);
        Assert.Equal(new[] { FaultKind.RateLimited, FaultKind.Reset, FaultKind.SseDrop }, o.FaultKinds);
        Assert.Equal(-7, o.FaultSeed);
        Assert.Equal(120, o.FaultSlowMs);
        Assert.Equal(FaultOptions.AllKinds, EmulatorOptions.Parse(["--fault-kinds", "all"]).FaultKinds);

        var defaults = EmulatorOptions.Parse([]);
        Assert.Equal(0, defaults.FaultRate);
        Assert.Null(defaults.FaultKinds);
        Assert.Null(defaults.FaultSeed);
        Assert.Equal(3000, defaults.FaultSlowMs);

        foreach (var bad in new[] { new[] { "--fault-rate", "1.5" }, ["--fault-rate", "-0.1"], ["--fault-rate", "NaN"], ["--fault-rate", "often"],
                     ["--fault-kinds", "teapot"], ["--fault-kinds", ","], ["--fault-seed", "x"], ["--fault-slow-ms", "-1"] })
            Assert.Throws<ArgumentException>(() => EmulatorOptions.Parse(bad));
        Assert.Throws<ArgumentException>(() => new EmulatorOptions { FaultRate = 2 }.Validate());
        Assert.Throws<ArgumentException>(() => new EmulatorOptions { FaultKinds = Array.Empty<FaultKind>() }.Validate());
        Assert.Contains("--fault-kinds", EmulatorOptions.Usage);
    }

    [Fact]
    public void The_same_seed_gives_every_route_the_same_faults()
    {
        static string Sequence(int seed, string route)
        {
            var injector = new FaultInjector(new EmulatorOptions { FaultRate = 0.3, FaultSeed = seed }, new FaultCounters(), CancellationToken.None);
            return string.Join(",", Enumerable.Range(0, 300).Select(_ => injector.Decide(route) is { } d ? FaultOptions.NameOf(d.Kind) + d.Variant : "-"));
        }

        foreach (var route in new[] { "submit", "status", "stream", "storage.put" })
        {
            Assert.Equal(Sequence(42, route), Sequence(42, route));
            Assert.NotEqual(Sequence(42, route), Sequence(43, route));
        }

        var submit = Sequence(42, "submit").Split(',');
        // About the rate, and only kinds that fit the route.
        Assert.InRange(submit.Count(x => x != "-"), 60, 120);
        Assert.DoesNotContain(submit, x => x.StartsWith("sse-drop") || x.StartsWith("upload-fail"));
        Assert.Contains(Sequence(42, "stream").Split(','), x => x.StartsWith("sse-drop"));
        Assert.Contains(Sequence(42, "storage.put").Split(','), x => x.StartsWith("upload-fail"));
        // Downloads and debug routes are never faulted.
        var none = new FaultInjector(new EmulatorOptions { FaultRate = 1 }, new FaultCounters(), CancellationToken.None);
        Assert.Null(none.Decide("file"));
        Assert.Null(none.Decide("proxy.not_found"));
    }

    [Fact]
    public async Task Two_emulators_with_one_seed_answer_a_request_sequence_identically()
    {
        async Task<string> RunAsync()
        {
            await using var h = await Harness.StartAsync(new EmulatorOptions { ProcessingMs = 0, FaultRate = 0.5, FaultKinds = [FaultKind.RateLimited, FaultKind.InternalError, FaultKind.Unavailable], FaultSeed = 99 });
            var codes = new List<int>();
            for (var i = 0; i < 30; i++)
            {
                var (response, _) = await SendAsync(h, h.ProxyRequest(HttpMethod.Get, Harness.AppBase + "00000000-0000-0000-0000-000000000000/status"));
                codes.Add((int)response.StatusCode);
                response.Dispose();
            }

            Assert.Equal(codes.Count(c => c != 404), h.Emulator.GetStats().FaultsInjected.Total);
            return string.Join(",", codes);
        }

        var first = await RunAsync();
        Assert.Equal(first, await RunAsync());
        Assert.Contains("404", first);
        Assert.Contains("50", first);
    }

    [Theory]
    [InlineData(FaultKind.RateLimited, 429)]
    [InlineData(FaultKind.InternalError, 500)]
    [InlineData(FaultKind.Unavailable, 503)]
    public async Task Rejections_come_before_any_job_exists(FaultKind kind, int code)
    {
        await using var h = await StartAsync(kind);
        var retryAfter = new List<string?>();
        for (var i = 0; i < 12; i++)
        {
            var (response, body) = await SendAsync(h, Submit(h, "rejected " + i));
            Assert.Equal(code, (int)response.StatusCode);
            Assert.False(response.Headers.Contains("x-fal-request-id"));
            var json = JsonDocument.Parse(body).RootElement;
            Assert.Contains("emulated fault", json.GetProperty("detail").GetString());
            // Only types fal documents: internal_error, runner_scheduling_failure; none for 429.
            var expectedType = kind switch { FaultKind.InternalError => "internal_error", FaultKind.Unavailable => "runner_scheduling_failure", _ => null };
            Assert.Equal(expectedType, json.TryGetProperty("error_type", out var type) ? type.GetString() : null);
            Assert.Equal(expectedType, response.Headers.TryGetValues("X-Fal-Error-Type", out var header) ? header.Single() : null);
            retryAfter.Add(response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString());
            response.Dispose();
        }

        var stats = h.Emulator.GetStats();
        Assert.Equal(0, stats.Submitted);
        Assert.Equal(12, stats.FaultsInjected.Total);
        Assert.Equal(12, stats.FaultsInjected.ByKind[FaultOptions.NameOf(kind)]);
        Assert.Equal(12, stats.FaultsInjected.ByRoute["submit"]);
        if (kind == FaultKind.RateLimited)
        {
            // Some answers say when to come back (0 or 1 s), some do not.
            Assert.Contains(null, retryAfter);
            Assert.Contains(retryAfter, r => r is "0" or "1");
        }
        else
        {
            Assert.All(retryAfter, Assert.Null);
        }
    }

    /// <summary>
    /// A seed whose first draw on <paramref name="route"/> is <paramref name="kind"/> in the wanted
    /// shape; for routes about a job, the first submit must then create that job and name it (a
    /// server-shaped fault), since every request is faulted at rate 1.
    /// </summary>
    private static int SeedFor(FaultKind kind, string route, bool ingress) => Enumerable.Range(0, 10_000).First(seed =>
    {
        var injector = new FaultInjector(new EmulatorOptions { FaultRate = 1, FaultKinds = [kind], FaultSeed = seed }, new FaultCounters(), CancellationToken.None);
        if (FaultInjector.IsIngress(injector.Decide(route)!.Value) != ingress) return false;
        return route == "submit" || !FaultInjector.IsIngress(injector.Decide("submit")!.Value);
    });

    private static async Task AssertIngressPageAsync(HttpResponseMessage response, int code)
    {
        Assert.Equal(code, (int)response.StatusCode);
        Assert.False(response.Headers.Contains("x-fal-request-id"));
        Assert.False(response.Headers.Contains("X-Fal-Error-Type"));
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("<center>nginx</center>", page);
        Assert.Contains(code == 502 ? "502 Bad Gateway" : "504 Gateway Time-out", page);
    }

    private static async Task<string> AssertServerErrorAsync(HttpResponseMessage response, int code)
    {
        Assert.Equal(code, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var type = code == 502 ? "runner_incomplete_response" : "request_timeout";
        Assert.Equal(type, body.GetProperty("error_type").GetString());
        Assert.Equal(type, response.Headers.GetValues("X-Fal-Error-Type").Single());
        Assert.Contains("emulated fault", body.GetProperty("detail").GetString());
        return response.Headers.GetValues("x-fal-request-id").Single();
    }

    /// <summary>With every request faulted, the first submit's server error names the job it made; its id, once it ran.</summary>
    private static async Task<string> CreatedJobAsync(Harness h, int code)
    {
        using var response = await h.Http.SendAsync(Submit(h, "the job"));
        var id = await AssertServerErrorAsync(response, code);
        for (var i = 0; i < 500 && (await h.JobInfoAsync(id)).GetProperty("completedAt").ValueKind == JsonValueKind.Null; i++) await Task.Delay(20);
        return id;
    }

    [Theory]
    [InlineData(FaultKind.BadGateway, 502)]
    [InlineData(FaultKind.GatewayTimeout, 504)]
    public async Task An_ingress_error_at_submit_is_the_proxys_page_and_creates_nothing(FaultKind kind, int code)
    {
        await using var h = await StartAsync(kind, seed: SeedFor(kind, "submit", ingress: true));
        using var response = await h.Http.SendAsync(Submit(h, "never arrived"));
        await AssertIngressPageAsync(response, code);
        var stats = h.Emulator.GetStats();
        Assert.Equal(0, stats.Submitted);
        Assert.Equal(1, stats.FaultsInjected.ByShape["submit.ingress"]);
    }

    [Theory]
    [InlineData(FaultKind.BadGateway, 502)]
    [InlineData(FaultKind.GatewayTimeout, 504)]
    public async Task A_server_error_at_submit_names_the_job_it_created(FaultKind kind, int code)
    {
        await using var h = await StartAsync(kind, seed: SeedFor(kind, "submit", ingress: false));
        using var response = await h.Http.SendAsync(Submit(h, "created anyway"));
        var id = await AssertServerErrorAsync(response, code);
        Assert.Equal(id, (await h.JobInfoAsync(id)).GetProperty("requestId").GetString());
        await WaitIdleAsync(h);
        var stats = h.Emulator.GetStats();
        Assert.Equal(1, stats.Submitted);
        Assert.Equal(1, stats.Completed); // the job runs to its end; a client that follows the id gets it
        Assert.Equal(1, stats.FaultsInjected.ByShape["submit.server"]);
    }

    [Theory]
    [InlineData(FaultKind.BadGateway, 502, "status", true)]
    [InlineData(FaultKind.BadGateway, 502, "status", false)]
    [InlineData(FaultKind.GatewayTimeout, 504, "status", true)]
    [InlineData(FaultKind.GatewayTimeout, 504, "status", false)]
    [InlineData(FaultKind.BadGateway, 502, "stream", true)]
    [InlineData(FaultKind.BadGateway, 502, "stream", false)]
    [InlineData(FaultKind.GatewayTimeout, 504, "stream", true)]
    [InlineData(FaultKind.GatewayTimeout, 504, "stream", false)]
    [InlineData(FaultKind.BadGateway, 502, "result", true)]
    [InlineData(FaultKind.BadGateway, 502, "result", false)]
    [InlineData(FaultKind.GatewayTimeout, 504, "result", true)]
    [InlineData(FaultKind.GatewayTimeout, 504, "result", false)]
    public async Task Reads_get_both_shapes_and_a_server_error_names_the_request_read(FaultKind kind, int code, string route, bool ingress)
    {
        await using var h = await StartAsync(kind, seed: SeedFor(kind, route, ingress));
        var id = await CreatedJobAsync(h, code);
        var target = Harness.AppBase + id + route switch { "status" => "/status", "stream" => "/status/stream", _ => "" };
        using var response = await h.Http.SendAsync(h.ProxyRequest(HttpMethod.Get, target));
        if (ingress) await AssertIngressPageAsync(response, code);
        else Assert.Equal(id, await AssertServerErrorAsync(response, code));
        var stats = h.Emulator.GetStats();
        Assert.Equal(1, stats.FaultsInjected.ByShape[route + (ingress ? ".ingress" : ".server")]);
        Assert.Equal(1, stats.Submitted);
        // Before the work or after it: an ingress error never reached the result, a server error lost it on the way.
        if (route == "result")
            Assert.Equal(ingress, (await h.JobInfoAsync(id)).GetProperty("resultFetchedAt").ValueKind == JsonValueKind.Null);
    }

    [Fact]
    public void Both_shapes_come_half_and_half_from_the_seeded_variant()
    {
        var injector = new FaultInjector(new EmulatorOptions { FaultRate = 1, FaultKinds = [FaultKind.BadGateway, FaultKind.GatewayTimeout], FaultSeed = 5 }, new FaultCounters(), CancellationToken.None);
        var draws = Enumerable.Range(0, 400).Select(_ => injector.Decide("submit")!.Value).ToList();
        Assert.InRange(draws.Count(FaultInjector.IsIngress), 150, 250);
        Assert.Contains(draws, d => d.Kind == FaultKind.BadGateway && FaultInjector.IsIngress(d));
        Assert.Contains(draws, d => d.Kind == FaultKind.GatewayTimeout && !FaultInjector.IsIngress(d));
        // Other kinds have no shape.
        Assert.False(FaultInjector.IsIngress(new FaultInjector.Decision(FaultKind.Unavailable, 0)));
        Assert.Contains("ingress", EmulatorOptions.Usage);
    }

    [Fact]
    public async Task A_reset_drops_the_connection_after_the_headers()
    {
        await using var h = await StartAsync(FaultKind.Reset);
        using var response = await h.Http.SendAsync(Submit(h, "reset"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.Contains("x-fal-request-id")); // the job exists and the headers say which
        await Assert.ThrowsAnyAsync<Exception>(() => response.Content.ReadAsStringAsync());
        Assert.Equal(1, h.Emulator.GetStats().Submitted);
    }

    [Fact]
    public async Task A_truncated_answer_promises_more_than_it_sends()
    {
        await using var h = await StartAsync(FaultKind.Truncated);
        using var response = await h.Http.SendAsync(h.ProxyRequest(HttpMethod.Get, Harness.AppBase + "00000000-0000-0000-0000-000000000000/status"), HttpCompletionOption.ResponseHeadersRead);
        var promised = response.Content.Headers.ContentLength;
        Assert.True(promised > 0);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var received = 0;
        var buffer = new byte[1024];
        var broke = false;
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0) received += n;
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            broke = true;
        }

        Assert.True(broke || received < promised, $"received {received} of {promised}");
        Assert.True(received < promised);
    }

    [Fact]
    public async Task Bad_json_still_creates_the_job_and_names_it_in_the_headers()
    {
        await using var h = await StartAsync(FaultKind.BadJson);
        var (response, body) = await SendAsync(h, Submit(h, "garbled"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(body));
        var id = response.Headers.GetValues("x-fal-request-id").Single();
        response.Dispose();
        Assert.Equal(1, h.Emulator.GetStats().Submitted);
        Assert.Equal(id, (await h.JobInfoAsync(id)).GetProperty("requestId").GetString());
        Assert.Equal(1, h.Emulator.GetStats().FaultsInjected.ByKind["badjson"]);
    }

    [Fact]
    public async Task A_slow_answer_arrives_after_the_configured_delay()
    {
        await using var h = await StartAsync(FaultKind.Slow, slowMs: 400);
        var clock = Stopwatch.StartNew();
        var (response, body) = await SendAsync(h, Submit(h, "slow"));
        Assert.InRange(clock.ElapsedMilliseconds, 380, 10_000);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("IN_QUEUE", JsonDocument.Parse(body).RootElement.GetProperty("status").GetString());
        response.Dispose();

        // A client that gives up first leaves the job behind (created before the delay).
        using var quick = new HttpClient { Timeout = TimeSpan.FromMilliseconds(200) };
        var request = Submit(h, "abandoned");
        await Assert.ThrowsAnyAsync<Exception>(() => quick.SendAsync(request));
        Assert.Equal(2, h.Emulator.GetStats().Submitted);
    }

    [Fact]
    public async Task Sse_drop_ends_the_stream_before_completed_and_the_job_still_completes()
    {
        await using var h = await StartAsync(FaultKind.SseDrop);
        var id = (await h.SubmitAsync(Input("dropped"))).GetProperty("request_id").GetString()!;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            using var request = h.ProxyRequest(HttpMethod.Get, Harness.AppBase + id + "/status/stream");
            using var response = await h.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var statuses = new List<string>();
            await foreach (var m in Sse.ReadAsync(await response.Content.ReadAsStreamAsync()))
                if (m.Data is { } data) statuses.Add(JsonDocument.Parse(data).RootElement.GetProperty("status").GetString()!);
            // Ended cleanly (no exception), at most one event, never COMPLETED.
            Assert.InRange(statuses.Count, 0, 1);
            Assert.DoesNotContain("COMPLETED", statuses);
        }

        Assert.Equal("COMPLETED", (await h.WaitCompletedAsync(id)).GetProperty("status").GetString());
        var stats = h.Emulator.GetStats();
        Assert.Equal(3, stats.FaultsInjected.ByKind["sse-drop"]);
        Assert.Equal(3, stats.FaultsInjected.Total); // status polls and submits are not eligible for sse-drop
    }

    [Fact]
    public async Task Stream_faults_reset_or_garble_an_event()
    {
        // Slow jobs, so the first event is never COMPLETED.
        await using var reset = await StartAsync(FaultKind.Reset, processingMs: 600);
        await using var garbled = await StartAsync(FaultKind.BadJson, processingMs: 600);
        foreach (var (h, kind) in new[] { (reset, "reset"), (garbled, "badjson") })
        {
            // Submits are faulted too here (rate 1): take the id from the header.
            using var submit = await h.Http.SendAsync(Submit(h, "stream " + kind), HttpCompletionOption.ResponseHeadersRead);
            var id = submit.Headers.GetValues("x-fal-request-id").Single();
            using var request = h.ProxyRequest(HttpMethod.Get, Harness.AppBase + id + "/status/stream");
            using var response = await h.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var events = new List<string>();
            try
            {
                await foreach (var m in Sse.ReadAsync(await response.Content.ReadAsStreamAsync()))
                    if (m.Data is { } data) events.Add(data);
                Assert.Equal("badjson", kind); // a garbled stream goes on; a reset one cannot end cleanly
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                Assert.Equal("reset", kind);
            }

            if (kind == "badjson")
            {
                Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(events[0]));
                Assert.Equal("COMPLETED", JsonDocument.Parse(events[^1]).RootElement.GetProperty("status").GetString());
            }
            else
            {
                Assert.Single(events);
            }
        }
    }

    [Fact]
    public async Task Upload_fail_answers_500_and_stores_nothing_until_a_put_succeeds()
    {
        // A seed whose first PUT fails (the draws are deterministic, so this finds the same one every run).
        var seed = Enumerable.Range(0, 100).First(n => new FaultInjector(new EmulatorOptions { FaultRate = 0.5, FaultKinds = [FaultKind.UploadFail], FaultSeed = n }, new FaultCounters(), CancellationToken.None).Decide("storage.put") is not null);
        await using var h = await StartAsync(FaultKind.UploadFail, rate: 0.5, seed: seed);
        using var initiate = await h.ProxyAsync(HttpMethod.Post, "https://rest.fal.ai/storage/upload/initiate", "{\"content_type\":\"image/png\",\"file_name\":\"a.png\"}");
        Assert.Equal(HttpStatusCode.OK, initiate.StatusCode); // upload-fail only hits the PUTs
        var uploadUrl = JsonDocument.Parse(await initiate.Content.ReadAsStringAsync()).RootElement.GetProperty("upload_url").GetString()!;
        var codes = new List<int>();
        for (var i = 0; i < 10 && !codes.Contains(200); i++)
        {
            using var put = new HttpRequestMessage(HttpMethod.Put, uploadUrl) { Content = new ByteArrayContent(TestImages.Png(4, 4)) };
            using var response = await h.Http.SendAsync(put);
            codes.Add((int)response.StatusCode);
            if (response.StatusCode != HttpStatusCode.OK)
                Assert.Equal("internal_error", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error_type").GetString());
            Assert.Equal(codes.Count(c => c == 200), h.Emulator.GetStats().Uploads);
        }

        Assert.Contains(500, codes);
        Assert.Equal(200, codes[^1]); // the failed PUTs left the upload open for a retry
    }

    [Fact]
    public async Task Identical_bodies_that_create_two_jobs_are_reported_as_duplicates()
    {
        await using var h = await Harness.StartAsync(processingMs: 10);
        await h.SubmitAsync(Input("twice"));
        await h.SubmitAsync(Input("twice"));
        await h.SubmitAsync(Input("once"));
        using var run = await h.ProxyAsync(HttpMethod.Post, "https://fal.run/" + Harness.Endpoint, JsonSerializer.Serialize(Input("twice")));
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        var stats = h.Emulator.GetStats();
        Assert.Equal(1, stats.DuplicateJobs);
        Assert.Equal(3, Assert.Single(stats.DuplicateBodies).Value);

        // And on the wire, camelCase as the other counters.
        var json = JsonDocument.Parse(await h.Http.GetStringAsync(new Uri(h.Emulator.BaseUrl, "_emulator/stats"))).RootElement;
        Assert.Equal(1, json.GetProperty("duplicateJobs").GetInt32());
        Assert.Equal(0, json.GetProperty("faultsInjected").GetProperty("total").GetInt64());
        Assert.Equal(JsonValueKind.Object, json.GetProperty("faultsInjected").GetProperty("byKind").ValueKind);
    }
}
