using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace Seedream.Module.Tests
{
    public class JobCmdletTests : IClassFixture<EmulatorFixture>
    {
        private readonly EmulatorFixture _fx;
        public JobCmdletTests(EmulatorFixture fx) => _fx = fx;

        private static Dictionary<string, object?> Img => new Dictionary<string, object?> { ["img"] = TestImages.DataUri };

        [Fact]
        public void Submit_Wait_Receive_compose_on_the_pipeline()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Submit-SeedreamJob -Prompt 'p1' -Image $img -NumImages 2 | Wait-SeedreamJob | Receive-SeedreamJob", Img);
            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            var result = r.Single("Seedream.EditResult");
            Assert.Equal("p1", result.P("Prompt"));
            Assert.InRange(result.Items("Images").Length, 2, 2);
            Assert.Matches("^[0-9a-f-]{36}$", (string)result.P("RequestId")!);
        }

        [Fact]
        public void Submit_returns_a_job_with_queue_urls_and_the_job_reports_status_by_id()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("$job = Submit-SeedreamJob -Prompt 'p2' -Image $img; $job; $job.RequestId | Get-SeedreamJobStatus", Img);
            Assert.Empty(r.Errors);
            Assert.Equal(2, r.Output.Count);
            var job = r.Output[0];
            Assert.Equal("Seedream.Job", job.BaseObject.GetType().FullName);
            Assert.Equal("IN_QUEUE", job.P("Status"));
            Assert.EndsWith("/status", (string)job.P("StatusUrl")!);
            Assert.Equal("fal-ai/bytedance/seedream/v5/lite/edit", job.P("Endpoint"));
            var status = r.Output[1];
            Assert.Equal("Seedream.JobStatus", status.BaseObject.GetType().FullName);
            Assert.Equal(job.P("RequestId"), status.P("RequestId"));
            Assert.Contains((string)status.P("Status")!, new[] { "IN_QUEUE", "IN_PROGRESS", "COMPLETED" });
        }

        [Fact]
        public void Get_status_with_logs_returns_model_log_lines_after_completion()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Submit-SeedreamJob -Prompt 'p3' -Image $img | Wait-SeedreamJob | Get-SeedreamJobStatus -Logs", Img);
            Assert.Empty(r.Errors);
            var status = r.Single("Seedream.JobStatus");
            Assert.Equal("COMPLETED", status.P("Status"));
            Assert.True((bool)status.P("IsSucceeded")!);
            Assert.NotEmpty(status.Items("Logs"));
            Assert.NotNull(status.P("InferenceTime"));
        }

        [Fact]
        public void Raw_fal_objects_with_request_id_bind_by_property_name()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("$j = Submit-SeedreamJob -Prompt 'p4' -Image $img; [pscustomobject]@{ request_id = $j.RequestId } | Wait-SeedreamJob", Img);
            Assert.Empty(r.Errors);
            Assert.Equal("COMPLETED", r.Single("Seedream.JobStatus").P("Status"));
        }

        [Fact]
        public void Receive_without_wait_reports_a_running_job_as_not_completed()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Submit-SeedreamJob -Prompt 'p5' -Image $img | Receive-SeedreamJob", Img);
            Assert.Empty(r.Output);
            Assert.Equal("SeedreamJobNotCompleted", Assert.Single(r.ErrorIds));
            Assert.Equal(ErrorCategory.ResourceUnavailable, r.Errors[0].CategoryInfo.Category);
        }

        [Fact]
        public void Receive_with_wait_returns_the_result()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Submit-SeedreamJob -Prompt 'p6' -Image $img | Receive-SeedreamJob -Wait", Img);
            Assert.Empty(r.Errors);
            Assert.Equal("p6", r.Single("Seedream.EditResult").P("Prompt"));
        }

        [Fact]
        public void Stop_on_a_completed_job_is_an_outcome_not_a_crash()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Submit-SeedreamJob -Prompt 'p7' -Image $img | Wait-SeedreamJob | Stop-SeedreamJob -PassThru", Img);
            Assert.Empty(r.Errors);
            Assert.Equal("AlreadyCompleted", r.Single("Seedream.CancelResult").P("Outcome")!.ToString());
            Assert.Contains(r.Warnings, w => w.Message.Contains("already completed"));
        }

        [Fact]
        public void Stop_on_an_unknown_request_writes_SeedreamJobNotFound()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Stop-SeedreamJob -RequestId 00000000-0000-0000-0000-000000000000");
            Assert.Equal("SeedreamJobNotFound", Assert.Single(r.ErrorIds));
            Assert.Equal(ErrorCategory.ObjectNotFound, r.Errors[0].CategoryInfo.Category);
        }

        [Fact]
        public void Stop_WhatIf_sends_nothing()
        {
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats.RequestsByRoute.GetValueOrDefault("cancel");
            var r = ps.Run("Stop-SeedreamJob -RequestId 00000000-0000-0000-0000-000000000001 -WhatIf");
            Assert.Empty(r.Errors);
            Assert.Equal(before, _fx.Stats.RequestsByRoute.GetValueOrDefault("cancel"));
        }
    }
}

namespace Seedream.Module.Tests
{
    public class JobParameterTests : IClassFixture<EmulatorFixture>
    {
        private readonly EmulatorFixture _fx;
        public JobParameterTests(EmulatorFixture fx) => _fx = fx;

        [Fact]
        public void RequestId_accepts_the_job_object_itself()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("$job = Submit-SeedreamJob -Prompt 'by object' -Image $img; $s = Wait-SeedreamJob -RequestId $job; $s; Receive-SeedreamJob -RequestId $s -Prompt $job.Prompt",
                new System.Collections.Generic.Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            Assert.Empty(r.Errors);
            Assert.Equal("COMPLETED", r.Output[0].P("Status"));
            Assert.Equal("by object", r.Output[1].P("Prompt"));
        }
    }
}
