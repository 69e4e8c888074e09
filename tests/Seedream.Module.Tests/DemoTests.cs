using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>
    /// The README's main job, as it runs on a machine with only the .NET SDK: the demo script in the
    /// repository's script host (the core engine alone) against its own emulator. It must exit 0 and
    /// write real PNGs; a view or command the core engine lacks would fail it here first.
    /// </summary>
    public class DemoTests
    {
        [Fact]
        public void The_demo_runs_in_the_script_host_exits_0_and_writes_PNGs()
        {
            var configuration = AppContext.BaseDirectory.Contains(Path.DirectorySeparatorChar + "Release" + Path.DirectorySeparatorChar) ? "Release" : "Debug";
            var scriptHost = Path.Combine(Paths.RepoRoot, "src", "Seedream.ScriptHost", "bin", configuration, "net10.0", "Seedream.ScriptHost.dll");
            Assert.True(System.IO.File.Exists(scriptHost), scriptHost + " is not built");
            using var dir = new TempDir();
            var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { scriptHost, "--emulator", Path.Combine(Paths.RepoRoot, "examples", "demo.ps1"), "-OutFolder", dir.Path }) psi.ArgumentList.Add(a);
            psi.Environment.Remove("FAL_KEY");
            psi.Environment.Remove("SEEDREAM_PROXY_URL");
            using var child = Process.Start(psi)!;
            var stdout = child.StandardOutput.ReadToEndAsync();
            var stderr = child.StandardError.ReadToEndAsync();
            Assert.True(child.WaitForExit(180_000), "the demo did not finish in 3 minutes");
            var output = stdout.Result + stderr.Result;
            Assert.True(child.ExitCode == 0, $"exit code {child.ExitCode}:\n{output}");
            var pngs = Directory.GetFiles(dir.Path, "*.png");
            Assert.True(pngs.Length >= 5, $"{pngs.Length} PNG files:\n{output}");
            // Real images, not placeholders: each starts with the PNG signature.
            Assert.All(pngs, p => Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, System.IO.File.ReadAllBytes(p).Take(4).ToArray()));
            // The saved-image view shows file names (its scripts ran in the core engine).
            Assert.Contains(Path.GetFileName(pngs.First(p => !Path.GetFileName(p).StartsWith("night", StringComparison.Ordinal))), output);
        }
    }
}
