using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>
    /// output/Seedream.&lt;version&gt;.nupkg, built by tools/Seedream.Package during
    /// `dotnet build Seedream.Module.sln`: a module package as Publish-PSResource lays it out.
    /// </summary>
    public class PackageTests
    {
        private static (string Version, string[] Cmdlets) Manifest()
        {
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run("$m = Test-ModuleManifest $path; $m.Version.ToString(); $m.ExportedCmdlets.Keys", new Dictionary<string, object?> { ["path"] = Paths.ModuleManifest });
            Assert.Empty(r.Errors);
            var version = (string)r.Output[0].BaseObject;
            // NuGet's normal form: at least three parts.
            var parsed = Version.Parse(version);
            var normal = parsed.Revision > 0 ? parsed.ToString(4) : new Version(parsed.Major, parsed.Minor, Math.Max(parsed.Build, 0)).ToString(3);
            return (normal, r.Output.Skip(1).Select(o => (string)o.BaseObject).ToArray());
        }

        private static string PackagePath(string version)
        {
            var path = Path.Combine(Paths.RepoRoot, "output", $"Seedream.{version}.nupkg");
            Assert.True(File.Exists(path), $"{path} is missing: `dotnet build Seedream.Module.sln` builds it (tools/Seedream.Package).");
            return path;
        }

        [Fact]
        public void The_package_holds_the_module_at_its_root_with_help_and_dependencies()
        {
            var (version, _) = Manifest();
            using var zip = ZipFile.OpenRead(PackagePath(version));
            var entries = zip.Entries.Select(e => e.FullName.Replace('\\', '/')).ToHashSet(StringComparer.Ordinal);
            foreach (var expected in new[]
            {
                "Seedream.nuspec", "Seedream.psd1", "Seedream.dll", "Seedream.Core.dll", "Seedream.Format.ps1xml",
                "en-US/Seedream.dll-Help.xml", "en-US/about_Seedream.help.txt", "dependencies/System.Text.Json.dll", "dependencies/Seedream.Crypto.dll", "dependencies/Seedream.Isolation.dll", "dependencies/BouncyCastle.Cryptography.dll", "LICENSE",
            })
                Assert.True(entries.Contains(expected), $"the package has no {expected}; it has: {string.Join(", ", entries)}");
            // The module is at the root, not under lib/ or content/ as a library package would have it.
            Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) || e.StartsWith("content/", StringComparison.Ordinal));
            // Every file of the assembled module is in it (nothing the build produced was left out).
            var moduleDir = Path.GetDirectoryName(Paths.ModuleManifest)!;
            var missing = Directory.GetFiles(moduleDir, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(moduleDir, f).Replace('\\', '/'))
                .Where(f => !entries.Contains(f)).ToList();
            Assert.True(missing.Count == 0, "not packaged: " + string.Join(", ", missing));
        }

        [Fact]
        public void The_nuspec_carries_the_manifest_metadata_and_the_gallery_tags()
        {
            var (version, cmdlets) = Manifest();
            using var zip = ZipFile.OpenRead(PackagePath(version));
            using var stream = zip.GetEntry("Seedream.nuspec")!.Open();
            var nuspec = XDocument.Load(stream);
            var ns = nuspec.Root!.Name.Namespace;
            var metadata = nuspec.Root.Element(ns + "metadata")!;
            string Field(string name) => metadata.Element(ns + name)?.Value ?? string.Empty;

            Assert.Equal("Seedream", Field("id"));
            Assert.Equal(version, Field("version"));
            Assert.False(string.IsNullOrWhiteSpace(Field("authors")));
            // The manifest's description, word for word (it is the gallery's summary of the module).
            var manifestText = File.ReadAllText(Paths.ModuleManifest);
            var description = System.Text.RegularExpressions.Regex.Match(manifestText, @"Description\s*=\s*'((?:[^']|'')*)'").Groups[1].Value.Replace("''", "'");
            Assert.False(string.IsNullOrWhiteSpace(description));
            Assert.Equal(description, Field("description"));
            Assert.StartsWith("https://", Field("projectUrl"));
            Assert.False(string.IsNullOrWhiteSpace(Field("releaseNotes")));
            Assert.Equal("MIT", Field("license"));
            var tags = Field("tags").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains("PSModule", tags);
            Assert.Contains("PSIncludes_Cmdlet", tags);
            Assert.Contains("PSEdition_Core", tags);
            Assert.Contains("PSEdition_Desktop", tags);
            Assert.NotEmpty(cmdlets);
            foreach (var cmdlet in cmdlets)
            {
                Assert.Contains("PSCmdlet_" + cmdlet, tags);
                Assert.Contains("PSCommand_" + cmdlet, tags);
            }
        }

        [Fact]
        public void The_packaged_manifest_passes_Test_ModuleManifest()
        {
            var (version, cmdlets) = Manifest();
            using var dir = new TempDir();
            // Installed modules live in a folder named after the module.
            var target = Path.Combine(dir.Path, "Seedream");
            ZipFile.ExtractToDirectory(PackagePath(version), target);
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run("$m = Test-ModuleManifest $path -ErrorAction Continue; $m.Version.ToString(); $m.ExportedCmdlets.Count; $m.PrivateData.PSData.LicenseUri",
                new Dictionary<string, object?> { ["path"] = Path.Combine(target, "Seedream.psd1") });
            Assert.True(r.Errors.Count == 0, string.Join("\n", r.Errors));
            Assert.Equal(version, Version.Parse((string)r.Output[0].BaseObject).ToString(3));
            Assert.Equal(cmdlets.Length, Convert.ToInt32(r.Output[1].BaseObject));
            Assert.NotNull(r.Output[2]);
        }
    }
}
