using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>Save-SeedreamImage and Invoke-SeedreamEdit -OutFolder: names, safety, atomic writes.</summary>
    public class SaveImageTests : IClassFixture<EmulatorFixture>, IClassFixture<HostileServer>
    {
        private readonly EmulatorFixture _fx;
        private readonly HostileServer _evil;

        public SaveImageTests(EmulatorFixture fx, HostileServer evil)
        {
            _fx = fx;
            _evil = evil;
        }

        private static Dictionary<string, object?> Vars(params (string, object?)[] pairs) => pairs.ToDictionary(p => p.Item1, p => p.Item2);

        private static long FileRoute(EmulatorFixture fx) => fx.Stats.RequestsByRoute.TryGetValue("file", out var n) ? n : 0;

        [Fact]
        public void An_EditResult_saves_every_image_as_a_png_of_the_result_size_and_records_LocalPath()
        {
            using var dir = new TempDir();
            var output = Path.Combine(dir.Path, "out");
            using var ps = new PsHost(_fx.Emulator);

            var r = ps.Run(@"
                $global:r = Invoke-SeedreamEdit -Prompt 'save me' -Image $uri -NumImages 2 -ImageSize 2560x1440
                $r | Save-SeedreamImage -Destination $out -Verbose", Vars(("uri", TestImages.DataUri), ("out", output)));

            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            Assert.Equal(2, r.Output.Count);
            var requestId = (string)ps.Run("$r.RequestId").Output[0].BaseObject;
            var files = r.Output.Select(o => Assert.IsType<FileInfo>(o.BaseObject)).ToArray();
            Assert.Equal(new[] { $"{requestId}-0.png", $"{requestId}-1.png" }, files.Select(f => f.Name));
            Assert.All(files, f => Assert.Equal(Path.GetFullPath(output), f.DirectoryName));
            Assert.All(files, f => Assert.Equal((2560, 1440), Png.Size(f.FullName)));
            var sizes = ps.Run("$r.Images | ForEach-Object { $_.FileSize }").Output.Select(o => Convert.ToInt64(o.BaseObject)).ToArray();
            Assert.Equal(sizes, files.Select(f => f.Length));
            var localPaths = ps.Run("$r.Images | ForEach-Object { $_.LocalPath }").Output.Select(o => (string)o.BaseObject).ToArray();
            Assert.Equal(files.Select(f => f.FullName), localPaths);
            Assert.Equal(2, FileAssert.Listing(output).Length);
            Assert.Equal(0, _fx.Stats.DirectRequestsWithAuthorization);
            Assert.Contains(r.Verbose, v => v.Message.StartsWith("GET ", StringComparison.Ordinal));
            Assert.DoesNotContain(EmulatorFixture.Key, r.AllText(), StringComparison.Ordinal);
        }

        [Fact]
        public void Without_Destination_images_go_to_the_current_PowerShell_location()
        {
            using var dir = new TempDir();
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run(@"
                $ExecutionContext.SessionState.Path.SetLocation($d) | Out-Null
                $result = Invoke-SeedreamEdit -Prompt 'here' -Image $uri
                $result.Images | Save-SeedreamImage", Vars(("d", dir.Path), ("uri", TestImages.DataUri)));
            Assert.Empty(r.Errors);
            var file = Assert.IsType<FileInfo>(Assert.Single(r.Output).BaseObject);
            Assert.Equal(dir.Path, file.DirectoryName);
        }

        [Fact]
        public void Sync_mode_data_uris_and_url_strings_are_saved_without_extra_requests_or_to_an_exact_path()
        {
            using var dir = new TempDir();
            using var ps = new PsHost(_fx.Emulator);
            var downloadsBefore = FileRoute(_fx);

            var sync = ps.Run("Invoke-SeedreamEdit -Prompt 'inline' -Image $uri -SyncMode | Save-SeedreamImage -Destination $d",
                Vars(("uri", TestImages.DataUri), ("d", dir.Path)));
            Assert.Empty(sync.Errors);
            var saved = Assert.IsType<FileInfo>(Assert.Single(sync.Output).BaseObject);
            Assert.EndsWith(".png", saved.Name, StringComparison.Ordinal);
            Assert.True(Png.Size(saved.FullName).Width > 0);
            Assert.Equal(downloadsBefore, FileRoute(_fx));

            var exact = Path.Combine(dir.Path, "nested", "exact.picture");
            var raw = ps.Run("Save-SeedreamImage -InputObject $uri -Path $p; Save-SeedreamImage -InputObject $uri, $uri -Path $p2",
                Vars(("uri", TestImages.DataUri), ("p", exact), ("p2", Path.Combine(dir.Path, "one.png"))));
            Assert.Equal(Png.Bytes, System.IO.File.ReadAllBytes(exact));
            Assert.Equal("SeedreamPathTakesOneImage", Assert.Single(raw.ErrorIds));
            Assert.Equal(2, raw.Output.Count);
        }

        [Fact]
        public void Name_templates_fill_placeholders_make_subfolders_and_reject_unsafe_or_unknown_parts()
        {
            using var dir = new TempDir();
            using var ps = new PsHost(_fx.Emulator);

            var r = ps.Run("Invoke-SeedreamEdit -Prompt 't' -Image $uri -Seed 77 | Save-SeedreamImage -Destination $d -NameTemplate 'seed-{Seed}/{FileName}.{EXT}'",
                Vars(("uri", TestImages.DataUri), ("d", dir.Path)));
            Assert.Empty(r.Errors);
            var file = Assert.IsType<FileInfo>(Assert.Single(r.Output).BaseObject);
            Assert.Equal(Path.Combine(dir.Path, "seed-77"), file.DirectoryName);
            Assert.Matches("^seedream-[0-9a-f]{12}-1\\.png$", file.Name);

            var requests = EmulatorProbe.TotalRequests(_fx.Stats);
            foreach (var template in new[] { "{Nope}.png", "../{RequestId}.{ext}", "/abs/{RequestId}", "fixed.png", "{RequestId" })
            {
                var bad = ps.Run("Save-SeedreamImage -InputObject $uri -Destination $d -NameTemplate $t", Vars(("uri", TestImages.DataUri), ("d", dir.Path), ("t", template)));
                Assert.Equal("SeedreamNameTemplateInvalid", Assert.Single(bad.ErrorIds));
                Assert.Equal(ErrorCategory.InvalidArgument, bad.Errors[0].CategoryInfo.Category);
                Assert.Empty(bad.Output);
            }
            Assert.Single(FileAssert.Listing(dir.Path));
            Assert.Equal(requests, EmulatorProbe.TotalRequests(_fx.Stats));
        }

        [Fact]
        public void Existing_files_are_kept_without_Force_and_replaced_with_it()
        {
            using var dir = new TempDir();
            var url = _evil.Url("plain.png");
            var target = Path.Combine(dir.Path, "image-0.png");
            System.IO.File.WriteAllText(target, "precious");
            using var ps = new PsHost(_fx.Emulator);
            var requests = _evil.Requests;

            var kept = ps.Run("Save-SeedreamImage $u -Destination $d", Vars(("u", url), ("d", dir.Path)));
            Assert.Equal("SeedreamFileExists", Assert.Single(kept.ErrorIds));
            Assert.Equal(ErrorCategory.ResourceExists, kept.Errors[0].CategoryInfo.Category);
            Assert.Empty(kept.Output);
            Assert.Equal("precious", System.IO.File.ReadAllText(target));
            Assert.Equal(requests, _evil.Requests);

            var replaced = ps.Run("Save-SeedreamImage $u -Destination $d -Force", Vars(("u", url), ("d", dir.Path)));
            Assert.Empty(replaced.Errors);
            Assert.Equal(target, Assert.IsType<FileInfo>(Assert.Single(replaced.Output).BaseObject).FullName);
            Assert.Equal(Png.Bytes, System.IO.File.ReadAllBytes(target));
            Assert.Equal(new[] { "image-0.png" }, FileAssert.Listing(dir.Path));
        }

        [Fact]
        public void WhatIf_downloads_and_writes_nothing()
        {
            using var dir = new TempDir();
            var output = Path.Combine(dir.Path, "never-created");
            using var ps = new PsHost(_fx.Emulator);
            var setup = ps.Run("$global:r = Invoke-SeedreamEdit -Prompt 'w' -Image $uri", Vars(("uri", TestImages.DataUri)));
            Assert.Empty(setup.Errors);
            var downloads = FileRoute(_fx);
            var requests = _evil.Requests;

            var r = ps.Run("$r | Save-SeedreamImage -Destination $o -WhatIf; Save-SeedreamImage $u -Destination $o -WhatIf", Vars(("o", output), ("u", _evil.Url("plain.png"))));

            Assert.Empty(r.Errors);
            Assert.Empty(r.Output);
            Assert.False(Directory.Exists(output));
            Assert.Equal(downloads, FileRoute(_fx));
            Assert.Equal(requests, _evil.Requests);
        }

        [Fact]
        public void Hostile_server_names_are_sanitised_and_files_stay_inside_the_destination()
        {
            using var root = new TempDir();
            var dest = Path.Combine(root.Path, "a", "b", "dest");
            var plain = _evil.Url("plain.png");
            using var ps = new PsHost(_fx.Emulator);

            var r = ps.Run(@"
                Save-SeedreamImage $evil -Destination $d -NameTemplate '{FileName}.{ext}'
                $images = @(
                    [Seedream.Image]@{ Url = $plain; FileName = '../../x.png'; RequestId = 'r1'; Index = 0 }
                    [Seedream.Image]@{ Url = $plain; FileName = 'C:\windows\y.png'; RequestId = 'r1'; Index = 1 }
                    [Seedream.Image]@{ Url = $plain; FileName = 'CON'; RequestId = 'r1'; Index = 2 }
                    [Seedream.Image]@{ Url = $plain; FileName = ""nul.tar.gz""; RequestId = 'r1'; Index = 3 }
                    [Seedream.Image]@{ Url = $plain; FileName = ""bad`u{202E}gnp.exe""; RequestId = 'r1'; Index = 4 }
                )
                $images | Save-SeedreamImage -Destination $d -NameTemplate '{FileName}.{ext}'
                [pscustomobject]@{ RequestId = '../../..'; Images = @([pscustomobject]@{ url = $plain; file_name = '/etc/passwd' }) } | Save-SeedreamImage -Destination $d
                [Seedream.Image]@{ Url = $plain; RequestId = '..\..\up'; Index = 7 } | Save-SeedreamImage -Destination $d",
                Vars(("evil", _evil.Url("evil")), ("plain", plain), ("d", dest)));

            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            var expected = new[] { "_CON.png", "_nul.tar.png", "badgnp.png", "evil.png", "image-0.png", "up-7.png", "x.png", "y.png" };
            Assert.Equal(expected, FileAssert.Listing(dest));
            // Nothing anywhere else under the root: no escape, no temp files.
            Assert.Equal(expected.Select(n => Path.Combine("a", "b", "dest", n)), FileAssert.Listing(root.Path));
            Assert.All(r.Output, o => Assert.Equal(dest, ((FileInfo)o.BaseObject).DirectoryName));
            Assert.Empty(_evil.AuthorizationHeaders);
        }

        [Fact]
        public void An_interrupted_download_leaves_neither_the_file_nor_a_temp_file()
        {
            using var dir = new TempDir();
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Save-SeedreamImage $u -Destination $d", Vars(("u", _evil.TruncatingUrl.AbsoluteUri), ("d", dir.Path)));
            Assert.Empty(r.Output);
            Assert.True(r.ErrorIds.SequenceEqual(new[] { "SeedreamDownloadIncomplete" }), string.Join("\n", r.Errors.Select(e => e.Exception.ToString())));
            Assert.Equal(ErrorCategory.ReadError, r.Errors[0].CategoryInfo.Category);
            Assert.Contains("100,000", r.Errors[0].Exception.Message, StringComparison.Ordinal);
            Assert.Empty(FileAssert.Listing(dir.Path));

            // A server that resets the connection mid-response is a failed download, equally clean.
            var reset = ps.Run("Save-SeedreamImage $u -Destination $d", Vars(("u", _evil.Url("truncated.png")), ("d", dir.Path)));
            Assert.Empty(reset.Output);
            Assert.Contains(Assert.Single(reset.ErrorIds), new[] { "SeedreamDownloadIncomplete", "SeedreamDownloadFailed" });
            Assert.Empty(FileAssert.Listing(dir.Path));
        }

        [Fact]
        public void A_size_that_disagrees_with_file_size_or_exceeds_the_maximum_is_refused_and_nothing_is_kept()
        {
            using var dir = new TempDir();
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run(@"
                [Seedream.Image]@{ Url = $plain; FileSize = 999; RequestId = 'm'; Index = 0 } | Save-SeedreamImage -Destination $d
                [Seedream.Image]@{ Url = $uri; FileSize = 5; RequestId = 'm'; Index = 1 } | Save-SeedreamImage -Destination $d
                Save-SeedreamImage $big -Destination $d -MaximumSizeMB 1
                Save-SeedreamImage $chunked -Destination $d -MaximumSizeMB 1",
                Vars(("plain", _evil.Url("plain.png")), ("uri", TestImages.DataUri), ("big", _evil.Url("big.png")), ("chunked", _evil.Url("big-chunked.png")), ("d", dir.Path)));
            Assert.Empty(r.Output);
            Assert.Equal(new[] { "SeedreamDownloadSizeMismatch", "SeedreamDownloadSizeMismatch", "SeedreamDownloadTooLarge", "SeedreamDownloadTooLarge" }, r.ErrorIds);
            Assert.Equal(ErrorCategory.InvalidData, r.Errors[0].CategoryInfo.Category);
            Assert.Equal(ErrorCategory.LimitsExceeded, r.Errors[2].CategoryInfo.Category);
            Assert.Empty(FileAssert.Listing(dir.Path));
        }

        [Fact]
        public void Content_type_sniffing_redirects_bad_inputs_and_no_key_needed()
        {
            using var dir = new TempDir();
            // No Connect-Seedream and no key at all: downloads do not need one.
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run(@"
                Save-SeedreamImage $mystery -Destination $d -NameTemplate 'mystery.{ext}'
                Save-SeedreamImage $redirect -Destination $d -NameTemplate 'moved.{ext}'
                Save-SeedreamImage 42, 'ftp://example.com/x.png', 'data:image/png;base64,@@@@' -Destination $d
                Save-SeedreamImage $redirect -Path $d
                Save-SeedreamImage $redirect -Destination 'Env:'",
                Vars(("mystery", _evil.Url("mystery.bin")), ("redirect", _evil.Url("redirect")), ("d", dir.Path)));
            Assert.Equal(new[] { "SeedreamSaveInputInvalid", "SeedreamImageUrlSchemeUnsupported", "SeedreamDataUriInvalid", "SeedreamPathIsDirectory", "SeedreamPathNotFileSystem" }, r.ErrorIds);
            Assert.Equal(new[] { "mystery.png", "moved.png" }, r.Output.Select(o => ((FileInfo)o.BaseObject).Name));
            Assert.Equal(Png.Bytes, System.IO.File.ReadAllBytes(Path.Combine(dir.Path, "moved.png")));
        }

        [Fact]
        public void Hashtables_are_read_by_their_keys_and_a_local_path_is_refused_once_as_not_a_url()
        {
            using var dir = new TempDir();
            var local = TestImages.WritePng(dir.Path, "already-here.png");
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run(@"
                @{ Url = $url; RequestId = 'req'; Index = 3 } | Save-SeedreamImage -Destination $d
                @{ RequestId = 'res'; Images = @(@{ url = $url; index = 0 }, @{ url = $url; index = 1 }) } | Save-SeedreamImage -Destination $d
                $local | Save-SeedreamImage -Destination $d",
                Vars(("url", _evil.Url("mystery.bin")), ("d", dir.Path), ("local", local)));
            // Before, each key of a hashtable was one 'DictionaryEntry cannot be saved' error.
            Assert.Equal(new[] { "req-3.png", "res-0.png", "res-1.png" }, r.Output.Select(o => ((FileInfo)o.BaseObject).Name));
            var error = Assert.Single(r.Errors);
            Assert.Equal("SeedreamSaveInputInvalid", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("is not a URL", error.Exception.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("fal fetches", error.Exception.Message, StringComparison.Ordinal);
        }

        [Fact]
        public async Task Stopping_a_download_midway_leaves_nothing_behind()
        {
            using var dir = new TempDir();
            using var ps = new PsHost(_fx.Emulator);
            _evil.ResetSlow();
            var started = _evil.SlowStarted.Task;
            var r = await ps.RunAndStopAsync("Save-SeedreamImage $u -Destination $d", () => started.IsCompleted,
                Vars(("u", _evil.Url("slow.png")), ("d", dir.Path)));
            Assert.True(started.IsCompleted);
            Assert.Empty(r.Output);
            Assert.Empty(FileAssert.Listing(dir.Path));
        }

        [Fact]
        public void FileInfo_pipeline_with_OutFolder_saves_each_result_as_it_goes()
        {
            using var dir = new TempDir();
            var inputs = new[] { "one.png", "two.png" }.Select(n => TestImages.WritePng(Path.Combine(dir.Path, "in"), n)).ToArray();
            var output = Path.Combine(dir.Path, "out");
            using var ps = new PsHost(_fx.Emulator);

            var r = ps.Run("$files | ForEach-Object { [System.IO.FileInfo]::new($_) } | Invoke-SeedreamEdit -Prompt 'p' -ImageSize 2560x1440 -OutFolder $out",
                Vars(("files", inputs), ("out", output)));

            Assert.Empty(r.Errors);
            Assert.Equal(2, r.Output.Count);
            foreach (var result in r.Output)
            {
                var image = Assert.Single(result.Items("Images"))!;
                var local = (string)image.P("LocalPath")!;
                Assert.Equal(Path.Combine(output, $"{result.P("RequestId")}-0.png"), local);
                Assert.Equal((2560, 1440), Png.Size(local));
                Assert.Equal(image.P<long>("FileSize"), new FileInfo(local).Length);
            }
            Assert.Equal(2, FileAssert.Listing(output).Length);

            // An output folder that is really a file is refused before anything is submitted.
            var submitted = _fx.Stats.Submitted;
            var bad = ps.Run("Invoke-SeedreamEdit -Prompt 'p' -Image $f -OutFolder $f", Vars(("f", inputs[0])));
            Assert.Equal("SeedreamDestinationNotFolder", Assert.Single(bad.ErrorIds));
            Assert.Equal(submitted, _fx.Stats.Submitted);
        }
    }
}
