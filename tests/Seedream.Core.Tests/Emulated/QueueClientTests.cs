using System.Diagnostics;
using System.IO;
using System.Net;
using System.Threading;

namespace Seedream.Core.Tests.Emulated;

/// <summary>The queue protocol against the emulator over real HTTP, with runners free.</summary>
public sealed class QueueClientTests : IClassFixture<FastEmulatorFixture>
{
    private static readonly EndpointId Seedream = EndpointId.Parse(EndpointId.SeedreamV5LiteEdit);
    private readonly FastEmulatorFixture _f;

    public QueueClientTests(FastEmulatorFixture f) => _f = f;

    private static CancellationToken Timeout(int seconds = 20) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    [Fact]
    public async Task Submit_returns_a_job_with_its_id_and_the_queue_urls()
    {
        var log = new ListLog();
        using var client = _f.NewClient(log: log);
        var before = DateTimeOffset.UtcNow;
        var job = await client.SubmitAsync(Seedream, _f.Input(), null, Timeout());

        Assert.True(Guid.TryParse(job.RequestId, out _), job.RequestId);
        Assert.Equal(EndpointId.SeedreamV5LiteEdit, job.Endpoint);
        Assert.Equal("IN_QUEUE", job.Status);
        Assert.NotNull(job.QueuePosition);
        // The emulator answers as queue.fal.run would: URLs under owner/alias only.
        var app = "https://queue.fal.run/fal-ai/bytedance/requests/" + job.RequestId;
        Assert.Equal(app + "/status", job.StatusUrl);
        Assert.Equal(app, job.ResponseUrl);
        Assert.Equal(app + "/cancel", job.CancelUrl);
        Assert.InRange(job.SubmittedAt.ToUniversalTime(), before.UtcDateTime.AddSeconds(-1), DateTime.UtcNow);

        var info = await _f.JobInfoAsync(job.RequestId);
        Assert.Equal(EndpointId.SeedreamV5LiteEdit, info.GetProperty("endpointId").GetString());
        Assert.Equal("make it blue", info.GetProperty("input").GetProperty("prompt").GetString());
        Assert.Contains(log.Lines, l => l.StartsWith("POST https://queue.fal.run/fal-ai/bytedance/seedream/v5/lite/edit (via proxy) -> 200"));
        Assert.DoesNotContain(log.Lines, l => l.Contains("Key " + EmulatorFixtureBase.Key));
        await client.WaitAsync(JobRef.From(job), new WaitOptions(), Timeout());
    }

    [Fact]
    public async Task Logs_are_returned_only_when_asked_for()
    {
        using var client = _f.NewClient();
        var job = JobRef.From(await client.SubmitAsync(Seedream, _f.Input(), null, Timeout()));
        await client.WaitAsync(job, new WaitOptions { UseStream = false }, Timeout());

        var without = await client.GetStatusAsync(job, false, Timeout());
        Assert.Empty(without.Logs);
        Assert.True(without.IsSucceeded);
        Assert.Null(without.Error);
        Assert.True(without.InferenceTime > 0);
        var with = await client.GetStatusAsync(job, true, Timeout());
        Assert.True(with.Logs.Length >= 2, $"{with.Logs.Length} log lines");
        Assert.Contains(with.Logs, l => l.Message.StartsWith("Loading 1 input image"));
        Assert.All(with.Logs, l =>
        {
            Assert.Equal("INFO", l.Level);
            Assert.NotNull(l.Timestamp);
        });
    }

    [Fact]
    public async Task Wait_with_the_stream_uses_the_stream_and_ends_completed()
    {
        using var client = _f.NewClient();
        var job = JobRef.From(await client.SubmitAsync(Seedream, _f.Input(), null, Timeout()));
        long streams = _f.Route("stream"), polls = _f.Route("status");
        var updates = new List<JobStatus>();
        var result = await client.WaitAsync(job, new WaitOptions { UseStream = true, OnUpdate = s => { lock (updates) updates.Add(s); } }, Timeout());
        Assert.True(result.IsSucceeded);
        Assert.Equal(streams + 1, _f.Route("stream"));
        Assert.Equal(polls, _f.Route("status")); // no fallback was needed
        Assert.Equal(JobStatus.Completed, updates.Last().Status);
    }

