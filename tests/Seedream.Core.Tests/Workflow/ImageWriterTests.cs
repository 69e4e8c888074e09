using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Seedream.Core.Tests.Emulated;
using Seedream.Protocol;
using Seedream.Storage;
using Seedream.Workflow;
using Xunit;

namespace Seedream.Core.Tests.Workflow;

/// <summary>The atomic writer: a file appears complete under its final name, or nothing appears at all.</summary>
public sealed class ImageWriterTests : WorkflowTestBase, IClassFixture<FastEmulatorFixture>
{
    private readonly FastEmulatorFixture _f;
    private static readonly NameTemplate Template = NameTemplate.Parse(NameTemplate.Default);

    public ImageWriterTests(FastEmulatorFixture f) => _f = f;

    /// <summary>A PNG in the emulator's storage, with its URL and size.</summary>
    private async Task<(string Url, byte[] Bytes)> StoredPngAsync(FalClient client)
    {
        var png = EmulatorFixtureBase.Png(20, 12);
        var path = Path.Combine(Dir, "stored.png");
        System.IO.File.WriteAllBytes(path, png);
        var file = await client.UploadFileAsync(path, new UploadOptions { ContentType = "image/png" }, Timeout());
        System.IO.File.Delete(path);
        return (file.Url, png);
    }

    [Fact]
    public async Task A_complete_download_lands_under_its_name_and_stamps_the_image()
    {
        using var client = _f.NewClient();
        var (url, png) = await StoredPngAsync(client);
        var folder = Folder("ok");
        var image = new Image { Url = url, FileSize = png.Length, RequestId = "req-1", Index = 0 };
        var item = new SaveItem(image);
        var writer = new ImageWriter(client, Template);
        Assert.Equal(Path.Combine(folder, "req-1-0.png"), writer.Predict(item, folder, null));
        var path = await writer.SaveAsync(item, folder, null, null, Timeout());
        Assert.Equal(Path.Combine(folder, "req-1-0.png"), path);
        Assert.Equal(png, System.IO.File.ReadAllBytes(path));
        Assert.Equal(path, image.LocalPath);
        Assert.Equal(new[] { path }, Contents(folder));
    }

    [Fact]
    public async Task A_size_mismatch_leaves_nothing_behind()
    {
        using var client = _f.NewClient();
        var (url, png) = await StoredPngAsync(client);
        var folder = Folder("mismatch");
        var item = new SaveItem(new Image { Url = url, FileSize = png.Length + 7, RequestId = "r", Index = 0 });
        var ex = await Assert.ThrowsAsync<FalDownloadException>(() => new ImageWriter(client, Template).SaveAsync(item, folder, null, null, Timeout()));
        Assert.Equal(DownloadFailure.SizeMismatch, ex.Reason);
        Assert.Empty(Contents(folder));
        Assert.Null(item.Image.LocalPath);
    }

    [Fact]
    public async Task A_download_over_the_limit_leaves_nothing_behind()
    {
        using var client = _f.NewClient();
        var (url, png) = await StoredPngAsync(client);
        var folder = Folder("large");
        var item = new SaveItem(new Image { Url = url, RequestId = "r", Index = 0 });
        var ex = await Assert.ThrowsAsync<FalDownloadException>(() => new ImageWriter(client, Template, maxBytes: png.Length - 1).SaveAsync(item, folder, null, null, Timeout()));
        Assert.Equal(DownloadFailure.TooLarge, ex.Reason);
        Assert.Empty(Contents(folder));

        // A data URI is measured before it is decoded.
        var inline = new SaveItem(new Image { Url = EmulatorFixtureBase.DataUri(png), RequestId = "r", Index = 1 });
        var tooBig = await Assert.ThrowsAsync<FalDownloadException>(() => new ImageWriter(client, Template, maxBytes: 100).SaveAsync(inline, folder, null, null, Timeout()));
        Assert.Equal(DownloadFailure.TooLarge, tooBig.Reason);
        Assert.Empty(Contents(folder));
    }

    [Fact]
    public async Task A_download_that_breaks_off_leaves_nothing_behind()
    {
        using var client = _f.NewClient(configure: o => o.MaxRetryCount = 1);
        await using var server = new BrokenServer(promised: 100_000, sent: 3_000, stall: false);
        var folder = Folder("broken");
        var item = new SaveItem(new Image { Url = server.Url, RequestId = "r", Index = 0 });
        var ex = await Assert.ThrowsAsync<FalApiException>(() => new ImageWriter(client, Template).SaveAsync(item, folder, null, null, Timeout()));
        Assert.IsType<DownloadInterruptedException>(ex.InnerException);
        Assert.Equal(2, server.Requests); // retried once, then given up
        Assert.Empty(Contents(folder));
    }

    [Fact]
    public async Task A_download_stopped_halfway_leaves_nothing_behind()
    {
        using var client = _f.NewClient();
        await using var server = new BrokenServer(promised: 100_000, sent: 3_000, stall: true);
        var folder = Folder("stopped");
        var item = new SaveItem(new Image { Url = server.Url, RequestId = "r", Index = 0 });
        using var stop = new CancellationTokenSource();
        var save = new ImageWriter(client, Template).SaveAsync(item, folder, null, (done, _) => { if (done > 0) stop.Cancel(); }, stop.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => save);
        Assert.Empty(Contents(folder));
    }

