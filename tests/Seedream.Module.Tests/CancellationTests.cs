using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using Seedream.Emulator;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>An emulator slow enough that requests can be caught while queued or running.</summary>
    public sealed class SlowEmulatorFixture : EmulatorFixture
    {
        protected override EmulatorOptions Options => new EmulatorOptions { ProcessingMs = 4000, Runners = 1, RequireKey = Key, PingMs = 100 };
    }

    public class CancellationTests : IClassFixture<SlowEmulatorFixture>
    {
        private readonly SlowEmulatorFixture _fx;
        public CancellationTests(SlowEmulatorFixture fx) => _fx = fx;

        private static Dictionary<string, object?> Img => new Dictionary<string, object?> { ["img"] = TestImages.DataUri };

        private async Task WaitIdleAsync()
        {
            // Jobs cancelled by earlier tests must be gone before counting again.
            for (var i = 0; i < 200 && (_fx.Stats.InProgress > 0 || _fx.Stats.InQueue > 0); i++) await Task.Delay(25);
        }

        /// <summary>A running job ends a moment after its cancel is accepted: wait (bounded) for the count.</summary>
        private async Task<int> CancelledEventuallyAsync(int expected)
        {
            for (var i = 0; i < 150 && _fx.Stats.Cancelled < expected; i++) await Task.Delay(20);
            return _fx.Stats.Cancelled;
        }

        [Fact]
        public async Task CtrlC_during_Invoke_cancels_the_remote_request()
        {
            await WaitIdleAsync();
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;
            var r = await ps.RunAndStopAsync("Invoke-SeedreamEdit -Prompt 'slow' -Image $img", () => _fx.Stats.InProgress > 0, Img);
            Assert.IsAssignableFrom<PipelineStoppedException>(r.Terminating);
            Assert.Empty(r.Output);
            // The cancel request reaches the server before the command returns...
            Assert.Equal(before.RequestsByRoute.GetValueOrDefault("cancel") + 1, _fx.Stats.RequestsByRoute.GetValueOrDefault("cancel"));
            // ...and the runner stops the job instead of finishing it.
            Assert.Equal(before.Cancelled + 1, await CancelledEventuallyAsync(before.Cancelled + 1));
            var after = _fx.Stats;
            Assert.Equal(before.Completed, after.Completed);
            Assert.Equal(0, after.InProgress);
        }

        [Fact]
        public async Task TimeoutSec_cancels_the_remote_request_and_reports_SeedreamWaitTimeout()
        {
            await WaitIdleAsync();
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;
            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'too slow' -Image $img -TimeoutSec 1", Img);
            Assert.Empty(r.Output);
            var e = Assert.Single(r.Errors);
            Assert.Equal("SeedreamWaitTimeout", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(ErrorCategory.OperationTimeout, e.CategoryInfo.Category);
            Assert.Equal(before.Cancelled + 1, await CancelledEventuallyAsync(before.Cancelled + 1));
        }

        [Fact]
        public async Task Wait_TimeoutSec_NoCancel_leaves_the_request_running()
        {
            await WaitIdleAsync();
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;
            var r = ps.Run("$j = Submit-SeedreamJob -Prompt 'keep' -Image $img; $j | Wait-SeedreamJob -TimeoutSec 1 -NoCancel; $j | Stop-SeedreamJob -PassThru", Img);
            Assert.Equal("SeedreamWaitTimeout", Assert.Single(r.ErrorIds));
            // Not cancelled by the wait: only the explicit Stop-SeedreamJob cancelled it.
            Assert.Equal("CancellationRequested", r.Single("Seedream.CancelResult").P("Outcome")!.ToString());
            Assert.Equal(before.RequestsByRoute.GetValueOrDefault("cancel") + 1, _fx.Stats.RequestsByRoute.GetValueOrDefault("cancel"));
            Assert.Equal(before.Cancelled + 1, await CancelledEventuallyAsync(before.Cancelled + 1));
        }

        [Fact]
        public async Task Stop_cancels_a_queued_job_and_waiting_then_reports_it_cancelled()
        {
            await WaitIdleAsync();
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run(@"
                $first = Submit-SeedreamJob -Prompt 'occupies the runner' -Image $img
                $second = Submit-SeedreamJob -Prompt 'queued' -Image $img
                $second | Get-SeedreamJobStatus
                $second | Stop-SeedreamJob -PassThru
                $second | Wait-SeedreamJob
                $second | Receive-SeedreamJob
                $first | Stop-SeedreamJob", Img);
            var statuses = r.Output.Where(o => o.BaseObject.GetType().Name == "JobStatus").ToList();
            Assert.Equal("IN_QUEUE", statuses[0].P("Status"));
            Assert.Equal(0, statuses[0].P<int>("QueuePosition")); // next in line behind the running job
            Assert.Equal("CancellationRequested", r.Output.Single(o => o.BaseObject.GetType().Name == "CancelResult").P("Outcome")!.ToString());
            Assert.Equal("COMPLETED", statuses[1].P("Status"));
            Assert.True((bool)statuses[1].P("IsFailed")!, string.Join(" / ", statuses.Select(s => $"{s.P("RequestId")} {s.P("Status")} {s.P("ErrorType")} {s.P("Error")}")));
            Assert.Equal("client_cancelled", statuses[1].P("ErrorType"));
            Assert.True((bool)statuses[1].P("IsCancelled")!);
            Assert.False((bool)statuses[0].P("IsCancelled")!);
            Assert.Contains(r.Warnings, w => w.Message.Contains("client_cancelled"));
            Assert.Equal("SeedreamJobCancelled", Assert.Single(r.ErrorIds));
        }

        [Fact]
        public async Task Progress_shows_queue_position_then_running_and_completes()
        {
            await WaitIdleAsync();
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run(@"
                $blocker = Submit-SeedreamJob -Prompt 'blocker' -Image $img
                Invoke-SeedreamEdit -Prompt 'watched' -Image $img -TimeoutSec 30", Img);
            Assert.Empty(r.Errors);
            var descriptions = r.Progress.Select(p => p.StatusDescription).ToList();
            Assert.Contains(descriptions, d => d.StartsWith("In queue (position"));
            Assert.Contains("Running", descriptions);
            Assert.Equal(ProgressRecordType.Completed, r.Progress.Last().RecordType);
            Assert.Contains(r.Progress, p => p.CurrentOperation.Contains((string)r.Output.Last().P("RequestId")!));
        }
    }
}
