using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>
    /// The name rules behind Save-SeedreamImage, called through the imported module's public
    /// Seedream.Storage types (no emulator needed).
    /// </summary>
    public class SaveNameTests : IClassFixture<SaveNameTests.Host>
    {
        public sealed class Host : IDisposable
        {
            public PsHost Ps { get; } = new PsHost(null, connect: false);
            public void Dispose() => Ps.Dispose();
        }

        private readonly PsHost _ps;
        public SaveNameTests(Host host) => _ps = host.Ps;

        private string Eval(string script, params (string, object?)[] vars)
        {
            var r = _ps.Run(script, vars.ToDictionary(v => v.Item1, v => v.Item2));
            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            return (string)Assert.Single(r.Output).BaseObject;
        }

        [Theory]
        [InlineData("../../x.png", "x.png")]
        [InlineData("..\\..\\x.png", "x.png")]
        [InlineData("C:\\Windows\\x.png", "x.png")]
        [InlineData("/etc/passwd", "passwd")]
        [InlineData("CON", "_CON")]
        [InlineData("con.txt", "_con.txt")]
        [InlineData("LPT1.png", "_LPT1.png")]
        [InlineData("Nul .png", "_Nul .png")]
        [InlineData("a\u0000b\u0007c.png", "abc.png")]
        [InlineData("x.png. . ", "x.png")]
        [InlineData(".hidden", "_hidden")]
        [InlineData("..", "fallback")]
        [InlineData("...", "fallback")]
        [InlineData("dir/", "fallback")]
        [InlineData("", "fallback")]
        [InlineData("a:b|c?d*e<f>g\".png", "a_b_c_d_e_f_g_.png")]
        [InlineData("evil\u202Egnp.exe", "evilgnp.exe")]
        [InlineData("zero\u200Bwidth.png", "zerowidth.png")]
        [InlineData("caf\u00e9 \U0001F600.png", "caf\u00e9 \U0001F600.png")]
        public void Server_names_are_reduced_to_one_safe_file_name(string hostile, string expected)
        {
            Assert.Equal(expected, Eval("[Seedream.Storage.SafeFileName]::Clean($n, 'fallback')", ("n", hostile)));
        }

        [Fact]
        public void Long_names_are_capped_keeping_the_extension()
        {
            var cleaned = Eval("[Seedream.Storage.SafeFileName]::Clean($n, 'f')", ("n", new string('a', 300) + ".png"));
            Assert.Equal(120, cleaned.Length);
            Assert.EndsWith("a.png", cleaned, StringComparison.Ordinal);
        }

        [Theory]
        [InlineData("{RequestId}-{Index}.{ext}", "../../up", 3, "x.png", "png", "up-3.png")]
        [InlineData("{RequestId}-{Index}.{ext}", "..", 0, null, null, "image-0.bin")]
        [InlineData("{FileName}.{ext}", "r", 0, "../../CON.png", "png", "_CON.png")]
        [InlineData("{FileName}.{ext}", "r", 0, "C:\\a\\b.tar.gz", "gz", "b.tar.gz")]
        [InlineData("{requestid}/{INDEX}.{Ext}", "abc", 2, null, "jpg", "abc/2.jpg")]
        [InlineData("{RequestId}.{ext}", "r", 0, null, "p/n\\g", "r.bin")]
        public void Templates_render_sanitised_relative_names(string template, string? requestId, int index, string? fileName, string? ext, string expected)
        {
            var rendered = Eval("[Seedream.Storage.NameTemplate]::Parse($t).Render([Seedream.Image]@{ RequestId = $r; Index = $i }, $f, $e)",
                ("t", template), ("r", requestId), ("i", index), ("f", fileName), ("e", ext));
            Assert.Equal(expected, rendered);
        }

        [Fact]
        public void Combined_paths_never_leave_the_destination()
        {
            using var dir = new TempDir();
            Assert.Equal(Path.Combine(dir.Path, "a", "b.png"), Eval("[Seedream.Storage.SafePath]::Combine($d, 'a/b.png')", ("d", dir.Path)));
            foreach (var escape in new[] { "../x.png", "a/../../x.png", "/etc/x", ".", "a/.." })
            {
                var r = _ps.Run("[Seedream.Storage.SafePath]::Combine($d, $n)", new Dictionary<string, object?> { ["d"] = dir.Path, ["n"] = escape });
                var error = r.Terminating?.ErrorRecord ?? Assert.Single(r.Errors);
                Assert.Equal("Seedream.Storage.UnsafePathException", (error.Exception.InnerException ?? error.Exception).GetType().FullName);
            }
        }
    }
}
