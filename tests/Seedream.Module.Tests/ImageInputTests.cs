using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>-Image on Invoke-SeedreamEdit and Submit-SeedreamJob: every kind of input, uploads once, validation before any request.</summary>
    public class ImageInputTests : IClassFixture<EmulatorFixture>
    {
        private readonly EmulatorFixture _fx;
        public ImageInputTests(EmulatorFixture fx) => _fx = fx;

        private static Dictionary<string, object?> Vars(params (string, object?)[] pairs) => pairs.ToDictionary(p => p.Item1, p => p.Item2);

        private string[] Inputs(PSObject result) => EmulatorProbe.InputImageUrls(_fx.Emulator, (string)result.P("RequestId")!);

        [Fact]
        public void A_mix_of_urls_data_uris_relative_paths_FileInfo_File_and_Image_becomes_one_edit()
        {
            using var dir = new TempDir();
            TestImages.WritePng(dir.Path, "rel.png");
            var abs = TestImages.WritePng(dir.Path, "abs.png");
            var forSend = TestImages.WritePng(dir.Path, "sent.png");
            using var ps = new PsHost(_fx.Emulator);
            var prep = ps.Run(@"
                $ExecutionContext.SessionState.Path.SetLocation($d) | Out-Null
                $global:sent = Send-SeedreamFile -LiteralPath $forSend
                $global:prev = Invoke-SeedreamEdit -Prompt 'first' -Image $uri", Vars(("d", dir.Path), ("forSend", forSend), ("uri", TestImages.DataUri)));
            Assert.Empty(prep.Errors);
            var before = _fx.Stats;

            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'mix' -Image $sent.Url, $uri, 'rel.png', ([System.IO.FileInfo]::new($abs)), $sent, $prev.Images[0]",
                Vars(("uri", TestImages.DataUri), ("abs", abs)));

            Assert.Empty(r.Errors);
            var result = r.Single("Seedream.EditResult");
            var sentUrl = (string)ps.Run("$sent.Url").Output[0].BaseObject;
            var prevUrl = (string)ps.Run("$prev.Images[0].Url").Output[0].BaseObject;
            var urls = Inputs(result);
            Assert.Equal(6, urls.Length);
            Assert.Equal(sentUrl, urls[0]);
            Assert.Equal(TestImages.DataUri, urls[1]);
            Assert.EndsWith("/rel.png", urls[2], StringComparison.Ordinal);
            Assert.EndsWith("/abs.png", urls[3], StringComparison.Ordinal);
            Assert.Equal(sentUrl, urls[4]);
            Assert.Equal(prevUrl, urls[5]);
            var after = _fx.Stats;
            Assert.Equal(before.Uploads + 2, after.Uploads);
            Assert.Equal(before.Submitted + 1, after.Submitted);
            Assert.Equal(0, after.DirectRequestsWithAuthorization);
        }

        [Fact]
        public void FileInfo_objects_piped_in_make_one_edit_per_file()
        {
            using var dir = new TempDir();
            var paths = new[] { "a.jpg", "b.jpg", "c.jpg" }.Select(n => TestImages.WritePng(dir.Path, n)).ToArray();
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;

            var r = ps.Run("$paths | ForEach-Object { [System.IO.FileInfo]::new($_) } | Invoke-SeedreamEdit -Prompt 'one each' -Ordered", Vars(("paths", paths)));

            Assert.Empty(r.Errors);
            Assert.Equal(3, r.Output.Count);
            var names = r.Output.Select(o => Path.GetFileName(new Uri(Assert.Single(Inputs(o))).AbsolutePath)).ToArray();
            Assert.Equal(new[] { "a.jpg", "b.jpg", "c.jpg" }, names);
            Assert.Equal(before.Submitted + 3, _fx.Stats.Submitted);
            Assert.Equal(before.Uploads + 3, _fx.Stats.Uploads);
        }

        [Fact]
        public void Several_paths_in_Image_make_one_multi_image_edit()
        {
            using var dir = new TempDir();
            foreach (var n in new[] { "a.png", "b.png", "logo.png" }) TestImages.WritePng(dir.Path, n);
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;

            var r = ps.Run("$ExecutionContext.SessionState.Path.SetLocation($d) | Out-Null; Invoke-SeedreamEdit -Prompt 'combine' -Image a.png, b.png, logo.png", Vars(("d", dir.Path)));

            Assert.Empty(r.Errors);
            var urls = Inputs(r.Single("Seedream.EditResult"));
            Assert.Equal(new[] { "a.png", "b.png", "logo.png" }, urls.Select(u => Path.GetFileName(new Uri(u).AbsolutePath)));
            Assert.Equal(before.Submitted + 1, _fx.Stats.Submitted);
            Assert.Equal(before.Uploads + 3, _fx.Stats.Uploads);
        }

        [Fact]
        public void More_than_ten_images_warns_and_uploads_only_the_last_ten()
        {
            using var dir = new TempDir();
            var paths = Enumerable.Range(0, 12).Select(i => TestImages.WritePng(dir.Path, $"img{i:00}.png")).ToArray();
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;

            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'many' -Image $paths", Vars(("paths", paths)));

            Assert.Empty(r.Errors);
            var warning = Assert.Single(r.Warnings);
            Assert.Contains("12 images", warning.Message, StringComparison.Ordinal);
            var urls = Inputs(r.Single("Seedream.EditResult"));
            Assert.Equal(Enumerable.Range(2, 10).Select(i => $"img{i:00}.png"), urls.Select(u => Path.GetFileName(new Uri(u).AbsolutePath)));
            Assert.Equal(before.Uploads + 10, _fx.Stats.Uploads);
        }

        [Fact]
        public void The_same_file_used_twice_in_a_pipeline_is_uploaded_once()
        {
            using var dir = new TempDir();
            var a = TestImages.WritePng(dir.Path, "same.png");
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;

            var twoRecords = ps.Run("$f = [System.IO.FileInfo]::new($a); $f, $f | Invoke-SeedreamEdit -Prompt 'twice'", Vars(("a", a)));
            Assert.Empty(twoRecords.Errors);
            Assert.Equal(2, twoRecords.Output.Count);
            Assert.Equal(Inputs(twoRecords.Output[0]), Inputs(twoRecords.Output[1]));
            Assert.Equal(before.Uploads + 1, _fx.Stats.Uploads);
            Assert.Equal(before.Submitted + 2, _fx.Stats.Submitted);

            var oneRecord = ps.Run("Submit-SeedreamJob -Prompt 'twice in one' -Image $a, $a", Vars(("a", a)));
            Assert.Empty(oneRecord.Errors);
            var job = oneRecord.Single("Seedream.Job");
            var urls = EmulatorProbe.InputImageUrls(_fx.Emulator, (string)job.P("RequestId")!);
            Assert.Equal(2, urls.Length);
            Assert.Equal(urls[0], urls[1]);
            Assert.Equal(before.Uploads + 2, _fx.Stats.Uploads);
        }

        [Fact]
        public void InlineImages_sends_data_uris_without_uploading_and_warns_when_large()
        {
            using var dir = new TempDir();
            var a = TestImages.WritePng(dir.Path, "inline.png");
            var big = Png.WritePadded(dir.Path, "big.png", 3_500_000);
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;

            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'inline' -Image $a -InlineImages", Vars(("a", a)));
            Assert.Empty(r.Errors);
            Assert.Empty(r.Warnings);
            Assert.Equal(TestImages.DataUri, Assert.Single(Inputs(r.Single("Seedream.EditResult"))));
            Assert.Equal(before.Uploads, _fx.Stats.Uploads);

            var requests = EmulatorProbe.TotalRequests(_fx.Stats);
            var large = ps.Run("Invoke-SeedreamEdit -Prompt 'inline' -Image $big -InlineImages -WhatIf", Vars(("big", big)));
            Assert.Empty(large.Errors);
            Assert.Contains(large.Warnings, w => w.Message.Contains("data URI", StringComparison.Ordinal) && w.Message.Contains("big.png", StringComparison.Ordinal));
            Assert.Equal(requests, EmulatorProbe.TotalRequests(_fx.Stats));
        }

        [Fact]
        public void Every_bad_image_has_its_own_ErrorId_and_nothing_reaches_the_emulator()
        {
            using var dir = new TempDir();
            var good = TestImages.WritePng(dir.Path, "good.png");
            var empty = Path.Combine(dir.Path, "empty.png");
            System.IO.File.WriteAllBytes(empty, Array.Empty<byte>());
            var text = Path.Combine(dir.Path, "text.png");
            System.IO.File.WriteAllText(text, "this is not a picture");
            var folder = Directory.CreateDirectory(Path.Combine(dir.Path, "folder.png")).FullName;
            var locked = TestImages.WritePng(dir.Path, "locked.png");
            var bad = new object[]
            {
                Path.Combine(dir.Path, "missing.png"), folder, empty, locked, text,
                "ftp://example.com/a.png", "file:///tmp/a.png", "data:image/png;base64,@@@@", "http://", "Env:PATH",
            };
            var expected = new[]
            {
                ("SeedreamImageNotFound", ErrorCategory.ObjectNotFound), ("SeedreamImageIsDirectory", ErrorCategory.InvalidArgument),
                ("SeedreamImageEmpty", ErrorCategory.InvalidData), ("SeedreamImageUnreadable", ErrorCategory.ReadError),
                ("SeedreamImageNotAnImage", ErrorCategory.InvalidData), ("SeedreamImageUrlSchemeUnsupported", ErrorCategory.InvalidArgument),
                ("SeedreamImageUrlSchemeUnsupported", ErrorCategory.InvalidArgument), ("SeedreamDataUriInvalid", ErrorCategory.InvalidArgument),
                ("SeedreamImageUrlInvalid", ErrorCategory.InvalidArgument), ("SeedreamImagePathInvalid", ErrorCategory.InvalidArgument),
            };
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;
            var requests = EmulatorProbe.TotalRequests(before);

            PsResult edits, submits;
            // Held exclusively, the file cannot be opened by anyone else, root included (chmod 000 would not stop root).
            using (new FileStream(locked, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
                // Each bad value next to a good local file: the good one must not be uploaded either.
                edits = ps.Run("foreach ($b in $bad) { Invoke-SeedreamEdit -Prompt 'p' -Image $good, $b }", Vars(("bad", bad), ("good", good)));
                submits = ps.Run("foreach ($b in $bad) { Submit-SeedreamJob -Prompt 'p' -Image $good, $b }", Vars(("bad", bad), ("good", good)));
            }

            foreach (var r in new[] { edits, submits })
            {
                Assert.Null(r.Terminating);
                Assert.Empty(r.Output);
                Assert.Equal(expected.Select(e => e.Item1), r.ErrorIds);
                Assert.Equal(expected.Select(e => e.Item2), r.Errors.Select(e => e.CategoryInfo.Category));
            }
            var after = _fx.Stats;
            Assert.Equal(before.Submitted, after.Submitted);
            Assert.Equal(before.Uploads, after.Uploads);
            Assert.Equal(requests, EmulatorProbe.TotalRequests(after));
        }

        [Fact]
        public void Results_chain_into_the_next_edit_whole_or_image_by_image()
        {
            using var ps = new PsHost(_fx.Emulator);
            var first = ps.Run("$global:r = Invoke-SeedreamEdit -Prompt 'first' -Image $uri -NumImages 2; $r", Vars(("uri", TestImages.DataUri)));
            Assert.Empty(first.Errors);
            var r1 = first.Single("Seedream.EditResult");
            var urls = r1.Items("Images").Select(i => (string)i!.P("Url")!).ToArray();
            Assert.Equal(2, urls.Length);
            var before = _fx.Stats;

            var whole = ps.Run("$r | Invoke-SeedreamEdit -Prompt 'second'");
            Assert.Empty(whole.Errors);
            var second = whole.Single("Seedream.EditResult");
            Assert.Equal("second", second.P("Prompt"));
            Assert.Equal(urls, Inputs(second));

            var each = ps.Run("$r.Images | Invoke-SeedreamEdit -Prompt 'third' -Ordered");
            Assert.Empty(each.Errors);
            Assert.Equal(2, each.Output.Count);
            Assert.Equal(urls, each.Output.Select(o => Assert.Single(Inputs(o))));
            Assert.Equal(before.Submitted + 3, _fx.Stats.Submitted);
            Assert.Equal(before.Uploads, _fx.Stats.Uploads);
        }
    }
}