    [Fact]
    public async Task An_existing_file_is_kept_unless_overwriting_and_then_replaced_whole()
    {
        using var client = _f.NewClient();
        var png = EmulatorFixtureBase.Png(8, 8);
        var folder = Folder("exists");
        var target = Path.Combine(folder, "r-0.png");
        System.IO.File.WriteAllText(target, "keep me");
        var item = new SaveItem(new Image { Url = EmulatorFixtureBase.DataUri(png), RequestId = "r", Index = 0 });

        var ex = await Assert.ThrowsAsync<ImageSaveException>(() => new ImageWriter(client, Template).SaveAsync(item, folder, null, null, Timeout()));
        Assert.Equal(SaveFailure.Exists, ex.Reason);
        Assert.Equal("keep me", System.IO.File.ReadAllText(target));
        Assert.Equal(new[] { target }, Contents(folder));

        // Free names instead of a refusal (as -OutFolder saves).
        var unique = await new ImageWriter(client, Template, unique: new UniqueNames()).SaveAsync(item, folder, null, null, Timeout());
        Assert.Equal(Path.Combine(folder, "r-0-2.png"), unique);

        await new ImageWriter(client, Template, force: true).SaveAsync(item, folder, null, null, Timeout());
        Assert.Equal(png, System.IO.File.ReadAllBytes(target));
        Assert.Equal(2, Contents(folder).Length);
    }

    [Fact]
    public async Task A_data_uri_that_does_not_decode_or_disagrees_with_its_size_leaves_nothing_behind()
    {
        using var client = _f.NewClient();
        var folder = Folder("datauri");
        var writer = new ImageWriter(client, Template);
        var bad = await Assert.ThrowsAsync<ImageSaveException>(() => writer.SaveAsync(new SaveItem(new Image { Url = "data:image/png;base64,@@@@", RequestId = "r" }), folder, null, null, Timeout()));
        Assert.Equal(SaveFailure.DataUriInvalid, bad.Reason);
        var png = EmulatorFixtureBase.Png(8, 8);
        var mismatch = await Assert.ThrowsAsync<FalDownloadException>(() => writer.SaveAsync(new SaveItem(new Image { Url = EmulatorFixtureBase.DataUri(png), FileSize = png.Length + 1, RequestId = "r" }), folder, null, null, Timeout()));
        Assert.Equal(DownloadFailure.SizeMismatch, mismatch.Reason);
        Assert.Empty(Contents(folder));
    }

    [Fact]
    public async Task A_destination_that_cannot_be_created_is_its_own_refusal()
    {
        using var client = _f.NewClient();
        var blocker = Path.Combine(Dir, "blocker");
        System.IO.File.WriteAllText(blocker, "a file where a folder should be");
        var item = new SaveItem(new Image { Url = EmulatorFixtureBase.DataUri(EmulatorFixtureBase.Png(8, 8)), RequestId = "r" });
        var ex = await Assert.ThrowsAsync<ImageSaveException>(() => new ImageWriter(client, Template).SaveAsync(item, Path.Combine(blocker, "sub"), null, null, Timeout()));
        Assert.Equal(SaveFailure.DestinationUnwritable, ex.Reason);
    }

    [Fact]
    public async Task Saving_a_result_saves_what_it_can_and_returns_each_failure_with_its_image()
    {
        using var client = _f.NewClient();
        var (url, png) = await StoredPngAsync(client);
        var folder = Folder("result");
        var good = new Image { Url = url, FileSize = png.Length, RequestId = "q", Index = 0 };
        var bad = new Image { Url = url, FileSize = png.Length + 1, RequestId = "q", Index = 1 };
        var result = new EditResult { RequestId = "q", Images = new[] { good, bad }, InputImages = new[] { "/in/cat.png" } };
        var errors = await new ImageWriter(client, NameTemplate.Parse("{InputName}-{Index}.{ext}")).SaveResultAsync(result, folder, null, Timeout());
        var error = Assert.Single(errors);
        Assert.Same(bad, error.Item.Image);
        Assert.Same(result, error.Item.Target);
        Assert.Equal(DownloadFailure.SizeMismatch, Assert.IsType<FalDownloadException>(error.Error).Reason);
        Assert.Equal(Path.Combine(folder, "cat-0.png"), good.LocalPath);
        Assert.Null(bad.LocalPath);
        Assert.Equal(new[] { good.LocalPath }, Contents(folder));
    }

    /// <summary>
    /// An HTTP server that promises a body and sends only part of it, then either closes the
    /// connection or stalls (so only a stop ends the download).
    /// </summary>
    private sealed class BrokenServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _end = new();
        private readonly Task _loop;
        private int _requests;

        public BrokenServer(int promised, int sent, bool stall)
        {
            _listener.Start();
            _loop = Task.Run(() => ServeAsync(promised, sent, stall));
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/files/broken.png";
        public int Requests => Volatile.Read(ref _requests);

        private async Task ServeAsync(int promised, int sent, bool stall)
        {
            while (!_end.IsCancellationRequested)
            {
                TcpClient tcp;
                try { tcp = await _listener.AcceptTcpClientAsync(_end.Token); }
                catch (Exception) { return; }
                _ = Task.Run(async () =>
                {
                    using (tcp)
                    {
                        var stream = tcp.GetStream();
                        var buffer = new byte[4096];
                        var head = new StringBuilder();
                        while (!head.ToString().Contains("\r\n\r\n"))
                        {
                            var n = await stream.ReadAsync(buffer);
                            if (n == 0) return;
                            head.Append(Encoding.ASCII.GetString(buffer, 0, n));
                        }
                        Interlocked.Increment(ref _requests);
                        var header = $"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {promised}\r\nConnection: close\r\n\r\n";
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(header));
                        await stream.WriteAsync(new byte[sent]);
                        await stream.FlushAsync();
                        if (stall)
                        {
                            try { await Task.Delay(System.Threading.Timeout.Infinite, _end.Token); } catch (OperationCanceledException) { }
                        }
                    }
                });
            }
        }

        public async ValueTask DisposeAsync()
        {
            _end.Cancel();
            _listener.Stop();
            try { await _loop; } catch (Exception) { }
        }
    }
}
