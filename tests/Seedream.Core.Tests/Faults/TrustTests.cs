using static Seedream.Core.Tests.Faults.FaultClients;

namespace Seedream.Core.Tests.Faults;

/// <summary>Where the key may go: only the configured API origin or proxy, never where a server points.</summary>
public sealed class TrustTests
{
    private static Task<ScriptedFal> ForeignAsync() =>
        ScriptedFal.StartAsync((ctx, route, n) => ScriptedFal.Json(ctx, 200, "{\"status\":\"COMPLETED\",\"images\":[]}"));

    [Fact]
    public async Task Urls_from_a_submit_answer_that_point_elsewhere_are_ignored()
    {
        await using var foreign = await ForeignAsync();
        var elsewhere = new Uri(foreign.BaseUrl, "fal-ai/bytedance/requests/" + ScriptedFal.RequestId).AbsoluteUri;
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => route switch
        {
            "submit" => ScriptedFal.SubmitOk(ctx, $"\"status_url\":\"{elsewhere}/status\",\"response_url\":\"{elsewhere}\",\"cancel_url\":\"{elsewhere}/cancel\""),
            "status" => ScriptedFal.Status(ctx, JobStatus.Completed, $"\"response_url\":\"{elsewhere}\""),
            "cancel" => ScriptedFal.Json(ctx, 400, "{\"status\":\"ALREADY_COMPLETED\"}"),
            _ => ScriptedFal.Json(ctx, 200, "{\"images\":[],\"seed\":1}"),
        });
        using var client = Direct(s);
        var job = await client.SubmitAsync(Edit, Body, null, Timeout());
        Assert.Null(job.StatusUrl);
        Assert.Null(job.ResponseUrl);
        Assert.Null(job.CancelUrl);

        var jobRef = JobRef.From(job);
        var status = await client.WaitAsync(jobRef, new WaitOptions { UseStream = false }, Timeout());
        Assert.Null(status.ResponseUrl);
        await client.GetResultAsync(jobRef, Timeout());
        await client.CancelAsync(jobRef, Timeout());

        // A JobRef rebuilt from stored data is held to the same rule.
        var tampered = new JobRef(Edit, ScriptedFal.RequestId, elsewhere + "/status", elsewhere, elsewhere + "/cancel");
        await client.GetStatusAsync(tampered, false, Timeout());
        await client.GetResultAsync(tampered, Timeout());
        await client.CancelAsync(tampered, Timeout());

