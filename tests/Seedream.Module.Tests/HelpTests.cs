using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text.RegularExpressions;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>
    /// Get-Help, as users call it, on the built module: the MAML and about topic that the build
    /// generates from docs/en-US. Failures are collected per cmdlet so one run names every gap.
    /// </summary>
    public class HelpTests
    {
        /// <summary>Exported cmdlets, with the parameters users see (no common ones, no DontShow plumbing).</summary>
        private const string ExportedCmdletsScript = @"
            $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
            (Get-Module Seedream).ExportedCmdlets.Values | ForEach-Object {
                $cmd = $_
                $visible = $cmd.Parameters.Values | Where-Object {
                    $p = $_
                    $common -notcontains $p.Name -and -not ($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.DontShow })
                } | ForEach-Object Name
                [pscustomobject]@{ Name = $cmd.Name; Parameters = @($visible) }
            }";

        private static List<(string Name, string[] Parameters)> ExportedCmdlets(PsHost ps)
        {
            var r = ps.Run(ExportedCmdletsScript);
            Assert.Empty(r.Errors);
            return r.Output.Select(o => ((string)o.P("Name")!, o.Items("Parameters").Select(x => x!.ToString()!).ToArray())).ToList();
        }

        [Fact]
        public void Every_exported_cmdlet_has_a_synopsis_a_description_parameter_descriptions_and_two_examples()
        {
            using var ps = new PsHost(null, connect: false);
            var cmdlets = ExportedCmdlets(ps);
            Assert.True(cmdlets.Count >= 9, "the module exports its cmdlets");
            var problems = new List<string>();
            foreach (var (name, parameters) in cmdlets)
            {
                var r = ps.Run(@"
                    $h = Get-Help $name -Full
                    $described = @{}
                    foreach ($p in @($h.parameters.parameter | Where-Object { $_.name })) { $described[[string]$p.name] = (@($p.description) | ForEach-Object { $_.Text }) -join ' ' }
                    [pscustomobject]@{
                        Synopsis = [string]$h.Synopsis
                        Description = (@($h.description) | ForEach-Object { $_.Text }) -join ' '
                        Examples = @($h.examples.example).Count
                        Parameters = $described
                    }", new Dictionary<string, object?> { ["name"] = name });
                Assert.Empty(r.Errors);
                var help = Assert.Single(r.Output);
                var synopsis = (string)help.P("Synopsis")!;
                // Without MAML, Get-Help makes the synopsis from the syntax: that is not help.
                if (string.IsNullOrWhiteSpace(synopsis) || synopsis.StartsWith(name + " [", StringComparison.Ordinal) || synopsis.Trim() == name)
                    problems.Add($"{name}: no synopsis");
                if (string.IsNullOrWhiteSpace((string?)help.P("Description")))
                    problems.Add($"{name}: no description");
                var examples = Convert.ToInt32(help.P("Examples"));
                if (examples < 2) problems.Add($"{name}: {examples} example(s), at least 2 expected");
                var described = (System.Collections.Hashtable)help.P("Parameters")!;
                foreach (var parameter in parameters)
                {
                    var text = described.ContainsKey(parameter) ? described[parameter] as string : null;
                    if (string.IsNullOrWhiteSpace(text)) problems.Add($"{name}: -{parameter} has no description");
                }
            }
            Assert.True(problems.Count == 0, "Help gaps (edit docs/en-US/<cmdlet>.md and rebuild):\n" + string.Join("\n", problems));
        }

        [Fact]
        public void Every_example_in_the_help_parses_without_errors()
        {
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run(@"
                foreach ($cmd in (Get-Module Seedream).ExportedCmdlets.Keys) {
                    $i = 0
                    foreach ($example in @((Get-Help $cmd -Full).examples.example)) {
                        $i++
                        $tokens = $null; $errors = $null
                        [void][System.Management.Automation.Language.Parser]::ParseInput([string]$example.code, [ref]$tokens, [ref]$errors)
                        [pscustomobject]@{ Command = $cmd; Index = $i; Code = [string]$example.code; Errors = @($errors | ForEach-Object { $_.Message }) }
                    }
                }");
            Assert.Empty(r.Errors);
            Assert.NotEmpty(r.Output);
            var broken = r.Output.Where(o => o.Items("Errors").Length > 0 || string.IsNullOrWhiteSpace((string?)o.P("Code")))
                .Select(o => $"{o.P("Command")} example {o.P("Index")}: {string.Join("; ", o.Items("Errors"))}").ToList();
            Assert.True(broken.Count == 0, string.Join("\n", broken));
        }

        [Fact]
        public void Help_metadata_matches_the_cmdlets_real_parameters()
        {
            // The MAML is generated from Get-Command; this guards against a stale help file.
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run(@"
                foreach ($cmd in (Get-Module Seedream).ExportedCmdlets.Values) {
                    $help = Get-Help $cmd.Name -Full
                    foreach ($p in @($help.parameters.parameter | Where-Object { $_.name })) {
                        $real = $cmd.Parameters[$p.name]
                        if (-not $real) { ""$($cmd.Name): help documents -$($p.name), which does not exist""; continue }
                        $mandatory = @($real.ParameterSets.Values | Where-Object IsMandatory).Count -gt 0
                        if (($p.required -eq 'true') -ne $mandatory -and $real.ParameterSets.Count -eq 1) { ""$($cmd.Name): -$($p.name) required=$($p.required) but IsMandatory=$mandatory"" }
                    }
                    if (@($help.syntax.syntaxItem).Count -ne $cmd.ParameterSets.Count) { ""$($cmd.Name): $(@($help.syntax.syntaxItem).Count) syntax items for $($cmd.ParameterSets.Count) parameter sets"" }
                }");
            Assert.Empty(r.Errors);
            Assert.True(r.Output.Count == 0, string.Join("\n", r.Output));
        }

        [Theory]
        [InlineData(null)]
        [InlineData("en-US")]
        [InlineData("de-DE")]
        public void Help_is_found_whatever_the_UI_culture(string? culture)
        {
            // The test host reports the invariant culture; users run en-US or their own. The help
            // ships in en-US only, and PowerShell falls back to it.
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run(@"
                if ($culture) { [System.Threading.Thread]::CurrentThread.CurrentUICulture = [cultureinfo]$culture }
                [string](Get-Help Invoke-SeedreamEdit).Synopsis
                [string](Get-Help about_Seedream)",
                new Dictionary<string, object?> { ["culture"] = culture });
            Assert.Empty(r.Errors);
            Assert.Equal(2, r.Output.Count);
            Assert.StartsWith("Edits images with Seedream", (string)r.Output[0].BaseObject);
            Assert.Contains("about_Seedream", (string)r.Output[1].BaseObject);
        }

        [Fact]
        public void Get_Help_about_Seedream_returns_the_topic_with_its_concepts()
        {
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run("Get-Help about_Seedream");
            Assert.Empty(r.Errors);
            var text = string.Join("\n", r.Output.Select(o => o.ToString()));
            Assert.StartsWith("TOPIC", text.TrimStart());
            foreach (var expected in new[]
            {
                "SHORT DESCRIPTION", "LONG DESCRIPTION", "$0.035", "FAL_KEY", "FAL_KEY_ID", "FAL_KEY_SECRET", "SEEDREAM_PROXY_URL",
                "Connect-Seedream", "Submit-SeedreamJob", "emulator", "SeedreamApiKeyMissing", "SeedreamSecretNotFound",
                "writes no settings to disk", "$PROFILE",
            })
                Assert.Contains(expected, text);
            // Plain text: no markdown fences or emphasis left over.
            Assert.DoesNotContain("```", text);
            Assert.DoesNotContain("**", text);
        }

        [Fact]
        public void The_help_files_ship_in_the_module_folder()
        {
            var helpDir = Path.Combine(Path.GetDirectoryName(Paths.ModuleManifest)!, "en-US");
            var maml = Path.Combine(helpDir, "Seedream.dll-Help.xml");
            Assert.True(File.Exists(maml), $"{maml} is missing: build Seedream.Module.sln (tools/Seedream.HelpGen writes it)");
            Assert.True(File.Exists(Path.Combine(helpDir, "about_Seedream.help.txt")));
            var doc = System.Xml.Linq.XDocument.Load(maml);
            XNamespaceCheck(doc);
        }

        private static void XNamespaceCheck(System.Xml.Linq.XDocument doc)
        {
            System.Xml.Linq.XNamespace command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
            System.Xml.Linq.XNamespace maml = "http://schemas.microsoft.com/maml/2004/10";
            Assert.Equal("helpItems", doc.Root!.Name.LocalName);
            var commands = doc.Root.Elements(command + "command").ToList();
            Assert.NotEmpty(commands);
            foreach (var c in commands)
            {
                foreach (var part in new[] { command + "details", maml + "description", command + "syntax", command + "parameters", command + "inputTypes", command + "returnValues", command + "examples" })
                    Assert.True(c.Element(part) != null, $"{c.Element(command + "details")?.Element(command + "name")?.Value}: no {part.LocalName}");
            }
        }
    }

    /// <summary>Code that users copy must parse: the examples in docs/ and the Pester files.</summary>
    public class ScriptSyntaxTests
    {
        public static IEnumerable<object[]> DocFiles() =>
            Directory.GetFiles(Path.Combine(Paths.RepoRoot, "docs", "en-US"), "*.md").Select(f => new object[] { Path.GetFileName(f) });

        public static IEnumerable<object[]> PesterFiles() =>
            Directory.GetFiles(Path.Combine(Paths.RepoRoot, "tests", "pester"), "*.ps1").Select(f => new object[] { Path.GetFileName(f) });

        [Theory]
        [MemberData(nameof(DocFiles))]
        public void Every_powershell_block_in_the_docs_parses(string file)
        {
            var text = File.ReadAllText(Path.Combine(Paths.RepoRoot, "docs", "en-US", file));
            var blocks = Regex.Matches(text, @"```powershell\r?\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
            Assert.NotEmpty(blocks);
            foreach (var block in blocks)
            {
                Parser.ParseInput(block, out _, out var errors);
                Assert.True(errors.Length == 0, $"{file}:\n{block}\n{string.Join("\n", errors.Select(e => e.Message))}");
            }
        }

        [Fact]
        public void Every_exported_cmdlet_has_a_markdown_source()
        {
            using var ps = new PsHost(null, connect: false);
            var names = ps.Run("(Get-Module Seedream).ExportedCmdlets.Keys").Output.Select(o => (string)o.BaseObject).ToList();
            Assert.NotEmpty(names);
            var missing = names.Where(n => !File.Exists(Path.Combine(Paths.RepoRoot, "docs", "en-US", n + ".md"))).ToList();
            Assert.True(missing.Count == 0, "No docs/en-US/<name>.md for: " + string.Join(", ", missing));
        }

        [Theory]
        [MemberData(nameof(PesterFiles))]
        public void Every_Pester_file_parses(string file)
        {
            var path = Path.Combine(Paths.RepoRoot, "tests", "pester", file);
            Parser.ParseFile(path, out _, out var errors);
            Assert.True(errors.Length == 0, $"{file}: " + string.Join("\n", errors.Select(e => $"line {e.Extent.StartLineNumber}: {e.Message}")));
        }

        [Fact]
        public void The_build_script_parses()
        {
            Parser.ParseFile(Path.Combine(Paths.RepoRoot, "build.ps1"), out _, out var errors);
            Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => $"line {e.Extent.StartLineNumber}: {e.Message}")));
        }

        [Fact]
        public void There_are_Pester_files_for_the_main_flows()
        {
            var files = Directory.GetFiles(Path.Combine(Paths.RepoRoot, "tests", "pester"), "*.Tests.ps1");
            Assert.True(files.Length >= 2, "tests/pester/*.Tests.ps1");
            var all = string.Join("\n", files.Select(File.ReadAllText));
            foreach (var flow in new[] { "Send-SeedreamFile", "Import-Csv", "Save-SeedreamImage", "Submit-SeedreamJob", "Wait-SeedreamJob", "Receive-SeedreamJob", "-WhatIf", "FullyQualifiedErrorId" })
                Assert.Contains(flow, all);
        }
    }
}
