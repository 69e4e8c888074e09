using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>Tab completion through the engine's own TabExpansion2, on command lines as users type them.</summary>
    public class CompletionTests : IClassFixture<EmulatorFixture>
    {
        private readonly EmulatorFixture _fx;
        public CompletionTests(EmulatorFixture fx) => _fx = fx;

        /// <summary>What Tab offers with the cursor at the end of <paramref name="line"/>.</summary>
        private static List<string> Complete(PsHost ps, string line)
        {
            var r = ps.Run("(TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText",
                new Dictionary<string, object?> { ["line"] = line });
            Assert.Empty(r.Errors);
            return r.Output.Select(o => (string)o.BaseObject).ToList();
        }

        [Fact]
        public void ImageSize_completes_presets_by_prefix()
        {
            using var ps = new PsHost(null, connect: false);
            Assert.Equal(new[] { "landscape_4_3", "landscape_16_9" }, Complete(ps, "Invoke-SeedreamEdit -ImageSize land"));
            Assert.Equal(new[] { "auto_2K", "auto_3K", "auto_4K" }, Complete(ps, "Submit-SeedreamJob -Prompt x -ImageSize auto"));
            // Presets first, then common custom sizes inside the model's pixel bounds.
            var all = Complete(ps, "Invoke-SeedreamEdit -ImageSize ");
            Assert.Contains("square_hd", all);
            Assert.Contains("portrait_16_9", all);
            Assert.Contains("2560x1440", all);
            Assert.Equal(new[] { "2560x1440" }, Complete(ps, "Invoke-SeedreamEdit -ImageSize 256"));
        }

        [Fact]
        public void Endpoint_completes_the_known_Seedream_edit_endpoints()
        {
            using var ps = new PsHost(null, connect: false);
            var endpoints = Complete(ps, "Invoke-SeedreamEdit -Endpoint fal-ai/bytedance/seedream/");
            Assert.Contains("fal-ai/bytedance/seedream/v5/lite/edit", endpoints);
            Assert.Contains("fal-ai/bytedance/seedream/v4/edit", endpoints);
            Assert.All(endpoints, e => Assert.StartsWith("fal-ai/bytedance/seedream/", e));
            // The job cmdlets take the same completer.
            Assert.Contains("fal-ai/bytedance/seedream/v5/lite/edit", Complete(ps, "Wait-SeedreamJob -Endpoint fal-ai/bytedance/seedream/v5"));
        }

        [Fact]
        public void EnhancePromptMode_and_other_value_lists_complete()
        {
            using var ps = new PsHost(null, connect: false);
            Assert.Equal(new[] { "fast" }, Complete(ps, "Invoke-SeedreamEdit -EnhancePromptMode f"));
            Assert.Equal(new[] { "standard", "fast" }, Complete(ps, "Submit-SeedreamJob -EnhancePromptMode "));
            Assert.Equal(new[] { "low" }, Complete(ps, "Invoke-SeedreamEdit -Priority l"));
            Assert.Equal(new[] { "1h", "1d", "1y" }, Complete(ps, "Send-SeedreamFile -ExpiresIn 1"));
        }

        [Fact]
        public void RequestId_completes_requests_submitted_in_this_session()
        {
            using var ps = new PsHost(_fx.Emulator);
            var submitted = ps.Run("Submit-SeedreamJob -Prompt 'completion test' -Image $img", new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            Assert.Empty(submitted.Errors);
            var id = (string)Assert.Single(submitted.Output).P("RequestId")!;

            // The first characters are enough; every job cmdlet offers it.
            var prefix = id.Substring(0, 8);
            foreach (var command in new[] { "Get-SeedreamJobStatus", "Wait-SeedreamJob", "Receive-SeedreamJob", "Stop-SeedreamJob" })
                Assert.Contains(id, Complete(ps, $"{command} -RequestId {prefix}"));
            // Positional too: -RequestId is the first position.
            Assert.Contains(id, Complete(ps, $"Get-SeedreamJobStatus {prefix}"));
            // With -Endpoint typed, only that endpoint's requests are offered.
            Assert.DoesNotContain(id, Complete(ps, $"Get-SeedreamJobStatus -Endpoint fal-ai/bytedance/seedream/v4/edit -RequestId {prefix}"));
            ps.Run("Stop-SeedreamJob -RequestId $id -Confirm:$false", new Dictionary<string, object?> { ["id"] = id });
        }
    }
}