    [Fact]
    public async Task Wait_without_the_stream_polls()
    {
        using var client = _f.NewClient();
        var job = JobRef.From(await client.SubmitAsync(Seedream, _f.Input(), null, Timeout()));
        long streams = _f.Route("stream"), polls = _f.Route("status");
        var result = await client.WaitAsync(job, new WaitOptions { UseStream = false, PollInterval = TimeSpan.FromMilliseconds(20) }, Timeout());
        Assert.True(result.IsSucceeded);
        Assert.Equal(streams, _f.Route("stream"));
        Assert.True(_f.Route("status") > polls);
    }

    [Fact]
    public async Task Result_parses_into_an_edit_result_whose_images_download()
    {
        using var client = _f.NewClient();
        var job = await client.SubmitAsync(Seedream, _f.Input(extra: new Dictionary<string, object?> { ["seed"] = 196619188014358660L }), null, Timeout());
        var jobRef = JobRef.From(job);
        await client.WaitAsync(jobRef, new WaitOptions(), Timeout());
        var raw = await client.GetResultAsync(jobRef, Timeout());
        Assert.Equal(200, raw.StatusCode);
        Assert.Equal(job.RequestId, raw.RequestId);

        var result = EditResultParser.Parse(raw.Json, raw.RequestId!, job.Endpoint, "make it blue");
        Assert.Equal(196619188014358660L, result.Seed);
        var image = Assert.Single(result.Images);
        Assert.Equal((2048, 2048), (image.Width, image.Height)); // auto_2K from a square input
        Assert.Equal("image/png", image.ContentType);
        Assert.StartsWith(_f.Emulator.BaseUrl.AbsoluteUri + "files/", image.Url);

        var path = Path.Combine(Path.GetTempPath(), "seedream-core-test-" + Guid.NewGuid().ToString("N") + ".png");
        try
        {
            var dl = await client.DownloadAsync(image.Url, path, image.FileSize, 50L * 1024 * 1024, null, Timeout());
            Assert.Equal(image.FileSize, dl.Length);
            Assert.Equal("image/png", dl.ContentType);
            var bytes = System.IO.File.ReadAllBytes(path);
            Assert.Equal(image.FileSize, bytes.Length);
            Assert.Equal((2048, 2048), Png.Size(bytes));
        }
        finally { System.IO.File.Delete(path); }
        Assert.Equal(0, _f.Emulator.GetStats().DirectRequestsWithAuthorization);
    }

    [Fact]
    public async Task Download_enforces_the_expected_size_and_the_byte_limit()
    {
        using var client = _f.NewClient();
        var job = JobRef.From(await client.SubmitAsync(Seedream, _f.Input(), null, Timeout()));
        await client.WaitAsync(job, new WaitOptions(), Timeout());
        var image = EditResultParser.Parse((await client.GetResultAsync(job, Timeout())).Json, job.RequestId, job.Endpoint.Full, null).Images[0];
        var size = image.FileSize!.Value;
        var path = Path.Combine(Path.GetTempPath(), "seedream-core-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var wrongSize = await Assert.ThrowsAnyAsync<FalApiException>(() => client.DownloadAsync(image.Url, path, size + 1, long.MaxValue, null, Timeout()));
            Assert.Equal(FalErrorKind.Protocol, wrongSize.Kind);
            var tooBig = await Assert.ThrowsAnyAsync<FalApiException>(() => client.DownloadAsync(image.Url, path, null, size - 1, null, Timeout()));
            Assert.Equal(FalErrorKind.Protocol, tooBig.Kind);

            long lastProgress = 0;
            var ok = await client.DownloadAsync(image.Url, path, size, size, (n, total) => { lastProgress = n; Assert.Equal(size, total); }, Timeout());
            Assert.Equal(size, ok.Length);
            Assert.Equal(size, lastProgress);

            var missing = await Assert.ThrowsAsync<FalApiException>(() => client.DownloadAsync(new Uri(_f.Emulator.BaseUrl, "files/nope/x.png").AbsoluteUri, path, null, long.MaxValue, null, Timeout()));
            Assert.Equal(FalErrorKind.NotFound, missing.Kind);
        }
        finally { System.IO.File.Delete(path); }
        Assert.Equal(0, _f.Emulator.GetStats().DirectRequestsWithAuthorization);
    }

