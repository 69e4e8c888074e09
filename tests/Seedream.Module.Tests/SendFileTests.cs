using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>Send-SeedreamFile against the emulator's storage protocol.</summary>
    public class SendFileTests : IClassFixture<EmulatorFixture>
    {
        private readonly EmulatorFixture _fx;
        public SendFileTests(EmulatorFixture fx) => _fx = fx;

        private static Dictionary<string, object?> Vars(params (string, object?)[] pairs) => pairs.ToDictionary(p => p.Item1, p => p.Item2);

        [Fact]
        public void Upload_returns_a_typed_file_whose_url_serves_the_same_bytes_and_never_leaks_the_key()
        {
            using var dir = new TempDir();
            var path = TestImages.WritePng(dir.Path, "photo.png");
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;

            var r = ps.Run("Send-SeedreamFile -Path $p -Verbose", Vars(("p", path)));

            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            var file = r.Single("Seedream.File");
            Assert.Equal("photo.png", file.P("FileName"));
            Assert.Equal("image/png", file.P("ContentType"));
            Assert.Equal(new FileInfo(path).Length, file.P<long>("FileSize"));
            Assert.Equal(path, file.P("SourcePath"));
            Assert.Null(file.P("ExpiresAt"));
            Assert.Equal(Png.Bytes, EmulatorProbe.Download((string)file.P("Url")!));
            var after = _fx.Stats;
            Assert.Equal(before.Uploads + 1, after.Uploads);
            Assert.Equal(0, after.DirectRequestsWithAuthorization);
            Assert.Contains(r.Verbose, v => v.Message.Contains("Uploaded", StringComparison.Ordinal));
            Assert.DoesNotContain(EmulatorFixture.Key, r.AllText(), StringComparison.Ordinal);
        }

        [Fact]
        public void Content_type_comes_from_magic_bytes_then_extension_and_ContentType_overrides()
        {
            using var dir = new TempDir();
            var disguised = Path.Combine(dir.Path, "image.dat");
            System.IO.File.WriteAllBytes(disguised, Png.Bytes);
            var text = Path.Combine(dir.Path, "notes.txt");
            System.IO.File.WriteAllText(text, "hello");
            var forced = TestImages.WritePng(dir.Path, "forced.png");
            using var ps = new PsHost(_fx.Emulator);

            var r = ps.Run("Send-SeedreamFile -LiteralPath $a, $b -ThrottleLimit 1; Send-SeedreamFile -LiteralPath $c -ContentType 'image/webp'", Vars(("a", disguised), ("b", text), ("c", forced)));

            Assert.Empty(r.Errors);
            var byName = r.Output.ToDictionary(o => (string)o.P("FileName")!);
            Assert.Equal("image/png", byName["image.dat"].P("ContentType"));
            Assert.Equal("text/plain", byName["notes.txt"].P("ContentType"));
            Assert.Equal("image/webp", byName["forced.png"].P("ContentType"));
            Assert.Equal("image/webp", EmulatorProbe.DescribeFile(_fx.Emulator, (string)byName["forced.png"].P("Url")!).GetProperty("contentType").GetString());
        }

        [Fact]
        public void Bad_content_type_is_refused_before_anything_is_sent()
        {
            using var dir = new TempDir();
            var path = TestImages.WritePng(dir.Path, "a.png");
            using var ps = new PsHost(_fx.Emulator);
            var before = EmulatorProbe.TotalRequests(_fx.Stats);
            var r = ps.Run("Send-SeedreamFile $p -ContentType 'not a type'", Vars(("p", path)));
            Assert.Equal("SeedreamContentTypeInvalid", Assert.Single(r.ErrorIds));
            Assert.Empty(r.Output);
            Assert.Equal(before, EmulatorProbe.TotalRequests(_fx.Stats));
        }

        [Fact]
        public void FileInfo_objects_piped_in_upload_concurrently_and_each_comes_out_once_with_progress()
        {
            using var dir = new TempDir();
            var paths = Enumerable.Range(1, 6).Select(i => TestImages.WritePng(dir.Path, $"f{i}.png")).ToArray();
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;

            // FileInfo binds -LiteralPath through its FullName (Get-ChildItem output adds PSPath too).
            var r = ps.Run("$paths | ForEach-Object { [System.IO.FileInfo]::new($_) } | Send-SeedreamFile -ThrottleLimit 3", Vars(("paths", paths)));

            Assert.Empty(r.Errors);
            Assert.Equal(6, r.Output.Count);
            Assert.All(r.Output, o => Assert.Equal("Seedream.File", o.BaseObject.GetType().FullName));
            Assert.Equal(paths.OrderBy(p => p), r.Output.Select(o => (string)o.P("SourcePath")!).OrderBy(p => p));
            Assert.Equal(6, r.Output.Select(o => o.P("Url")).Distinct().Count());
            Assert.Equal(before.Uploads + 6, _fx.Stats.Uploads);
            Assert.Contains(r.Progress, p => p.StatusDescription.Contains("MB/s", StringComparison.Ordinal) && p.Activity == "Uploading to fal storage");
            Assert.Equal(0, _fx.Stats.DirectRequestsWithAuthorization);
        }

        [Fact]
        public void Wildcards_resolve_against_the_PowerShell_location_and_literal_paths_keep_brackets()
        {
            using var dir = new TempDir();
            TestImages.WritePng(dir.Path, "one.png");
            TestImages.WritePng(dir.Path, "two.png");
            TestImages.WritePng(dir.Path, "odd[1].png");
            System.IO.File.WriteAllText(Path.Combine(dir.Path, "skip.txt"), "x");
            using var ps = new PsHost(_fx.Emulator);

            var r = ps.Run(@"$ExecutionContext.SessionState.Path.SetLocation($d) | Out-Null; Send-SeedreamFile '*o.png', 'on*.png'; Send-SeedreamFile -LiteralPath 'odd[1].png'
                [pscustomobject]@{ PSPath = ""Microsoft.PowerShell.Core\FileSystem::$([IO.Path]::Combine($d, 'one.png'))"" } | Send-SeedreamFile", Vars(("d", dir.Path)));

            Assert.Empty(r.Errors);
            var names = r.Output.Select(o => (string)o.P("FileName")!).OrderBy(n => n, StringComparer.Ordinal).ToArray();
            // Get-ChildItem output binds through its provider-qualified PSPath, like the last object here.
            Assert.Equal(new[] { "odd[1].png", "one.png", "one.png", "two.png" }, names);
        }

        [Fact]
        public void Each_bad_path_gets_its_own_error_and_the_good_files_still_upload()
        {
            using var dir = new TempDir();
            var good = TestImages.WritePng(dir.Path, "good.png");
            var empty = Path.Combine(dir.Path, "empty.png");
            System.IO.File.WriteAllBytes(empty, Array.Empty<byte>());
            var sub = Directory.CreateDirectory(Path.Combine(dir.Path, "folder")).FullName;
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;

            var r = ps.Run("Send-SeedreamFile -Path $missing, $sub, $empty, ([IO.Path]::Combine($d, '*.nomatch')), 'Env:PATH', $good",
                Vars(("missing", Path.Combine(dir.Path, "missing.png")), ("sub", sub), ("empty", empty), ("d", dir.Path), ("good", good)));

            Assert.Null(r.Terminating);
            Assert.True(r.Output.Count == 1, string.Join("\n", r.Errors.Select(e => e.ToString())));
            var file = r.Single("Seedream.File");
            Assert.Equal(good, file.P("SourcePath"));
            Assert.Equal(new[] { "SeedreamFileNotFound", "SeedreamFileIsDirectory", "SeedreamFileEmpty", "SeedreamFileNotFound", "SeedreamPathNotFileSystem" }, r.ErrorIds.ToArray());
            Assert.Equal(ErrorCategory.ObjectNotFound, r.Errors[0].CategoryInfo.Category);
            Assert.Equal(ErrorCategory.InvalidArgument, r.Errors[1].CategoryInfo.Category);
            Assert.Equal(ErrorCategory.InvalidData, r.Errors[2].CategoryInfo.Category);
            Assert.Equal(before.Uploads + 1, _fx.Stats.Uploads);
        }

        [Fact]
        public void A_file_locked_by_another_handle_is_reported_unreadable()
        {
            using var dir = new TempDir();
            var path = TestImages.WritePng(dir.Path, "locked.png");
            using var ps = new PsHost(_fx.Emulator);
            // An exclusive handle makes the file unreadable to others on every OS, even for root
            // (chmod 000 does not stop root, and these tests may run as root).
            using (new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
                var r = ps.Run("Send-SeedreamFile -LiteralPath $p", Vars(("p", path)));
                Assert.Empty(r.Output);
                Assert.Equal("SeedreamFileUnreadable", Assert.Single(r.ErrorIds));
                Assert.Equal(ErrorCategory.ReadError, r.Errors[0].CategoryInfo.Category);
            }
        }

        [Fact]
        public void ExpiresIn_sends_fal_lifecycle_headers_and_sets_ExpiresAt()
        {
            using var dir = new TempDir();
            var a = TestImages.WritePng(dir.Path, "a.png");
            var b = TestImages.WritePng(dir.Path, "b.png");
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;

            var r = ps.Run("Send-SeedreamFile $a -ExpiresIn 1d; Send-SeedreamFile $b -ExpiresIn never", Vars(("a", a), ("b", b)));

            Assert.Empty(r.Errors);
            Assert.Equal(2, r.Output.Count);
            var expiring = r.Output[0];
            var expiresAt = (DateTime)expiring.P("ExpiresAt")!;
            Assert.InRange(expiresAt.ToUniversalTime(), DateTime.UtcNow.AddDays(1).AddMinutes(-2), DateTime.UtcNow.AddDays(1).AddMinutes(1));
            var meta = EmulatorProbe.DescribeFile(_fx.Emulator, (string)expiring.P("Url")!);
            using (var lifecycle = JsonDocument.Parse(meta.GetProperty("objectLifecycle").GetString()!))
                Assert.Equal(86400, lifecycle.RootElement.GetProperty("expiration_duration_seconds").GetInt64());
            Assert.Null(r.Output[1].P("ExpiresAt"));
            Assert.Equal(JsonValueKind.Null, EmulatorProbe.DescribeFile(_fx.Emulator, (string)r.Output[1].P("Url")!).GetProperty("objectLifecycle").ValueKind);
            Assert.Equal(before.UploadsWithLifecycle + 1, _fx.Stats.UploadsWithLifecycle);
        }

        [Fact]
        public void A_bad_ExpiresIn_is_a_terminating_error_before_any_request()
        {
            using var dir = new TempDir();
            var a = TestImages.WritePng(dir.Path, "a.png");
            using var ps = new PsHost(_fx.Emulator);
            var before = EmulatorProbe.TotalRequests(_fx.Stats);
            var r = ps.Run("Send-SeedreamFile $a -ExpiresIn 'soon'", Vars(("a", a)));
            Assert.Equal("SeedreamExpiresInInvalid", Assert.Single(r.ErrorIds));
            Assert.Equal(ErrorCategory.InvalidArgument, r.Errors[0].CategoryInfo.Category);
            Assert.Empty(r.Output);
            Assert.Equal(before, EmulatorProbe.TotalRequests(_fx.Stats));
        }

        [Fact]
        public void WhatIf_uploads_nothing()
        {
            using var dir = new TempDir();
            var a = TestImages.WritePng(dir.Path, "a.png");
            using var ps = new PsHost(_fx.Emulator);
            var before = EmulatorProbe.TotalRequests(_fx.Stats);
            var r = ps.Run("Send-SeedreamFile $a -WhatIf", Vars(("a", a)));
            Assert.Empty(r.Errors);
            Assert.Empty(r.Output);
            Assert.Equal(before, EmulatorProbe.TotalRequests(_fx.Stats));
        }
    }
}
