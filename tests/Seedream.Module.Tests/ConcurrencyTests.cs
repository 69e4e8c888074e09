using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Seedream.Emulator;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>
    /// An emulator with more runners than any throttle here, so only the client limits concurrency,
    /// plus an image server whose answers can be delayed to make chosen jobs slow.
    /// </summary>
    public sealed class ConcurrencyFixture : EmulatorFixture
    {
        private WebApplication? _images;

        protected override EmulatorOptions Options => new EmulatorOptions { ProcessingMs = 300, Runners = 32, RequireKey = Key, PingMs = 100 };

        public Uri ImageServer { get; private set; } = null!;

        /// <summary>A PNG served after <paramref name="delayMs"/>; the emulator's model fetches it.</summary>
        public string SlowImage(int delayMs, string tag) => new Uri(ImageServer, $"delay/{delayMs}/{tag}.png").AbsoluteUri;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = Array.Empty<string>(), ContentRootPath = AppContext.BaseDirectory });
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
            _images = builder.Build();
            var png = Convert.FromBase64String(TestImages.PngBase64);
            _images.MapGet("/delay/{ms:int}/{tag}.png", async (int ms, HttpContext ctx) =>
            {
                await Task.Delay(ms, ctx.RequestAborted);
                ctx.Response.ContentType = "image/png";
                await ctx.Response.Body.WriteAsync(png);
            });
            await _images.StartAsync();
            ImageServer = new Uri(_images.Urls.First().TrimEnd('/') + "/");
        }

        public override async Task DisposeAsync()
        {
            if (_images != null) await _images.DisposeAsync();
            await base.DisposeAsync();
        }
    }

    public class ConcurrencyTests : IClassFixture<ConcurrencyFixture>
    {
        private readonly ConcurrencyFixture _fx;
        public ConcurrencyTests(ConcurrencyFixture fx) => _fx = fx;

        private async Task WaitIdleAsync()
        {
            for (var i = 0; i < 300 && (_fx.Stats.InProgress > 0 || _fx.Stats.InQueue > 0); i++) await Task.Delay(20);
        }

        [Fact]
        public async Task ThrottleLimit_bounds_the_jobs_in_flight_and_all_complete()
        {
            await WaitIdleAsync();
            await using var fresh = await FalEmulator.StartAsync(new EmulatorOptions { ProcessingMs = 300, Runners = 32, RequireKey = EmulatorFixture.Key, PingMs = 100 });
            using var ps = new PsHost(fresh);
            var r = ps.Run("1..12 | ForEach-Object { [pscustomobject]@{ Prompt = \"edit $_\"; Image = $img } } | Invoke-SeedreamEdit -ThrottleLimit 3",
                new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            Assert.Empty(r.Errors);
            Assert.Equal(12, r.Output.Count);
            Assert.Equal(12, r.Output.Select(o => (string)o.P("Prompt")!).Distinct().Count());
            var stats = fresh.GetStats();
            Assert.Equal(12, stats.Completed);
            // The client, not the server, limited the concurrency: never more than 3 at once...
            Assert.InRange(stats.MaxConcurrentRunning, 2, 3);
            // ...and one status stream per job, no polling.
            Assert.Equal(12, stats.RequestsByRoute.GetValueOrDefault("stream"));
            Assert.Equal(0, stats.RequestsByRoute.GetValueOrDefault("status"));
        }

        [Fact]
        public async Task Results_come_as_they_complete_unless_Ordered()
        {
            await WaitIdleAsync();
            using var ps = new PsHost(_fx.Emulator);
            var vars = new Dictionary<string, object?> { ["slow"] = _fx.SlowImage(1500, "first"), ["img"] = TestImages.DataUri };
            var script = "@([pscustomobject]@{ Prompt = 'slow first'; Image = $slow }, [pscustomobject]@{ Prompt = 'fast second'; Image = $img }, [pscustomobject]@{ Prompt = 'fast third'; Image = $img }) | Invoke-SeedreamEdit -ThrottleLimit 3";
            var unordered = ps.Run(script, vars);
            Assert.Empty(unordered.Errors);
            Assert.Equal("slow first", unordered.Output.Last().P("Prompt"));
            var ordered = ps.Run(script + " -Ordered", vars);
            Assert.Empty(ordered.Errors);
            Assert.Equal(new[] { "slow first", "fast second", "fast third" }, ordered.Output.Select(o => (string)o.P("Prompt")!).ToArray());
        }

        [Fact]
        public async Task One_failure_among_many_is_one_error_and_the_rest_succeed()
        {
            await WaitIdleAsync();
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run(@"
                $rows = 1..6 | ForEach-Object { [pscustomobject]@{ Prompt = ""row $_""; Image = $img } }
                $rows[2].Image = 'http://127.0.0.1:9/unreachable.png'
                $rows | Invoke-SeedreamEdit -ThrottleLimit 4", new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            Assert.Equal(5, r.Output.Count);
            Assert.DoesNotContain("row 3", r.Output.Select(o => (string)o.P("Prompt")!));
            var e = Assert.Single(r.Errors);
            Assert.Equal("SeedreamInputRejected", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("file_download_error", e.ErrorDetails.Message);
        }

        [Fact]
        public async Task CtrlC_cancels_every_job_in_flight()
        {
            // A fresh emulator: its counters then belong to this test alone.
            await using var fresh = await FalEmulator.StartAsync(new EmulatorOptions { ProcessingMs = 300, Runners = 32, RequireKey = EmulatorFixture.Key, PingMs = 100 });
            using var ps = new PsHost(fresh);
            var vars = new Dictionary<string, object?> { ["slow"] = _fx.SlowImage(20000, "stuck") };
            var r = await ps.RunAndStopAsync("1..8 | ForEach-Object { [pscustomobject]@{ Prompt = \"stuck $_\"; Image = $slow } } | Invoke-SeedreamEdit -ThrottleLimit 4",
                () => fresh.GetStats().InProgress >= 4, vars);
            Assert.IsAssignableFrom<PipelineStoppedException>(r.Terminating);
            Assert.Empty(r.Output);
            var after = fresh.GetStats();
            // Four were in flight (the throttle); all four cancels reached the server before the stop returned.
            Assert.Equal(4, after.Submitted);
            Assert.Equal(4, after.RequestsByRoute.GetValueOrDefault("cancel"));
            for (var i = 0; i < 150 && fresh.GetStats().Cancelled < 4; i++) await Task.Delay(20);
            Assert.Equal(4, fresh.GetStats().Cancelled);
            Assert.Equal(0, fresh.GetStats().Completed);
        }

        [Fact]
        public async Task Submit_then_Wait_and_Receive_handle_many_jobs_concurrently()
        {
            await WaitIdleAsync();
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;
            var r = ps.Run("1..6 | ForEach-Object { [pscustomobject]@{ Prompt = \"job $_\"; Image = $img } } | Submit-SeedreamJob -ThrottleLimit 6 | Wait-SeedreamJob -ThrottleLimit 6 | Receive-SeedreamJob -ThrottleLimit 6 -Ordered",
                new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            Assert.Empty(r.Errors);
            Assert.Equal(6, r.Output.Count);
            Assert.Equal(6, r.Output.Select(o => (string)o.P("Prompt")!).Distinct().Count());
            var after = _fx.Stats;
            Assert.Equal(6, after.Completed - before.Completed);
            // Waiting overlapped: more than one job ran at the same time.
            Assert.True(after.MaxConcurrentRunning >= 2);
        }

        [Fact]
        public async Task A_batch_shows_one_progress_bar_with_counts()
        {
            await WaitIdleAsync();
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("1..5 | ForEach-Object { [pscustomobject]@{ Prompt = \"p $_\"; Image = $img } } | Invoke-SeedreamEdit -ThrottleLimit 2",
                new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            Assert.Empty(r.Errors);
            var batch = r.Progress.Where(p => p.Activity == "Seedream edits").ToList();
            Assert.Contains(batch, p => p.StatusDescription.StartsWith("5 of 5 done") || p.StatusDescription.StartsWith("4 of 5 done"));
            Assert.Contains(batch, p => p.StatusDescription.Contains("running"));
            Assert.Equal(ProgressRecordType.Completed, batch.Last().RecordType);
            Assert.Contains(r.Progress, p => p.Activity == "Seedream edit" && p.ParentActivityId == batch[0].ActivityId);
        }
    }
}
