using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Seedream.Module.Tests
{
    public class InvokeEditTests : IClassFixture<EmulatorFixture>
    {
        private readonly EmulatorFixture _fx;
        public InvokeEditTests(EmulatorFixture fx) => _fx = fx;

        [Fact]
        public void Invoke_returns_typed_result_with_images_of_the_requested_size()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'make it blue' -Image $img -ImageSize 2560x1440 -Seed 42", new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            var result = r.Single("Seedream.EditResult");
            Assert.Equal("make it blue", result.P("Prompt"));
            Assert.Equal(42L, result.P("Seed"));
            var image = Assert.Single(result.Items("Images"))!;
            Assert.Equal(2560, image.P("Width"));
            Assert.Equal(1440, image.P("Height"));
            Assert.Equal("image/png", image.P("ContentType"));
            Assert.Equal(result.P("RequestId"), image.P("RequestId"));
        }
    }
}

namespace Seedream.Module.Tests
{
    public class InvokeEditProtocolTests : IClassFixture<EmulatorFixture>
    {
        private readonly EmulatorFixture _fx;
        public InvokeEditProtocolTests(EmulatorFixture fx) => _fx = fx;

        private static System.Collections.Generic.Dictionary<string, object?> Img => new() { ["img"] = TestImages.DataUri };

        [Fact]
        public void Submit_options_reach_the_server_as_fal_headers_and_query()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Submit-SeedreamJob -Prompt 'opts' -Image $img -Priority low -StartTimeoutSec 30 -WebhookUrl 'http://127.0.0.1:9/hook' -Header @{ 'x-fal-runner-hint' = 'abc' } -AdditionalInput @{ brand_new_field = @{ nested = 1 } }", Img);
            Assert.Empty(r.Errors);
            Assert.Contains(r.Warnings, w => w.Message.Contains("plain http"));
            var id = (string)r.Single("Seedream.Job").P("RequestId")!;
            var job = EmulatorInspection.Job(_fx.Emulator, id);
            Assert.Equal("low", job.GetProperty("priority").GetString());
            Assert.Equal(30, job.GetProperty("startTimeoutSeconds").GetDouble());
            Assert.Equal("http://127.0.0.1:9/hook", job.GetProperty("webhookUrl").GetString());
            var input = EmulatorInspection.JobInput(_fx.Emulator, id);
            Assert.Equal(1, input.GetProperty("brand_new_field").GetProperty("nested").GetInt32());
        }

        [Fact]
        public void Seeds_are_64_bit_end_to_end()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'big seed' -Image $img -Seed 196619188014358660", Img);
            Assert.Empty(r.Errors);
            Assert.Equal(196619188014358660L, r.Single("Seedream.EditResult").P("Seed"));
        }

        [Fact]
        public void Sync_runs_on_fal_run_without_the_queue()
        {
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;
            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'sync' -Image $img -Sync", Img);
            Assert.Empty(r.Errors);
            Assert.Single(r.Single("Seedream.EditResult").Items("Images"));
            Assert.Equal(before.SyncRuns + 1, _fx.Stats.SyncRuns);
            Assert.Equal(before.Submitted, _fx.Stats.Submitted);
        }

        [Fact]
        public void SyncMode_returns_images_as_data_uris()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'inline' -Image $img -SyncMode", Img);
            Assert.Empty(r.Errors);
            var image = Assert.Single(r.Single("Seedream.EditResult").Items("Images"))!;
            Assert.True((bool)image.P("IsDataUri")!);
            Assert.StartsWith("data:image/png;base64,iVBORw0KGgo", (string)image.P("Url")!);
        }

        [Fact]
        public void A_model_failure_is_an_error_with_the_request_as_target_and_the_server_body()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'unreachable input' -Image 'http://127.0.0.1:9/missing.png'");
            Assert.Empty(r.Output);
            var e = Assert.Single(r.Errors);
            Assert.Equal("SeedreamInputRejected", e.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(System.Management.Automation.ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
            Assert.Matches("^[0-9a-f-]{36}$", (string)e.TargetObject);
            Assert.Contains("file_download_error", e.ErrorDetails.Message);
            Assert.Contains((string)e.TargetObject, e.Exception.Message);
        }

        [Fact]
        public void An_unknown_endpoint_is_SeedreamNotFound()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'p' -Image $img -Endpoint 'someone/no-such-app/edit'", Img);
            Assert.Equal("SeedreamNotFound", Assert.Single(r.ErrorIds));
            Assert.Equal(System.Management.Automation.ErrorCategory.ObjectNotFound, r.Errors[0].CategoryInfo.Category);
        }

        [Fact]
        public void Model_logs_go_to_the_verbose_stream()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'logs' -Image $img -Verbose", Img);
            Assert.Empty(r.Errors);
            var id = (string)r.Single("Seedream.EditResult").P("RequestId")!;
            Assert.Contains(r.Verbose, v => v.Message.StartsWith($"[{id}] ") && v.Message.Contains("Generating"));
        }

        [Fact]
        public void Polling_works_when_the_stream_is_not_used()
        {
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats.RequestsByRoute;
            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'poll' -Image $img -NoStream", Img);
            Assert.Empty(r.Errors);
            var after = _fx.Stats.RequestsByRoute;
            Assert.Equal(before.GetValueOrDefault("stream"), after.GetValueOrDefault("stream"));
            Assert.True(after.GetValueOrDefault("status") > before.GetValueOrDefault("status"));
        }
    }
}
