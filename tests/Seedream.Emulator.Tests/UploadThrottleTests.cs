using System;
using System.Diagnostics;
using System.Threading.Tasks;
using Xunit;

namespace Seedream.Emulator.Tests;

/// <summary>--upload-bytes-per-sec: storage PUTs read no faster than the rate, so tests can stop uploads mid-way.</summary>
public class UploadThrottleTests
{
    [Fact]
    public void Option_parses_and_is_range_checked()
    {
        Assert.Equal(0, EmulatorOptions.Parse([]).UploadBytesPerSecond);
        Assert.Equal(250_000, EmulatorOptions.Parse(["--upload-bytes-per-sec", "250000"]).UploadBytesPerSecond);
        Assert.Throws<ArgumentException>(() => EmulatorOptions.Parse(["--upload-bytes-per-sec", "-1"]));
        Assert.Throws<ArgumentException>(() => new EmulatorOptions { UploadBytesPerSecond = -5 }.Validate());
        Assert.Contains("--upload-bytes-per-sec", EmulatorOptions.Usage);
    }

    [Fact]
    public async Task A_throttled_upload_takes_as_long_as_the_rate_says_and_arrives_whole()
    {
        await using var h = await Harness.StartAsync(new EmulatorOptions { ProcessingMs = 50, UploadBytesPerSecond = 100_000 });
        var content = new byte[150_000];
        new Random(3).NextBytes(content);
        var clock = Stopwatch.StartNew();
        var url = await StorageTests.UploadAsync(h, content, "application/octet-stream", "slow.bin");
        clock.Stop();

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.3), $"150 KB at 100 KB/s took only {clock.Elapsed}.");
        Assert.Equal(content, await h.Http.GetByteArrayAsync(url));
        Assert.Equal(1, h.Emulator.GetStats().Uploads);
    }
}
