using System;
using System.Linq;
using Seedream.Emulator;
using Xunit;

namespace Seedream.Core.Tests.Units
{
    /// <summary>
    /// The module's endpoint profiles (Seedream.Core) and the emulator's models were written apart,
    /// each from the fal sources. Where they disagree, one of them misreads a source: these tests
    /// name the endpoint and the field.
    /// </summary>
    public class ProfileAgreementTests
    {
        public static TheoryData<string> ProfileIds()
        {
            var data = new TheoryData<string>();
            foreach (var id in EndpointProfiles.All.SelectMany(p => p.Ids)) data.Add(id);
            return data;
        }

        [Fact]
        public void Both_know_the_same_endpoint_ids()
        {
            var module = EndpointProfiles.All.SelectMany(p => p.Ids).OrderBy(i => i, StringComparer.Ordinal).ToArray();
            var emulator = SeedreamEndpoints.All.SelectMany(e => e.Ids).OrderBy(i => i, StringComparer.Ordinal).ToArray();
            Assert.Equal(emulator, module);
        }

        [Theory]
        [MemberData(nameof(ProfileIds))]
        public void Fields_kinds_and_counts_agree(string id)
        {
            var profile = EndpointProfiles.Find(id)!;
            var model = SeedreamEndpoints.Find(id)!;
            Assert.Equal(model.Kind == ModelKind.Edit, profile.Kind == EndpointKind.Edit);
            Assert.Equal(model.MaxNumImages, profile.MaxNumImages);
            Assert.Equal(model.MaxImagesInAndOut, profile.MaxInputsPlusOutputs);
            foreach (var (field, accepted) in new[]
            {
                ("max_images", model.AcceptsMaxImages), ("seed", model.AcceptsSeed), ("enhance_prompt_mode", model.AcceptsEnhancePromptMode),
                ("output_format", model.AcceptsOutputFormat), ("guidance_scale", model.AcceptsGuidanceScale),
                ("return_byteplus_urls", model.AcceptsReturnByteplusUrls), ("image_urls", model.Kind == ModelKind.Edit),
            })
                Assert.True(accepted == profile.Accepts(field), $"{id}: the emulator {(accepted ? "takes" : "does not take")} {field}, the module {(profile.Accepts(field) ? "does" : "does not")}");
        }

        [Theory]
        [MemberData(nameof(ProfileIds))]
        public void Size_presets_agree(string id)
        {
            var profile = EndpointProfiles.Find(id)!;
            var model = SeedreamEndpoints.Find(id)!;
            Assert.Equal(model.Sizes.PresetNames.OrderBy(p => p, StringComparer.Ordinal), profile.SizePresets.OrderBy(p => p, StringComparer.Ordinal));
        }

        [Theory]
        [MemberData(nameof(ProfileIds))]
        public void A_custom_size_is_refused_by_both_or_by_neither(string id)
        {
            var profile = EndpointProfiles.Find(id)!;
            var model = SeedreamEndpoints.Find(id)!;
            foreach (var (w, h) in new[]
            {
                (256, 256), (511, 1024), (512, 512), (960, 960), (1000, 1000), (1024, 1024), (1920, 1080), (1920, 1920), (2048, 2048), (2049, 2048),
                (2560, 1440), (3072, 3072), (4096, 4096), (4097, 4096), (5000, 5000), (100, 1700), (4096, 256), (8192, 512),
            })
            {
                var moduleRefuses = ImageSize.FromDimensions(w, h).BoundsProblem(profile) != null;
                // Per-side bounds (3.0) are checked by the emulator field by field, not by Problem().
                var sides = model.Sizes.Policy == CustomSizePolicy.PerSide && (w < model.Sizes.MinSide || w > model.Sizes.MaxSide || h < model.Sizes.MinSide || h > model.Sizes.MaxSide);
                var emulatorRefuses = sides || model.Sizes.Problem(new ImageDimensions(w, h)) != null;
                Assert.True(moduleRefuses == emulatorRefuses, $"{id} {w}x{h}: the module {(moduleRefuses ? "refuses" : "accepts")} it, the emulator {(emulatorRefuses ? "refuses" : "accepts")} it");
            }
        }
    }
}
