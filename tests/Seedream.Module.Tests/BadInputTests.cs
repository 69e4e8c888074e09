using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>
    /// Bad input not covered by the other suites (ValidationTests, ImageInputTests, SendFileTests,
    /// SaveImageTests, ConnectionTests): each gets its own ErrorId and category, and nothing at all
    /// reaches the emulator. Files are made per case in $dir: big.png (51 MB, sparse), empty.png,
    /// plain.txt.
    /// </summary>
    public class BadInputTests : IClassFixture<EmulatorFixture>
    {
        private readonly EmulatorFixture _fx;
        public BadInputTests(EmulatorFixture fx) => _fx = fx;

        public static IEnumerable<object[]> Cases() => new[]
        {
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image @()", "SeedreamImageRequired", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt \"`t`r`n\" -Image $img", "SeedreamPromptEmpty", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -ImageSize '100x'", "SeedreamImageSizeInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -ImageSize 0x0", "SeedreamImageSizeInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -ImageSize @{ width = 'wide'; height = 10 }", "SeedreamImageSizeInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -NumImages -1", "SeedreamNumImagesOutOfRange", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -MaxImages 0", "SeedreamMaxImagesOutOfRange", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -Seed ([long]::MinValue)", "SeedreamSeedOutOfRange", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -AdditionalInput @{ strength = [double]::NaN }", "SeedreamAdditionalInputInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -AdditionalInput @{ '' = 1 }", "SeedreamAdditionalInputInvalid", ErrorCategory.InvalidArgument },
            new object[] { "$h = @{ a = 1 }; $h.self = $h; Invoke-SeedreamEdit -Prompt 'p' -Image $img -AdditionalInput $h", "SeedreamAdditionalInputInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -Header @{ 'x-fal-target-url' = 'https://evil.example/' }", "SeedreamHeaderInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -StartTimeoutSec -5", "SeedreamStartTimeoutInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image 'data:text/plain;base64,aGVsbG8='", "SeedreamImageNotAnImage", ErrorCategory.InvalidData },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image 'gopher://example.com/a.png'", "SeedreamImageUrlSchemeUnsupported", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image 'data:;base64,AAAA=='", "SeedreamDataUriInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image \"$dir/big.png\"", "SeedreamImageTooLarge", ErrorCategory.LimitsExceeded },
            new object[] { "Submit-SeedreamJob -Prompt 'p' -Image \"$dir/big.png\" -InlineImages", "SeedreamImageTooLarge", ErrorCategory.LimitsExceeded },
            // An upload (Send-SeedreamFile) or an earlier output says its size: the same limit applies.
            new object[] { "[Seedream.File]@{ Url = 'https://v3.fal.media/files/big.png'; FileSize = 52428801 } | Invoke-SeedreamEdit -Prompt 'p'", "SeedreamImageTooLarge", ErrorCategory.LimitsExceeded },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image ([Seedream.Image]@{ Url = 'https://v3.fal.media/files/big.png'; FileSize = 52428801 })", "SeedreamImageTooLarge", ErrorCategory.LimitsExceeded },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -OutFolder \"$dir/plain.txt\"", "SeedreamDestinationNotFolder", ErrorCategory.InvalidArgument },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -Endpoint 'owner/'", "SeedreamInvalidEndpoint", ErrorCategory.InvalidArgument },
            new object[] { "Submit-SeedreamJob -Prompt 'p' -Image $img -WebhookUrl 'not a url'", "SeedreamWebhookUrlInvalid", ErrorCategory.InvalidArgument },
            new object[] { "Receive-SeedreamJob -RequestId 'abc def'", "SeedreamInvalidRequestId", ErrorCategory.InvalidArgument },
            new object[] { "Stop-SeedreamJob -RequestId 'abc' -Endpoint 'bad endpoint' -Confirm:$false", "SeedreamInvalidEndpoint", ErrorCategory.InvalidArgument },
            new object[] { "Send-SeedreamFile -LiteralPath \"$dir/empty.png\"", "SeedreamFileEmpty", ErrorCategory.InvalidData },
            new object[] { "Send-SeedreamFile -LiteralPath \"$dir/nothing-here.png\"", "SeedreamFileNotFound", ErrorCategory.ObjectNotFound },
            new object[] { "Save-SeedreamImage -InputObject 'ftp://example.com/x.png' -Destination $dir", "SeedreamImageUrlSchemeUnsupported", ErrorCategory.InvalidArgument },
            // Refused by PowerShell's own parameter validation ([ValidateRange], [ValidateSet], mandatory values).
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -ThrottleLimit 0", "ParameterArgumentValidationError", ErrorCategory.InvalidData },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -Priority urgent", "ParameterArgumentValidationError", ErrorCategory.InvalidData },
            new object[] { "Invoke-SeedreamEdit -Prompt 'p' -Image $img -TimeoutSec 0", "ParameterArgumentValidationError", ErrorCategory.InvalidData },
            new object[] { "Wait-SeedreamJob -RequestId ''", "ParameterArgumentValidationErrorEmptyStringNotAllowed", ErrorCategory.InvalidData },
        };

        [Theory]
        [MemberData(nameof(Cases))]
        public void Bad_input_gets_a_specific_error_and_sends_nothing(string script, string errorId, ErrorCategory category)
        {
            using var dir = new TempDir();
            using (var big = new FileStream(Path.Combine(dir.Path, "big.png"), FileMode.Create)) big.SetLength(51L * 1024 * 1024);
            System.IO.File.WriteAllBytes(Path.Combine(dir.Path, "empty.png"), Array.Empty<byte>());
            System.IO.File.WriteAllText(Path.Combine(dir.Path, "plain.txt"), "not a folder");
            using var ps = new PsHost(_fx.Emulator);
            var before = EmulatorProbe.TotalRequests(_fx.Stats);

            var r = ps.Run(script, new Dictionary<string, object?> { ["img"] = TestImages.DataUri, ["dir"] = dir.Path });

            // Parameter validation stops the statement (a terminating error); the module's own checks are non-terminating.
            var errors = r.Terminating != null ? new List<ErrorRecord> { r.Terminating.ErrorRecord } : r.Errors;
            Assert.True(r.Terminating == null || errorId.StartsWith("Parameter", StringComparison.Ordinal), r.Terminating?.ToString());
            Assert.Empty(r.Output);
            var matching = errors.Where(e => e.FullyQualifiedErrorId.Split(',')[0] == errorId).ToList();
            Assert.True(matching.Count > 0, $"expected {errorId}; got {string.Join(", ", errors.Select(e => e.FullyQualifiedErrorId))}");
            Assert.All(matching, e => Assert.Equal(category, e.CategoryInfo.Category));
            Assert.Equal(before, EmulatorProbe.TotalRequests(_fx.Stats));
        }

        [Fact]
        public void A_plain_http_webhook_only_warns()
        {
            using var ps = new PsHost(_fx.Emulator);
            var before = EmulatorProbe.TotalRequests(_fx.Stats);
            var r = ps.Run("Submit-SeedreamJob -Prompt 'p' -Image $img -WebhookUrl 'http://hooks.example.com/seedream' -WhatIf", new Dictionary<string, object?> { ["img"] = TestImages.DataUri });
            Assert.Empty(r.Errors);
            Assert.Contains(r.Warnings, w => w.Message.Contains("plain http", StringComparison.Ordinal));
            Assert.Equal(before, EmulatorProbe.TotalRequests(_fx.Stats));
        }
    }
}
