using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>Runs alone, after the parallel tests, so memory readings are not disturbed by them.</summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class SerialUploadCollection
    {
        public const string Name = "Seedream large uploads (serial)";
    }

    /// <summary>A 95 MB file of random bytes (over the 90 MB multipart threshold: 10 parts of 10 MB).</summary>
    public sealed class LargeFileFixture : IDisposable
    {
        public const int Size = 95 * 1024 * 1024;
        private readonly TempDir _dir = new TempDir();

        public LargeFileFixture()
        {
            Path = System.IO.Path.Combine(_dir.Path, "large.bin");
            var random = new Random(20240711);
            var buffer = new byte[1024 * 1024];
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using (var fs = new FileStream(Path, FileMode.CreateNew, FileAccess.Write))
            {
                for (var written = 0; written < Size; written += buffer.Length)
                {
                    random.NextBytes(buffer);
                    fs.Write(buffer, 0, buffer.Length);
                    sha.AppendData(buffer);
                }
            }
            Sha256 = Convert.ToHexString(sha.GetHashAndReset());
        }

        public string Path { get; }
        public string Sha256 { get; }
        public void Dispose() => _dir.Dispose();
    }

    [Collection(SerialUploadCollection.Name)]
    public class UploadLargeFileTests : IClassFixture<EmulatorFixture>, IClassFixture<LargeFileFixture>
    {
        private readonly EmulatorFixture _fx;
        private readonly LargeFileFixture _file;

        public UploadLargeFileTests(EmulatorFixture fx, LargeFileFixture file)
        {
            _fx = fx;
            _file = file;
        }

        [Fact]
        public async Task A_95_MB_file_goes_up_in_ten_parts_streamed_from_disk_and_arrives_byte_identical()
        {
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;

            // Sample the managed heap while the upload runs: a client that buffered the file (or a
            // part list of byte arrays) would show tens of MB of growth.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var baseline = GC.GetTotalMemory(forceFullCollection: true);
            long peak = baseline;
            using var stop = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    peak = Math.Max(peak, GC.GetTotalMemory(false));
                    await Task.Delay(5);
                }
            });
            var clock = Stopwatch.StartNew();
            var r = ps.Run("Send-SeedreamFile -LiteralPath $p", new Dictionary<string, object?> { ["p"] = _file.Path });
            clock.Stop();
            stop.Cancel();
            await sampler;

            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            var uploaded = r.Single("Seedream.File");
            Assert.Equal((long)LargeFileFixture.Size, uploaded.P<long>("FileSize"));
            Assert.Equal("application/octet-stream", uploaded.P("ContentType"));
            var after = _fx.Stats;
            Assert.Equal(before.MultipartUploads + 1, after.MultipartUploads);
            Assert.Equal(before.UploadParts + 10, after.UploadParts);
            Assert.Equal(before.Uploads, after.Uploads);
            Assert.Equal(0, after.DirectRequestsWithAuthorization);
            Assert.Equal(_file.Sha256, EmulatorProbe.Sha256OfUrl((string)uploaded.P("Url")!));
            var growthMb = (peak - baseline) / 1024.0 / 1024.0;
            Assert.True(growthMb < 64, $"The managed heap grew by {growthMb:0.0} MB during a {LargeFileFixture.Size / 1024 / 1024} MB upload ({clock.ElapsedMilliseconds} ms).");
            // Progress reports bytes and rate for the file.
            Assert.Contains(r.Progress, p => p.StatusDescription.StartsWith("large.bin:", StringComparison.Ordinal) && p.StatusDescription.Contains("MB/s", StringComparison.Ordinal) && p.PercentComplete > 0);
        }

        [Fact]
        public async Task Stopping_the_pipeline_cancels_an_upload_in_flight()
        {
            using var ps = new PsHost(_fx.Emulator);
            var before = _fx.Stats;
            var clock = Stopwatch.StartNew();

            var r = await ps.RunAndStopAsync("Send-SeedreamFile -LiteralPath $p -Verbose",
                () => _fx.Stats.UploadParts >= before.UploadParts + 2,
                new Dictionary<string, object?> { ["p"] = _file.Path });

            Assert.Empty(r.Output);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"Stopping took {clock.Elapsed}.");
            var partsAtStop = _fx.Stats.UploadParts;
            await Task.Delay(500);
            var after = _fx.Stats;
            Assert.True(partsAtStop == after.UploadParts, $"parts before {before.UploadParts}, at stop {partsAtStop}, later {after.UploadParts}; terminating: {r.Terminating?.GetType().Name} {r.Terminating?.Message}; errors: {string.Join(" | ", r.Errors)}; verbose: {string.Join(" | ", r.Verbose.Select(v => v.Message))}");
            Assert.True(after.UploadParts < before.UploadParts + 10, "All parts went up although the pipeline was stopped.");
            Assert.Equal(before.MultipartUploads, after.MultipartUploads);
        }
    }
}