    [Fact]
    public async Task Cancelling_a_completed_request_says_so()
    {
        using var client = _f.NewClient();
        var job = JobRef.From(await client.SubmitAsync(Seedream, _f.Input(), null, Timeout()));
        await client.WaitAsync(job, new WaitOptions(), Timeout());
        var r = await client.CancelAsync(job, Timeout());
        Assert.Equal(nameof(CancelOutcome.AlreadyCompleted), r.Outcome);
        Assert.Equal(job.RequestId, r.RequestId);
        Assert.Equal("ok", await _f.OutcomeAsync(job.RequestId));
    }

    [Fact]
    public async Task Cancelling_an_unknown_request_says_not_found()
    {
        using var client = _f.NewClient();
        var r = await client.CancelAsync(new JobRef(Seedream, Guid.NewGuid().ToString()), Timeout());
        Assert.Equal(nameof(CancelOutcome.NotFound), r.Outcome);
    }

    [Fact]
    public async Task Status_of_an_unknown_request_is_not_found()
    {
        using var client = _f.NewClient();
        var id = Guid.NewGuid().ToString();
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.GetStatusAsync(new JobRef(Seedream, id), false, Timeout()));
        Assert.Equal(FalErrorKind.NotFound, ex.Kind);
        Assert.Equal(id, ex.RequestId);
        Assert.Null(ex.ErrorType); // fal documents no error_type for a 404
        // Polling will not make a missing request appear: the wait fails rather than loops.
        await Assert.ThrowsAsync<FalApiException>(() => client.WaitAsync(new JobRef(Seedream, id), new WaitOptions(), Timeout()));
    }

    [Fact]
    public async Task Run_answers_synchronously()
    {
        using var client = _f.NewClient();
        var runsBefore = _f.Emulator.GetStats().SyncRuns;
        var submittedBefore = _f.Emulator.GetStats().Submitted;
        var r = await client.RunAsync(Seedream, _f.Input(extra: new Dictionary<string, object?> { ["seed"] = 7L }), null, null, Timeout());
        Assert.Equal(200, r.StatusCode);
        Assert.True(Guid.TryParse(r.RequestId, out _));
        var result = EditResultParser.Parse(r.Json, r.RequestId!, Seedream.Full, null);
        Assert.Equal(7L, result.Seed);
        Assert.Single(result.Images);
        Assert.Equal(runsBefore + 1, _f.Emulator.GetStats().SyncRuns);
        Assert.Equal(submittedBefore, _f.Emulator.GetStats().Submitted); // not queued
    }

    [Fact]
    public async Task Model_validation_errors_come_back_as_validation_exceptions()
    {
        using var client = _f.NewClient();
        // The client validates EditRequest; a raw body reaches the model's own checks.
        var body = _f.Input(extra: new Dictionary<string, object?> { ["num_images"] = 9, ["enhance_prompt_mode"] = "turbo" });
        var job = JobRef.From(await client.SubmitAsync(Seedream, body, null, Timeout()));
        var status = await client.WaitAsync(job, new WaitOptions(), Timeout());
        Assert.True(status.IsFailed);
        Assert.Equal("less_than_equal", status.ErrorType);

        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.GetResultAsync(job, Timeout()));
        Assert.Equal(FalErrorKind.Validation, ex.Kind);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, ex.StatusCode);
        Assert.Equal(job.RequestId, ex.RequestId);
        Assert.Equal(1, ex.Attempts); // a 422 is final
        var num = Assert.Single(ex.ValidationErrors, v => v.Field == "num_images");
        Assert.Equal(new[] { "body", "num_images" }, num.Location);
        Assert.Equal("less_than_equal", num.Type);
        Assert.Equal("Input should be less than or equal to 6", num.Message);
        Assert.Equal(6L, num.Context!["le"]);
        var mode = Assert.Single(ex.ValidationErrors, v => v.Field == "enhance_prompt_mode");
        Assert.Equal("literal_error", mode.Type);
        Assert.Contains("num_images", ex.Message);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_rejected_at_submit()
    {
        using var client = _f.NewClient();
        var submitted = _f.Emulator.GetStats().Submitted;
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Seedream, "{\"prompt\": ", null, Timeout()));
        Assert.Equal(FalErrorKind.Validation, ex.Kind);
        var v = Assert.Single(ex.ValidationErrors);
        Assert.Equal("json_invalid", v.Type);
        Assert.Equal(new[] { "body", "0" }, v.Location);
        Assert.Equal(submitted, _f.Emulator.GetStats().Submitted);
    }

    [Fact]
    public async Task A_wrong_key_is_unauthorized_and_not_echoed()
    {
        const string wrong = "wrong-key-0123456789";
        var log = new ListLog();
        using var client = _f.NewClient(key: wrong, log: log);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Seedream, _f.Input(), null, Timeout()));
        Assert.Equal(FalErrorKind.Unauthorized, ex.Kind);
        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.Equal(1, ex.Attempts);
        Assert.DoesNotContain(wrong, ex.Message);
        Assert.DoesNotContain(wrong, ex.ResponseBody ?? "");
        Assert.DoesNotContain(log.Lines, l => l.Contains(wrong));
    }

    [Fact]
    public async Task An_unknown_endpoint_is_not_found()
    {
        using var client = _f.NewClient();
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(EndpointId.Parse("fal-ai/no-such-model"), _f.Input(), null, Timeout()));
        Assert.Equal(FalErrorKind.NotFound, ex.Kind);
        Assert.Null(ex.ErrorType); // fal documents no error_type for a 404
        Assert.Contains("no-such-model", ex.Detail);
    }

    [Fact]
    public async Task Platform_headers_reach_the_queue()
    {
        using var client = _f.NewClient();
        var job = await client.SubmitAsync(Seedream, _f.Input(), new SubmitOptions
        {
            Priority = "low",
            StartTimeout = TimeSpan.FromSeconds(30),
            WebhookUrl = "https://example.com/hook?token=a b",
            Headers = new Dictionary<string, string> { ["X-Fal-Object-Lifecycle-Preference"] = "{\"expiration_duration_seconds\":60}" },
        }, Timeout());
        var info = await _f.JobInfoAsync(job.RequestId);
        Assert.Equal("low", info.GetProperty("priority").GetString());
        Assert.Equal(30, info.GetProperty("startTimeoutSeconds").GetDouble());
        Assert.Equal("https://example.com/hook?token=a b", info.GetProperty("webhookUrl").GetString());
        Assert.Equal("{\"expiration_duration_seconds\":60}", info.GetProperty("objectLifecyclePreference").GetString());
        await client.WaitAsync(JobRef.From(job), new WaitOptions(), Timeout());

        await Assert.ThrowsAsync<ArgumentException>(() => client.SubmitAsync(Seedream, _f.Input(), new SubmitOptions { Headers = new Dictionary<string, string> { ["Authorization"] = "x" } }, Timeout()));
        await Assert.ThrowsAsync<ArgumentException>(() => client.SubmitAsync(Seedream, _f.Input(), new SubmitOptions { Headers = new Dictionary<string, string> { ["x-fal-target-url"] = "https://evil" } }, Timeout()));
        await Assert.ThrowsAsync<ArgumentException>(() => client.SubmitAsync(Seedream, _f.Input(), new SubmitOptions { Priority = "urgent" }, Timeout()));
        await Assert.ThrowsAsync<ArgumentException>(() => client.SubmitAsync(Seedream, _f.Input(), new SubmitOptions { StartTimeout = TimeSpan.FromSeconds(1) }, Timeout()));
    }

    [Fact]
    public async Task Upload_of_a_small_file_is_served_back_identically()
    {
        using var client = _f.NewClient();
        var path = Path.Combine(Path.GetTempPath(), "seedream-core-upload-" + Guid.NewGuid().ToString("N") + ".bin");
        var png = EmulatorFixtureBase.Png(40, 30);
        System.IO.File.WriteAllBytes(path, png);
        var uploadsBefore = _f.Emulator.GetStats().Uploads;
        try
        {
            long lastSent = 0, lastTotal = 0;
            var file = await client.UploadFileAsync(path, new Storage.UploadOptions { Progress = (s, t) => { lastSent = s; lastTotal = t; } }, Timeout());
            Assert.Equal("image/png", file.ContentType); // sniffed, despite the .bin name
            Assert.Equal(png.Length, file.FileSize);
            Assert.Equal(Path.GetFileName(path), file.FileName);
            Assert.Equal((long)png.Length, lastSent);
            Assert.Equal((long)png.Length, lastTotal);
            Assert.Equal(uploadsBefore + 1, _f.Emulator.GetStats().Uploads);

            var back = path + ".back";
            var dl = await client.DownloadAsync(file.Url, back, file.FileSize, long.MaxValue, null, Timeout());
            Assert.Equal(png, System.IO.File.ReadAllBytes(back));
            Assert.Equal("image/png", dl.ContentType);
            System.IO.File.Delete(back);

            // The uploaded URL works as a model input.
            var job = JobRef.From(await client.SubmitAsync(Seedream, PlainJson.Serialize(new Dictionary<string, object?> { ["prompt"] = "x", ["image_urls"] = new[] { file.Url } }), null, Timeout()));
            Assert.True((await client.WaitAsync(job, new WaitOptions(), Timeout())).IsSucceeded);
        }
        finally { System.IO.File.Delete(path); }
        Assert.Equal(0, _f.Emulator.GetStats().DirectRequestsWithAuthorization);
    }

    [Fact]
    public async Task Upload_over_the_threshold_goes_in_parts_and_is_served_back_identically()
    {
        using var client = _f.NewClient();
        var path = Path.Combine(Path.GetTempPath(), "seedream-core-multipart-" + Guid.NewGuid().ToString("N") + ".dat");
        var size = FalClient.MultipartThreshold + 1024 * 1024 + 123; // just over: 10 parts, the last one short
        var before = _f.Emulator.GetStats();
        try
        {
            using (var fs = new FileStream(path, FileMode.CreateNew))
            {
                var rnd = new Random(7);
                var block = new byte[1024 * 1024];
                for (long written = 0; written < size; written += block.Length)
                {
                    rnd.NextBytes(block);
                    fs.Write(block, 0, (int)Math.Min(block.Length, size - written));
                }
            }
            var file = await client.UploadFileAsync(path, new Storage.UploadOptions { ContentType = "application/octet-stream" }, Timeout(60));
            Assert.Equal(size, file.FileSize);
            var after = _f.Emulator.GetStats();
            Assert.Equal(before.MultipartUploads + 1, after.MultipartUploads);
            Assert.Equal(before.UploadParts + 10, after.UploadParts);
            Assert.Equal(before.Uploads, after.Uploads);

            var back = path + ".back";
            try
            {
                await client.DownloadAsync(file.Url, back, size, long.MaxValue, null, Timeout(60));
                Assert.Equal(Sha256(path), Sha256(back));
            }
            finally { System.IO.File.Delete(back); }
        }
        finally { System.IO.File.Delete(path); }
        Assert.Equal(0, _f.Emulator.GetStats().DirectRequestsWithAuthorization);
    }

    private static string Sha256(string path)
    {
        using var s = System.IO.File.OpenRead(path);
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(s));
    }
}
