using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using Seedream.Emulator;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>
    /// The cmdlet engine in the hosted runspace: back-pressure from a slow consumer, and Ctrl+C on
    /// Send-SeedreamFile. Each test has its own emulator, so its counters belong to it alone.
    /// </summary>
    public class EngineTests : IClassFixture<ConcurrencyFixture>
    {
        private readonly ConcurrencyFixture _fx;
        public EngineTests(ConcurrencyFixture fx) => _fx = fx;

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public async Task A_200_ms_consumer_has_at_most_ThrottleLimit_plus_one_of_40_edits_ahead(bool orderedWithSlowFirst)
        {
            await using var fresh = await FalEmulator.StartAsync(new EmulatorOptions { ProcessingMs = 30, Runners = 32, RequireKey = EmulatorFixture.Key, PingMs = 100 });
            using var ps = new PsHost(fresh);
            Func<int> submitted = () => fresh.GetStats().Submitted;
            // Each object: edits fal has received that the consumer has not finished with (this
            // one included), read as it arrives and when the consumer is done with it.
            var r = ps.Run(@"
                $rows = 1..40 | ForEach-Object { [pscustomobject]@{ Prompt = ""row $_""; Image = $img } }
                if ($slow) { $rows[0].Image = $slow }
                $consumed = 0
                $ahead = [System.Collections.Generic.List[int]]::new()
                $rows | Invoke-SeedreamEdit -ThrottleLimit 4 -Ordered:([bool]$slow) | ForEach-Object {
                    $ahead.Add($submitted.Invoke() - $consumed)
                    [System.Threading.Thread]::Sleep(200)
                    $ahead.Add($submitted.Invoke() - $consumed)
                    $consumed++
                }
                $ahead", new Dictionary<string, object?>
            {
                ["img"] = TestImages.DataUri,
                ["slow"] = orderedWithSlowFirst ? _fx.SlowImage(2000, "head") : null,
                ["submitted"] = submitted,
            });
            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            var ahead = r.Output.Select(o => (int)o.BaseObject).ToList();
            Assert.Equal(80, ahead.Count);
            Assert.Equal(40, fresh.GetStats().Submitted);
            Assert.True(ahead.Max() <= 5, $"Up to {ahead.Max()} edits were ahead of the consumer (limit 4 + 1): {string.Join(",", ahead)}");
            // Stricter, and what the engine promises: a record is in flight until its result has
            // been written, so the one the consumer holds counts, and at most 4 are in flight.
            Assert.True(ahead.Max() <= 4, $"Up to {ahead.Max()} edits were in flight (limit 4): {string.Join(",", ahead)}");
            Assert.True(ahead.Min() >= 1);
        }

        [Fact]
        public async Task CtrlC_on_Send_SeedreamFile_returns_within_2_seconds_and_no_upload_continues()
        {
            // 200 KB/s per upload: each 256 KB file takes over a second.
            await using var fresh = await FalEmulator.StartAsync(new EmulatorOptions { ProcessingMs = 30, RequireKey = EmulatorFixture.Key, PingMs = 100, UploadBytesPerSecond = 200_000 });
            using var dir = new TempDir();
            var random = new Random(13);
            var bytes = new byte[256 * 1024];
            for (var i = 1; i <= 24; i++)
            {
                random.NextBytes(bytes);
                File.WriteAllBytes(Path.Combine(dir.Path, $"part{i:00}.bin"), bytes);
            }
            using var host = new PsHost(fresh);
            using var ps = PowerShell.Create();
            ps.Runspace = host.Runspace;
            ps.AddScript("Send-SeedreamFile -Path ($folder + '/*.bin') -ThrottleLimit 4");
            host.Runspace.SessionStateProxy.SetVariable("folder", dir.Path);
            var run = ps.BeginInvoke();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (fresh.GetStats().Uploads < 4 && !run.IsCompleted && DateTime.UtcNow < deadline) await Task.Delay(10);
            // (Reading ps.Streams here would block until the command ends.)
            if (run.IsCompleted) Assert.Fail("The command ended before the stop: " + string.Join(" | ", ps.Streams.Error));

            var clock = Stopwatch.StartNew();
            ps.Stop();
            Assert.True(run.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(5)));
            clock.Stop();
            var atStop = fresh.GetStats();

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"Stopping took {clock.Elapsed}.");
            Assert.Throws<PipelineStoppedException>(() => ps.EndInvoke(run));
            Assert.InRange(atStop.Uploads, 4, 23);
            await Task.Delay(2000);
            var after = fresh.GetStats();
            Assert.Equal(atStop.Uploads, after.Uploads);
            Assert.Equal(atStop.RequestsByRoute.GetValueOrDefault("storage.initiate"), after.RequestsByRoute.GetValueOrDefault("storage.initiate"));
            Assert.Equal(atStop.RequestsByRoute.GetValueOrDefault("storage.put"), after.RequestsByRoute.GetValueOrDefault("storage.put"));
        }
    }
}