        Assert.Empty(foreign.Seen);
        // Built from the endpoint id instead: owner/alias only.
        Assert.Contains(s.Seen, r => r.Route == "status" && r.Target == "/fal-ai/bytedance/requests/" + ScriptedFal.RequestId + "/status?logs=0");
        Assert.Contains(s.Seen, r => r.Route == "result" && r.Target == "/fal-ai/bytedance/requests/" + ScriptedFal.RequestId);
        Assert.All(s.Seen, r => Assert.Equal("Key " + Key, r.Authorization));
    }

    [Fact]
    public async Task Urls_on_the_api_origin_are_followed_without_their_query()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => route == "submit"
            ? ScriptedFal.SubmitOk(ctx, "\"status_url\":\"" + new Uri(ctx.Request.Scheme + "://" + ctx.Request.Host + "/custom/requests/abc/status?token=leak#frag").AbsoluteUri + "\"")
            : ScriptedFal.Status(ctx, JobStatus.InQueue));
        using var client = Direct(s);
        var job = await client.SubmitAsync(Edit, Body, null, Timeout());
        Assert.EndsWith("/custom/requests/abc/status?token=leak#frag", job.StatusUrl);
        await client.GetStatusAsync(JobRef.From(job), true, Timeout());
        Assert.Equal("/custom/requests/abc/status?logs=1", s.Seen.Last().Target);
    }

    [Fact]
    public async Task Through_a_proxy_every_call_names_its_target_and_foreign_urls_are_ignored()
    {
        await using var foreign = await ForeignAsync();
        var elsewhere = new Uri(foreign.BaseUrl, "x").AbsoluteUri;
        await using var proxy = await ScriptedFal.StartAsync((ctx, route, n) => route switch
        {
            "submit" => ScriptedFal.SubmitOk(ctx, $"\"status_url\":\"{elsewhere}/status\""),
            _ => ScriptedFal.Status(ctx, JobStatus.Completed),
        });
        using var client = new FalClient(new FalClientOptions
        {
            Credentials = new FalCredentials(Key, "test"),
            ProxyUrl = new Uri(proxy.BaseUrl, "api/fal/proxy"),
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        });
        var job = await client.SubmitAsync(Edit, Body, new SubmitOptions { WebhookUrl = "https://hooks.example/x?a=1&b=2" }, Timeout());
        Assert.Null(job.StatusUrl);
        await client.GetStatusAsync(JobRef.From(job), false, Timeout());

        Assert.Empty(foreign.Seen);
        var seen = proxy.Seen;
        Assert.Equal(2, seen.Count);
        Assert.All(seen, r => Assert.Equal("Key " + Key, r.Authorization));
        Assert.Equal("https://queue.fal.run/fal-ai/bytedance/seedream/v5/lite/edit?fal_webhook=https%3A%2F%2Fhooks.example%2Fx%3Fa%3D1%26b%3D2", seen[0].TargetHeader);
        Assert.Equal("https://queue.fal.run/fal-ai/bytedance/requests/" + ScriptedFal.RequestId + "/status?logs=0", seen[1].TargetHeader);
    }

    [Fact]
    public async Task A_redirect_on_an_api_call_is_not_followed()
    {
        await using var foreign = await ForeignAsync();
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) =>
        {
            ctx.Response.StatusCode = 302;
            ctx.Response.Headers.Location = new Uri(foreign.BaseUrl, "steal").AbsoluteUri;
            return Task.CompletedTask;
        });
        using var client = Direct(s);
        var status = await Assert.ThrowsAsync<FalApiException>(() => client.GetStatusAsync(Queued, false, Timeout()));
        Assert.Equal(FalErrorKind.Protocol, status.Kind);
        Assert.Equal(System.Net.HttpStatusCode.Found, status.StatusCode);
        var submit = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Edit, Body, null, Timeout()));
        Assert.Equal(FalErrorKind.Protocol, submit.Kind);
        Assert.Equal(1, s.Count("status"));
        Assert.Equal(1, s.Count("submit"));
        Assert.Empty(foreign.Seen);
    }

    [Fact]
    public async Task Upload_urls_and_downloads_never_carry_the_key()
    {
        await using var cdn = await ScriptedFal.StartAsync(async (ctx, route, n) =>
        {
            if (ctx.Request.Method == "PUT") { await ScriptedFal.Drain(ctx); ctx.Response.StatusCode = 200; return; }
            if (ctx.Request.Path == "/moved") { ctx.Response.StatusCode = 302; ctx.Response.Headers.Location = "/file.bin"; return; }
            await ScriptedFal.Json(ctx, 200, "{\"ok\":true}");
        });
        await using var api = await ScriptedFal.StartAsync((ctx, route, n) =>
            ScriptedFal.Json(ctx, 200, $"{{\"upload_url\":\"{cdn.BaseUrl}upload/1?sig=s\",\"file_url\":\"{cdn.BaseUrl}file.bin\"}}"));
        using var client = Direct(api);
        var path = System.IO.Path.GetTempFileName();
        try
        {
            System.IO.File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
            var file = await client.UploadFileAsync(path, null, Timeout());
            Assert.Equal(cdn.BaseUrl + "file.bin", file.Url);
            var dl = await client.DownloadAsync(cdn.BaseUrl + "moved", path, null, 1000, null, Timeout());
            Assert.Equal(cdn.BaseUrl + "file.bin", dl.FinalUrl);
        }
        finally { System.IO.File.Delete(path); }
        Assert.Equal("Key " + Key, Assert.Single(api.Seen).Authorization);
        Assert.Equal(3, cdn.Seen.Count);
        Assert.All(cdn.Seen, r => Assert.Null(r.Authorization));
    }

    [Fact]
    public void Without_a_proxy_the_key_only_goes_to_fal_or_configured_hosts()
    {
        using var client = new FalClient(new FalClientOptions { Credentials = new FalCredentials(Key, "t") });
        Assert.Throws<InvalidOperationException>(() => client.NewApiRequest(System.Net.Http.HttpMethod.Get, new Uri("https://evil.example/fal-ai/x")));
        Assert.Throws<InvalidOperationException>(() => client.NewApiRequest(System.Net.Http.HttpMethod.Get, new Uri("http://queue.fal.run/fal-ai/x"))); // not https
        using var ok = client.NewApiRequest(System.Net.Http.HttpMethod.Get, new Uri("https://queue.fal.run/fal-ai/x"));
        Assert.Equal("Key " + Key, ok.Headers.GetValues("Authorization").Single());

        Assert.Null(client.TrustedQueueUrl("https://queue.fal.run.evil.example/x"));
        Assert.Null(client.TrustedQueueUrl("http://queue.fal.run/x"));
        Assert.Null(client.TrustedQueueUrl("ftp://queue.fal.run/x"));
        Assert.Null(client.TrustedQueueUrl("/relative"));
        Assert.NotNull(client.TrustedQueueUrl("https://queue.falrun.com/x"));
        Assert.NotNull(client.TrustedQueueUrl("https://QUEUE.FAL.RUN/x"));
    }

    [Fact]
    public void A_plain_http_proxy_must_be_loopback_unless_allowed()
    {
        Assert.Throws<InsecureEndpointException>(() => new FalClient(new FalClientOptions { ProxyUrl = new Uri("http://proxy.example/api/fal/proxy") }));
        using var allowed = new FalClient(new FalClientOptions { ProxyUrl = new Uri("http://proxy.example/api/fal/proxy"), AllowInsecureHttp = true });
        using var loopback = new FalClient(new FalClientOptions { ProxyUrl = new Uri("http://127.0.0.1:9/api/fal/proxy") });
        using var https = new FalClient(new FalClientOptions { ProxyUrl = new Uri("https://proxy.example/api/fal/proxy") });
        Assert.Throws<ArgumentException>(() => new FalClient(new FalClientOptions { ProxyUrl = new Uri("ftp://proxy.example/") }));
        Assert.Throws<ArgumentException>(() => new FalClient(new FalClientOptions { MaxRetryCount = -1 }));
        Assert.Throws<ArgumentException>(() => new FalClient(new FalClientOptions { RequestTimeout = TimeSpan.Zero }));
    }

    [Fact]
    public async Task No_key_means_no_request()
    {
        await using var s = await ScriptedFal.StartAsync((ctx, route, n) => ScriptedFal.SubmitOk(ctx));
        using var client = Direct(s, o => o.Credentials = null);
        var ex = await Assert.ThrowsAsync<FalApiException>(() => client.SubmitAsync(Edit, Body, null, Timeout()));
        Assert.Equal(FalErrorKind.Unauthorized, ex.Kind);
        Assert.Empty(s.Seen);
    }
}
