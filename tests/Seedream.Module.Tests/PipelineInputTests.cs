using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>
    /// What users really pipe: CSV rows with empty cells, several images in one cell, outputs that went
    /// through serialization, earlier results, and a module that is removed and imported again. The
    /// Pester suite checks the same in real pwsh; these guard machines without it.
    /// </summary>
    public class PipelineInputTests : IClassFixture<EmulatorFixture>
    {
        private readonly EmulatorFixture _fx;
        public PipelineInputTests(EmulatorFixture fx) => _fx = fx;

        [Fact]
        public void Empty_csv_cells_mean_not_given()
        {
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;
            var r = ps.Run(@"
                [pscustomobject]@{ Prompt = 'empty cells'; Image = $img; NumImages = ''; MaxImages = ' '; ImageSize = '';
                                   EnhancePromptMode = ''; Endpoint = ''; Seed = ''; EnableSafetyChecker = '' } | Invoke-SeedreamEdit",
                new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            Assert.Empty(r.Errors);
            var result = Assert.Single(r.Output);
            Assert.Equal("fal-ai/bytedance/seedream/v5/lite/edit", result.P("Endpoint"));
            // An empty Seed cell is not a seed of 0: the model picked its own.
            Assert.NotEqual(0L, result.P("Seed"));
            Assert.Equal(1, _fx.Stats.Submitted - before.Submitted);
        }

        [Fact]
        public void Several_images_in_one_cell_are_separated_by_a_bar()
        {
            using var dir = new TempDir();
            var a = TestImages.WritePng(dir.Path, "a.png");
            var b = TestImages.WritePng(dir.Path, "b.png");
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("[pscustomobject]@{ Prompt = 'two'; image_urls = \"$a|$b\" } | Invoke-SeedreamEdit",
                new Dictionary<string, object?> { ["a"] = a, ["b"] = b });
            Assert.Empty(r.Errors);
            Assert.Equal(new[] { a, b }, (string[])Assert.Single(r.Output).P("InputImages")!);
        }

        [Fact]
        public void Deserialized_results_and_url_objects_are_images()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run(@"
                $first = Invoke-SeedreamEdit -Prompt 'first' -Image $img -Seed 5
                $copy = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($first, 3))
                $copy.PSObject.TypeNames[0]
                Invoke-SeedreamEdit -Prompt 'from copy' -Image $copy.Images[0]
                $copy | Invoke-SeedreamEdit -Prompt 'piped copy'
                [pscustomobject]@{ Url = $first.Images[0].Url } | Invoke-SeedreamEdit -Prompt 'url object'
                $first.Images[0].Url",
                new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            Assert.Empty(r.Errors);
            Assert.Equal("Deserialized.Seedream.EditResult", r.Output[0].BaseObject);
            var url = (string)r.Output[4].BaseObject;
            foreach (var i in new[] { 1, 2, 3 })
                Assert.Equal(new[] { url }, (string[])r.Output[i].P("InputImages")!);
            // A piped result is an input only: its seed was not carried over.
            Assert.Null(SentSeed((string)r.Output[2].P("RequestId")!));
        }

        [Fact]
        public void A_piped_result_needs_its_own_prompt()
        {
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;
            var r = ps.Run("$first = Invoke-SeedreamEdit -Prompt 'first' -Image $img; $first | Invoke-SeedreamEdit",
                new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            Assert.Equal("SeedreamPromptRequired", Assert.Single(r.ErrorIds));
            Assert.Equal(1, _fx.Stats.Submitted - before.Submitted);
        }

        [Fact]
        public void One_bad_record_is_one_error()
        {
            using var dir = new TempDir();
            Directory.CreateDirectory(Path.Combine(dir.Path, "folder"));
            System.IO.File.WriteAllBytes(Path.Combine(dir.Path, "empty.png"), new byte[0]);
            System.IO.File.WriteAllText(Path.Combine(dir.Path, "text.png"), "not an image at all");
            using var ps = new PsHost(_fx.Emulator);
            foreach (var (image, id) in new[]
            {
                (Path.Combine(dir.Path, "missing.png"), "SeedreamImageNotFound"),
                (Path.Combine(dir.Path, "folder"), "SeedreamImageIsDirectory"),
                (Path.Combine(dir.Path, "empty.png"), "SeedreamImageEmpty"),
                (Path.Combine(dir.Path, "text.png"), "SeedreamImageNotAnImage"),
                ("ftp://host/a.png", "SeedreamImageUrlSchemeUnsupported"),
            })
            {
                var r = ps.Run("Invoke-SeedreamEdit -Prompt 'p' -Image $i", new Dictionary<string, object?> { ["i"] = image });
                Assert.Equal(new[] { id }, r.ErrorIds.ToArray());
            }
        }

        [Fact]
        public void Wildcards_in_image_paths_expand()
        {
            using var dir = new TempDir();
            var a = TestImages.WritePng(dir.Path, "a.png");
            var b = TestImages.WritePng(dir.Path, "b.png");
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'all' -Image \"$d/*.png\"; Invoke-SeedreamEdit -Prompt 'none' -Image \"$d/*.jpg\"",
                new Dictionary<string, object?> { ["d"] = dir.Path });
            Assert.Equal(new[] { a, b }, (string[])Assert.Single(r.Output).P("InputImages")!);
            Assert.Equal("SeedreamImageNotFound", Assert.Single(r.ErrorIds));
        }

        [Fact]
        public void The_module_works_after_it_is_imported_again_and_forgets_its_connection_when_removed()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run($@"
                Import-Module '{Paths.ModuleManifest}' -Force
                (Get-SeedreamContext).KeySource
                Connect-Seedream -ApiKey $key -ProxyUrl $proxy -RetryDelayMilliseconds 10
                (Invoke-SeedreamEdit -Prompt 'after reload' -Image $img).Prompt
                Remove-Module Seedream
                Import-Module '{Paths.ModuleManifest}'
                (Get-SeedreamContext).KeySource",
                new Dictionary<string, object?> { ["img"] = TestImages.DataUri, ["key"] = EmulatorFixture.Key, ["proxy"] = _fx.Emulator.ProxyUrl.AbsoluteUri });
            Assert.Empty(r.Errors);
            Assert.Null(r.Terminating);
            // Removing the module ended the Connect-Seedream settings of the first import, too.
            Assert.Equal(new object[] { "none", "after reload", "none" }, r.Output.Select(o => o.BaseObject).ToArray());
        }

        private long? SentSeed(string requestId)
        {
            var input = EmulatorInspection.JobInput(_fx.Emulator, requestId);
            return input.TryGetProperty("seed", out var seed) ? seed.GetInt64() : (long?)null;
        }
    }
}
