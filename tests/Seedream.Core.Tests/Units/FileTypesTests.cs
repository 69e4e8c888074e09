using System.IO;
using System.Text;
using Seedream.Storage;

namespace Seedream.Core.Tests.Units;

public class FileTypesTests
{
    private static byte[] Header(params byte[] start)
    {
        var b = new byte[FileTypes.HeaderLength];
        Array.Copy(start, b, Math.Min(start.Length, b.Length));
        return b;
    }

    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    private static byte[] Ftyp(string brand) => Header(new byte[] { 0, 0, 0, 0x1C }.Concat(Ascii("ftyp" + brand)).ToArray());

    [Fact]
    public void Recognises_image_signatures()
    {
        Assert.Equal("image/png", FileTypes.Sniff(Header(0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D), 32));
        Assert.Equal("image/jpeg", FileTypes.Sniff(Header(0xFF, 0xD8, 0xFF, 0xE0), 32));
        Assert.Equal("image/jpeg", FileTypes.Sniff(Header(0xFF, 0xD8, 0xFF, 0xE1), 32));
        Assert.Equal("image/gif", FileTypes.Sniff(Header(Ascii("GIF89a")), 32));
        Assert.Equal("image/gif", FileTypes.Sniff(Header(Ascii("GIF87a")), 32));
        Assert.Equal("image/webp", FileTypes.Sniff(Header(Ascii("RIFF\x24\0\0\0WEBPVP8 ")), 32));
        Assert.Equal("image/bmp", FileTypes.Sniff(Header(Ascii("BM")), 32));
        Assert.Equal("image/tiff", FileTypes.Sniff(Header(0x49, 0x49, 0x2A, 0x00), 32));
        Assert.Equal("image/tiff", FileTypes.Sniff(Header(0x4D, 0x4D, 0x00, 0x2A), 32));
        Assert.Equal("image/heic", FileTypes.Sniff(Ftyp("heic"), 32));
        Assert.Equal("image/heic", FileTypes.Sniff(Ftyp("heix"), 32));
        Assert.Equal("image/heif", FileTypes.Sniff(Ftyp("mif1"), 32));
        Assert.Equal("image/avif", FileTypes.Sniff(Ftyp("avif"), 32));
        Assert.Equal("image/avif", FileTypes.Sniff(Ftyp("avis"), 32));
    }

    [Fact]
    public void Non_images_are_not_recognised()
    {
        Assert.Null(FileTypes.Sniff(Header(Ascii("%PDF-1.7")), 32));
        Assert.Null(FileTypes.Sniff(Header(0x50, 0x4B, 0x03, 0x04), 32));     // zip
        Assert.Null(FileTypes.Sniff(Header(Ascii("RIFF\x24\0\0\0WAVEfmt ")), 32)); // wav, not webp
        Assert.Null(FileTypes.Sniff(Ftyp("mp42"), 32));                         // mp4 video
        Assert.Null(FileTypes.Sniff(Ftyp("qt  "), 32));
        Assert.Null(FileTypes.Sniff(Header(Ascii("<svg xmlns")), 32));
        Assert.Null(FileTypes.Sniff(Header(Ascii("hello world")), 32));
        Assert.Null(FileTypes.Sniff(Header(), 32));
        Assert.Null(FileTypes.Sniff(Array.Empty<byte>(), 0));
        Assert.Null(FileTypes.Sniff(Header(0x49, 0x49, 0x2B, 0x00), 32));      // BigTIFF-like, not classic TIFF
    }

    [Fact]
    public void Only_the_first_count_bytes_are_trusted()
    {
        // A buffer can hold stale bytes beyond what was read: a 4-byte file is no PNG.
        var png = Header(0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A);
        Assert.Equal("image/png", FileTypes.Sniff(png, 8));
        Assert.Null(FileTypes.Sniff(png, 7));
        Assert.Null(FileTypes.Sniff(Header(Ascii("BM")), 2));          // too short to be a BMP
        Assert.Null(FileTypes.Sniff(Header(Ascii("RIFF\0\0\0\0WEBP")), 11));
        Assert.Null(FileTypes.Sniff(Ftyp("avif"), 11));
    }

    [Fact]
    public void Detect_prefers_content_over_extension()
    {
        var dir = Directory.CreateTempSubdirectory("seedream-filetypes-");
        try
        {
            var misnamed = Path.Combine(dir.FullName, "photo.jpg");
            System.IO.File.WriteAllBytes(misnamed, Header(0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A));
            Assert.Equal("image/png", FileTypes.Detect(misnamed));

            var text = Path.Combine(dir.FullName, "notes.txt");
            System.IO.File.WriteAllText(text, "hi");
            Assert.Equal("text/plain", FileTypes.Detect(text));

            var unknown = Path.Combine(dir.FullName, "blob.xyz");
            System.IO.File.WriteAllBytes(unknown, new byte[] { 1, 2, 3 });
            Assert.Equal("application/octet-stream", FileTypes.Detect(unknown));
        }
        finally { dir.Delete(true); }
    }

    [Theory]
    [InlineData("image/png", ".png")]
    [InlineData("image/jpeg; charset=binary", ".jpg")]
    [InlineData("IMAGE/WEBP", ".webp")]
    [InlineData("application/x-unknown", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Extension_for_content_type(string? type, string? ext)
    {
        Assert.Equal(ext, FileTypes.ExtensionFor(type));
    }
}
