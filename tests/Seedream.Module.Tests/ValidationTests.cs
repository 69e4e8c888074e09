using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>Bad input is refused with a specific ErrorId before anything reaches the server.</summary>
    public class ValidationTests : IClassFixture<EmulatorFixture>
    {
        private readonly EmulatorFixture _fx;
        public ValidationTests(EmulatorFixture fx) => _fx = fx;

        public static IEnumerable<object[]> BadEdits() => new[]
        {
            new object[] { "Invoke-SeedreamEdit -Prompt '' -Image $img", "SeedreamPromptEmpty", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt '   ' -Image $img", "SeedreamPromptEmpty", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p'", "SeedreamImageRequired", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -NumImages 0", "SeedreamNumImagesOutOfRange", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -NumImages 7", "SeedreamNumImagesOutOfRange", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -MaxImages 11", "SeedreamMaxImagesOutOfRange", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -ImageSize 'huge'", "SeedreamImageSizeInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -ImageSize 20000x100", "SeedreamImageSizeInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -ImageSize @{ width = 0; height = 10 }", "SeedreamImageSizeInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -ImageSize @{ width = 100 }", "SeedreamImageSizeInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -Seed -1", "SeedreamSeedOutOfRange", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -EnhancePromptMode turbo", "SeedreamEnhancePromptModeInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image 'ftp://host/a.png'", "SeedreamImageUrlSchemeUnsupported", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image 'file:///etc/passwd'", "SeedreamImageUrlSchemeUnsupported", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image 'data:image/png;base64,@@@@'", "SeedreamDataUriInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image 'data:image/png,abc'", "SeedreamDataUriInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image 'https://'", "SeedreamImageUrlInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -Endpoint 'not an endpoint'", "SeedreamInvalidEndpoint", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -Endpoint 'single'", "SeedreamInvalidEndpoint", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -Header @{ Authorization = 'x' }", "SeedreamHeaderInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -StartTimeoutSec 0.5", "SeedreamStartTimeoutInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Submit-SeedreamJob -Prompt 'p' -Image $img -WebhookUrl 'ftp://hook'", "SeedreamWebhookUrlInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Get-SeedreamJobStatus -RequestId '../../etc/passwd'", "SeedreamInvalidRequestId", ErrorCategory.InvalidArgument },
            new object[] { "Wait-SeedreamJob -RequestId 'a b'", "SeedreamInvalidRequestId", ErrorCategory.InvalidArgument },
            new object[] { "Stop-SeedreamJob -RequestId 'x?y' -Confirm:$false", "SeedreamInvalidRequestId", ErrorCategory.InvalidArgument },
            new object[] { "Receive-SeedreamJob -RequestId 'abc' -Endpoint 'x'", "SeedreamInvalidEndpoint", ErrorCategory.InvalidArgument },
        };

        [Theory]
        [MemberData(nameof(BadEdits))]
        public void Bad_input_gets_a_specific_error_and_sends_nothing(string script, string errorId, ErrorCategory category)
        {
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;
            var r = ps.Run(script, new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            var after = _fx.Stats;
            Assert.Null(r.Terminating);
            Assert.Empty(r.Output);
            Assert.Contains(errorId, r.ErrorIds);
            Assert.All(r.Errors.Where(e => e.FullyQualifiedErrorId.StartsWith(errorId)), e => Assert.Equal(category, e.CategoryInfo.Category));
            Assert.Equal(before.Submitted, after.Submitted);
            Assert.Equal(before.SyncRuns, after.SyncRuns);
            Assert.Equal(Total(before), Total(after));
        }

        private static long Total(Seedream.Emulator.EmulatorStats s) => s.RequestsByRoute.Values.Sum();

        [Fact]
        public void Several_problems_in_one_request_are_one_error_that_names_them_all()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Invoke-SeedreamEdit -Prompt '' -Image 'ftp://a/b.png' -NumImages 9 -MaxImages 0");
            // One bad record, one error: the first problem's id, the others named in its message.
            Assert.Equal("SeedreamImageUrlSchemeUnsupported", Assert.Single(r.ErrorIds));
            var message = r.Errors[0].Exception.Message;
            Assert.Contains("prompt is empty", message);
            Assert.Contains("NumImages", message);
            Assert.Contains("MaxImages", message);
        }

        [Fact]
        public void One_bad_csv_row_does_not_stop_the_others()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run(@"
                $rows = @(
                    [pscustomobject]@{ Prompt = 'row one'; image_urls = $img; num_images = '1' }
                    [pscustomobject]@{ Prompt = 'row two'; image_urls = $img; num_images = '9' }
                    [pscustomobject]@{ Prompt = 'row three'; image_urls = $img; image_size = 'landscape_16_9'; sync_mode = 'false' }
                )
                $rows | Invoke-SeedreamEdit -Ordered", new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            Assert.Null(r.Terminating);
            Assert.Equal("SeedreamNumImagesOutOfRange", Assert.Single(r.ErrorIds));
            Assert.Equal(new[] { "row one", "row three" }, r.Output.Select(o => (string)o.P("Prompt")!).ToArray());
            var third = r.Output[1].Items("Images").Single()!;
            Assert.False((bool)third.P("IsDataUri")!);
            Assert.True((int)third.P("Width")! > (int)third.P("Height")!);
        }

        [Fact]
        public void More_than_ten_images_warns_and_sends_the_last_ten()
        {
            using var ps = new PsHost(_fx.Emulator);
            var urls = Enumerable.Range(1, 12).Select(i => $"http://127.0.0.1:9/img{i}.png").ToArray();
            var r = ps.Run("Submit-SeedreamJob -Prompt 'many' -Image $urls", new Dictionary<string, object?> { ["urls"] = urls });
            Assert.Empty(r.Errors);
            Assert.Contains(r.Warnings, w => w.Message.Contains("12 images") && w.Message.Contains("last 10"));
            var id = (string)r.Single("Seedream.Job").P("RequestId")!;
            var input = EmulatorInspection.JobInput(_fx.Emulator, id);
            var sent = input.GetProperty("image_urls").EnumerateArray().Select(e => e.GetString()).ToArray();
            Assert.Equal(urls.Skip(2).ToArray(), sent);
        }

        [Fact]
        public void A_custom_size_below_the_pixel_floor_is_explained_and_scaled()
        {
            using var ps = new PsHost(_fx.Emulator);
            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'small' -Image $img -ImageSize @{ width = 1280; height = 720 }", new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            Assert.Empty(r.Errors);
            var warning = Assert.Single(r.Warnings).Message;
            Assert.Contains("1280x720", warning);
            Assert.Contains("2560x1440", warning);
            var image = r.Single("Seedream.EditResult").Items("Images").Single()!;
            Assert.Equal(2560, image.P("Width"));
            Assert.Equal(1440, image.P("Height"));
        }

        [Fact]
        public void WhatIf_shows_the_estimated_cost_and_sends_nothing()
        {
            using var ps = new PsHost(_fx.Emulator);
            var before = Total(_fx.Stats);
            var r = ps.Run("Invoke-SeedreamEdit -Prompt 'p' -Image $img -NumImages 2 -MaxImages 3 -WhatIf -Verbose; Submit-SeedreamJob -Prompt 'q' -Image $img -WhatIf -Verbose", new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            Assert.Empty(r.Errors);
            Assert.Empty(r.Output);
            Assert.Equal(before, Total(_fx.Stats));
            Assert.Contains("estimated cost up to $0.210 (6 images × $0.035)", ps.HostText);
            Assert.Contains("estimated cost $0.035 (1 image × $0.035)", ps.HostText);
        }
    }
}
