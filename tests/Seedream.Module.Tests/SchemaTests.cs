using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>
    /// The module's checks save a round trip and never block what fal accepts: the mid-2026 schema
    /// (auto_4K, 4096x4096), both endpoint ids, -AdditionalInput overriding any field, and endpoints
    /// without a profile sent as given.
    /// </summary>
    public class SchemaTests : IClassFixture<EmulatorFixture>
    {
        private readonly EmulatorFixture _fx;
        public SchemaTests(EmulatorFixture fx) => _fx = fx;

        private static Dictionary<string, object?> Img => new Dictionary<string, object?> { ["img"] = TestImages.DataUri };

        [Fact]
        public void Auto_4K_and_a_4096_square_are_sent_and_produced_without_a_warning()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'four k' -Image $img -ImageSize auto_4K; Invoke-SeedreamEdit -Prompt 'custom' -Image $img -ImageSize 4096x4096", Img);
            Assert.Empty(r.Errors);
            Assert.Empty(r.Warnings);
            Assert.Equal(2, r.Output.Count);
            foreach (var result in r.Output)
            {
                var image = PSObjectOf(result.P("Images")).First();
                Assert.Equal(4096, image.P("Width"));
                Assert.Equal(4096, image.P("Height"));
            }
            Assert.Equal("auto_4K", EmulatorInspection.JobInput(_fx.Emulator, (string)r.Output[0].P("RequestId")!).GetProperty("image_size").GetString());
        }

        [Fact]
        public void Additional_input_overrides_a_parameter_with_a_warning_naming_it()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'override' -Image $img -ImageSize auto_2K -AdditionalInput @{ image_size = 'auto_4K' }", Img);
            Assert.Empty(r.Errors);
            var warning = Assert.Single(r.Warnings);
            Assert.Contains("'image_size'", warning.Message);
            Assert.Contains("-ImageSize", warning.Message);
            var id = (string)Assert.Single(r.Output).P("RequestId")!;
            Assert.Equal("auto_4K", EmulatorInspection.JobInput(_fx.Emulator, id).GetProperty("image_size").GetString());
        }

        [Fact]
        public void The_endpoint_id_without_its_prefix_is_the_same_model_and_price()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'short id' -Image $img -Endpoint bytedance/seedream/v5/lite/edit -NumImages 7", Img);
            // Profiled: the model's own range check still saves the round trip.
            Assert.Equal("SeedreamNumImagesOutOfRange", Assert.Single(r.ErrorIds));
            var ok = ps.Run("Invoke-SeedreamEdit -Prompt 'short id' -Image $img -Endpoint bytedance/seedream/v5/lite/edit", Img);
            Assert.Empty(ok.Errors);
            Assert.Equal("bytedance/seedream/v5/lite/edit", Assert.Single(ok.Output).P("Endpoint"));
            ps.Run("Invoke-SeedreamEdit -Prompt 'priced' -Image $img -Endpoint bytedance/seedream/v5/lite/edit -WhatIf", Img);
            Assert.Contains("$0.035", ps.HostText);
        }

        [Fact]
        public void An_endpoint_without_a_profile_is_sent_as_given_with_only_the_shared_checks()
        {
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;
            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'other model' -Image $img -Endpoint fal-ai/some-lab/new-model -NumImages 40 -ImageSize super_8K -EnhancePromptMode turbo -WhatIf -Verbose", Img);
            Assert.Empty(r.Errors);
            Assert.Contains(r.Verbose, v => v.Message.Contains("no schema for 'fal-ai/some-lab/new-model'"));
            Assert.Contains("cost unknown", ps.HostText);
            // What every endpoint shares is still checked.
            var bad = ps.Run("Invoke-SeedreamEdit -Prompt ' ' -Image 'ftp://x/y.png' -Endpoint fal-ai/some-lab/new-model", Img);
            Assert.Equal("SeedreamImageUrlSchemeUnsupported", Assert.Single(bad.ErrorIds));
            Assert.Equal(before.Submitted, _fx.Stats.Submitted);
        }

        private static IEnumerable<System.Management.Automation.PSObject> PSObjectOf(object? value) =>
            ((System.Collections.IEnumerable)value!).Cast<object>().Select(System.Management.Automation.PSObject.AsPSObject);
    }
}
