using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Management.Automation;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>
    /// One catalog of ErrorIds (Errors): every call site names a kind from it, every code Core hands
    /// the module maps to one, and the README's table is the catalog's own rendering.
    /// </summary>
    public class ErrorCatalogTests
    {
        // The module is loaded into the hosted engine, as a user's session has it.
        private static PSObject[] Run(string script)
        {
            using var ps = new PsHost(null, connect: false);
            var result = ps.Run(script);
            Assert.True(result.Errors.Count == 0 && result.Terminating == null, result.AllText());
            return result.Output.ToArray();
        }

        private static string Source(string relative) => Path.Combine(Paths.RepoRoot, relative);

        private static string[] SourceFiles(string folder) =>
            Directory.GetFiles(Source(folder), "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar) && !f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar))
                .ToArray();

        [Fact]
        public void Each_kind_has_a_unique_Seedream_id_and_a_meaning()
        {
            var all = Run("[Seedream.Commands.Errors]::All");
            Assert.True(all.Length > 60, "the catalog looks empty");
            var ids = all.Select(k => k.P<string>("Id")).ToList();
            Assert.Equal(ids.Count, ids.Distinct(StringComparer.OrdinalIgnoreCase).Count());
            Assert.All(all, k =>
            {
                Assert.Matches("^Seedream[A-Z][A-Za-z]+$", k.P<string>("Id"));
                Assert.False(string.IsNullOrWhiteSpace(k.P<string>("Meaning")), k.P<string>("Id") + " has no meaning");
                Assert.DoesNotContain("|", k.P<string>("Meaning")); // it would break the README table
            });
        }

        [Fact]
        public void The_README_error_table_is_the_catalog()
        {
            var readme = File.ReadAllText(Source("README.md")).Replace("\r\n", "\n");
            var match = Regex.Match(readme, "<!-- error-table:begin -->\n(.*?)<!-- error-table:end -->", RegexOptions.Singleline);
            Assert.True(match.Success, "README.md has no <!-- error-table:begin --> ... <!-- error-table:end --> section");
            var expected = (string)Run("[Seedream.Commands.Errors]::MarkdownTable()").Single().BaseObject;
            if (match.Groups[1].Value != expected)
            {
                var path = Path.Combine(Path.GetTempPath(), "seedream-error-table.md");
                File.WriteAllText(path, expected);
                Assert.Fail($"README.md's error table differs from the catalog (src/Seedream/Internal/ErrorCatalog.cs). The catalog's table is in {path}: paste it between the markers.");
            }
        }

        [Fact]
        public void No_cmdlet_code_spells_an_ErrorId_itself()
        {
            // A literal "SeedreamSomething" is allowed only as a cmdlet noun in [Cmdlet(...)].
            var offenders = SourceFiles(Path.Combine("src", "Seedream"))
                .Where(f => Path.GetFileName(f) != "ErrorCatalog.cs")
                .SelectMany(f => File.ReadAllLines(f).Select((line, i) => (File: Path.GetFileName(f), Line: i + 1, Text: line)))
                .Where(l => Regex.IsMatch(l.Text, "\"Seedream[A-Z][A-Za-z]*\"|\"Seedream\"\\s*\\+") && !l.Text.Contains("[Cmdlet("))
                .Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}")
                .ToList();
            Assert.True(offenders.Count == 0, "ErrorIds spelled outside the catalog:\n" + string.Join("\n", offenders));
        }

        [Fact]
        public void Every_code_Core_hands_the_module_has_a_kind()
        {
            // EditProblem codes, image URL checks and journal failures become ErrorIds by code.
            var codes = SourceFiles(Path.Combine("src", "Seedream.Core"))
                .SelectMany(f => Regex.Matches(File.ReadAllText(f),
                        "new EditProblem\\(\"([A-Za-z]+)\"|return \\(\"([A-Za-z]+)\",|new JournalException\\(\"([A-Za-z]+)\"")
                    .Cast<Match>())
                .Select(m => m.Groups.Cast<Group>().Skip(1).First(g => g.Success).Value)
                .Distinct()
                .ToList();
            Assert.Contains("PromptEmpty", codes);
            Assert.Contains("DataUriInvalid", codes);
            Assert.Contains(codes, c => c.StartsWith("Journal", StringComparison.Ordinal));
            var mapped = Run("$args = " + string.Join(",", codes.Select(c => "'" + c + "'")) + "; foreach ($c in $args) { [Seedream.Commands.Errors]::ForCode($c).Id }")
                .Select(o => (string)o.BaseObject).ToList();
            Assert.Equal(codes.Select(c => "Seedream" + c), mapped);
        }

        [Fact]
        public void A_kind_with_a_fixed_category_refuses_another()
        {
            var r = Run(@"
                $ex = [InvalidOperationException]::new('x')
                [Seedream.Commands.Errors]::DownloadFailed.Record($ex, $null, 'ConnectionError').CategoryInfo.Category.ToString()
                try { [Seedream.Commands.Errors]::PromptEmpty.Record($ex, $null, 'ConnectionError'); 'no refusal' } catch { 'refused' }
                try { [Seedream.Commands.Errors]::ForCode('NoSuchCode'); 'no refusal' } catch { 'refused' }").Select(o => o.ToString()).ToList();
            Assert.Equal(new[] { "ConnectionError", "refused", "refused" }, r);
        }
    }
}
