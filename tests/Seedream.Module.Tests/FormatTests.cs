using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using System.Xml.Linq;
using Xunit;

namespace Seedream.Module.Tests
{
    /// <summary>
    /// Seedream.Format.ps1xml: it loads, every emitted type has a default table of always-filled
    /// columns, and objects render through Out-Default with those headers and sensible values.
    /// </summary>
    public class FormatTests
    {
        private static string FormatFile => Path.Combine(Path.GetDirectoryName(Paths.ModuleManifest)!, "Seedream.Format.ps1xml");

        /// <summary>Types the cmdlets write that are not an OutputType of their own (nested in results).</summary>
        private static readonly string[] NestedTypes = { "Seedream.Image", "Seedream.LogEntry" };

        private static List<(string Type, XElement View)> Views() =>
            XDocument.Load(FormatFile).Descendants("View")
                .SelectMany(v => v.Element("ViewSelectedBy")!.Elements("TypeName").Select(t => (t.Value.Trim(), v)))
                .ToList();

        [Fact]
        public void The_format_file_loads_without_errors()
        {
            // The FormatTable constructor is the engine's own loader; it throws with every error it finds.
            var table = new FormatTable(new[] { FormatFile });
            Assert.NotNull(table);

            // And as part of a session's initial state, the way a host preloads it.
            var iss = InitialSessionState.CreateDefault2();
            iss.Formats.Add(new SessionStateFormatEntry(FormatFile));
            using var runspace = RunspaceFactory.CreateRunspace(iss);
            runspace.Open();
        }

        [Fact]
        public void Every_emitted_type_has_a_default_table_view()
        {
            using var ps = new PsHost(null, connect: false);
            var declared = ps.Run("(Get-Module Seedream).ExportedCmdlets.Values | ForEach-Object { $_.OutputType.Name }")
                .Output.Select(o => (string)o.BaseObject).Where(n => n.StartsWith("Seedream.", StringComparison.Ordinal));
            var types = declared.Concat(NestedTypes).Distinct().ToList();
            Assert.Contains("Seedream.EditResult", types);
            var views = Views();
            foreach (var type in types)
            {
                var first = views.FirstOrDefault(v => v.Type == type).View;
                Assert.True(first != null, $"{type} has no view");
                // The first view listed for a type is the one PowerShell uses by default.
                Assert.True(first!.Element("TableControl") != null, $"{type}: the default view is not a table");
            }
        }

        [Fact]
        public void Every_property_a_view_names_exists_on_its_type()
        {
            using var ps = new PsHost(null, connect: false);
            var pairs = Views()
                .SelectMany(v => v.View.Descendants("PropertyName").Select(p => v.Type + "|" + p.Value.Trim()))
                .Distinct().ToArray();
            Assert.NotEmpty(pairs);
            var r = ps.Run(@"
                foreach ($pair in $pairs) {
                    $type, $property = $pair.Split('|')
                    if (-not ([type]$type).GetProperty($property)) { $pair }
                }", new Dictionary<string, object?> { ["pairs"] = pairs });
            Assert.Empty(r.Errors);
            Assert.True(r.Output.Count == 0, "Unknown properties (they would show as blank columns): " + string.Join(", ", r.Output));
        }

        [Fact]
        public void Script_blocks_use_only_syntax_Windows_PowerShell_5_1_understands()
        {
            var banned = new HashSet<TokenKind> { TokenKind.QuestionQuestion, TokenKind.QuestionQuestionEquals, TokenKind.QuestionDot, TokenKind.QuestionLBracket, TokenKind.QuestionMark, TokenKind.AndAnd, TokenKind.OrOr };
            var scripts = XDocument.Load(FormatFile).Descendants("ScriptBlock").Select(s => s.Value).ToList();
            Assert.NotEmpty(scripts);
            foreach (var script in scripts)
            {
                Parser.ParseInput(script, out var tokens, out var errors);
                Assert.True(errors.Length == 0, script + "\n" + string.Join("\n", errors.Select(e => e.Message)));
                var used = tokens.Where(t => banned.Contains(t.Kind)).Select(t => t.Text).ToList();
                Assert.True(used.Count == 0, $"PowerShell 7-only operator(s) {string.Join(" ", used)} in: {script}");
            }
        }

        [Fact]
        public void Objects_render_as_tables_with_their_headers_and_values()
        {
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run(@"
                function Show([string] $title, $value) {
                    $Host.UI.WriteLine('=== ' + $title)
                    $value | Out-Default
                }
                $now = [datetime]::Now
                Show 'Job' ([Seedream.Job]@{ RequestId = 'job-0001'; Endpoint = 'fal-ai/bytedance/seedream/v5/lite/edit'; Status = 'IN_QUEUE'; QueuePosition = 3; SubmittedAt = $now })
                Show 'JobStatusQueued' ([Seedream.JobStatus]@{ RequestId = 'st-0001'; Status = 'IN_QUEUE'; QueuePosition = 3 })
                Show 'JobStatusFailed' ([Seedream.JobStatus]@{ RequestId = 'st-0002'; Status = 'COMPLETED'; ErrorType = 'client_cancelled'; Error = 'Cancelled by the user' })
                Show 'JobStatusDone' ([Seedream.JobStatus]@{ RequestId = 'st-0003'; Status = 'COMPLETED'; InferenceTime = 1.5 })
                $image = [Seedream.Image]@{ Url = 'https://files.example/out-0.png'; Width = 2560; Height = 1440; Index = 0; RequestId = 'res-0001' }
                Show 'EditResult' ([Seedream.EditResult]@{ RequestId = 'res-0001'; Endpoint = 'e'; Prompt = 'Make it snow'; Seed = 42; Images = @($image) })
                Show 'Image' $image
                Show 'InlineImage' ([Seedream.Image]@{ Url = 'data:image/png;base64,AAAA'; Index = 1 })
                Show 'SavedImage' ([Seedream.Image]@{ Url = 'https://files.example/out-0.png'; Width = 2560; Height = 1440; LocalPath = '/tmp/out/beach-0.png' })
                Show 'File' ([Seedream.File]@{ Url = 'https://files.example/a.png'; FileName = 'a.png'; ContentType = 'image/png'; FileSize = 1234 })
                Show 'CancelResult' ([Seedream.CancelResult]@{ RequestId = 'cx-0001'; Endpoint = 'e'; Outcome = 'AlreadyCompleted' })
                Show 'Context' ([Seedream.Context]@{ KeySource = 'FAL_KEY'; MaxRetryCount = 3; TimeoutSec = 100; Connected = $false })
                Show 'LogEntry' ([Seedream.LogEntry]@{ Message = 'Loading model'; Level = 'INFO'; Timestamp = $now })
                Show 'WebhookVerdict' (Test-SeedreamWebhookSignature -Headers @{} -Body '')
            ");
            Assert.Empty(r.Errors);
            // Views must render with the core engine alone (the script host has no Split-Path):
            // a failing view script leaves blank cells and an entry in $Error, nothing else.
            Assert.Equal(0, ps.Run("$Error.Count").Output.Select(o => (int)o.BaseObject).Single());
            var sections = ps.HostText.Split("=== ", StringSplitOptions.RemoveEmptyEntries)
                .Select(s => s.Split('\n', 2))
                .ToDictionary(s => s[0].Trim(), s => s.Length > 1 ? s[1] : string.Empty);

            void Shows(string section, params string[] texts)
            {
                Assert.True(sections.ContainsKey(section), $"no output for {section}:\n{ps.HostText}");
                foreach (var text in texts)
                    Assert.True(sections[section].Contains(text, StringComparison.Ordinal), $"{section} does not show '{text}':\n{sections[section]}");
            }

            Shows("Job", "RequestId", "Status", "Submitted", "Prompt", "job-0001", "IN_QUEUE");
            Shows("JobStatusQueued", "RequestId", "Status", "Detail", "queue position 3");
            Shows("JobStatusFailed", "failed (client_cancelled): Cancelled by the user");
            Shows("JobStatusDone", "done, model time");
            Shows("EditResult", "RequestId", "Input", "Images", "Prompt", "res-0001", "Make it snow");
            Shows("Image", "Index", "Size", "File", "Location", "2560x1440", "https://files.example/out-0.png");
            Shows("InlineImage", "(inline)", "(inline data URI, not saved)");
            Shows("SavedImage", "beach-0.png", "/tmp/out");
            Shows("File", "FileName", "ContentType", "Size", "Url", "a.png", "image/png", "1234");
            Shows("CancelResult", "RequestId", "Outcome", "Endpoint", "cx-0001", "AlreadyCompleted");
            Shows("Context", "KeySource", "Target", "Retries", "Timeout", "Connected", "FAL_KEY", "fal.ai (direct)");
            Shows("LogEntry", "Time", "Level", "Message", "INFO", "Loading model");
            Shows("WebhookVerdict", "IsValid", "Reason", "Message", "False", "MissingHeader");
        }

        [Fact]
        public void ToString_reads_well_where_objects_turn_into_text()
        {
            // "$result" in a message, -join, Write-Host: the types' ToString is what users see there.
            using var ps = new PsHost(null, connect: false);
            var r = ps.Run(@"
                [string]([Seedream.Job]@{ RequestId = 'job-0001'; Status = 'IN_QUEUE' })
                [string]([Seedream.JobStatus]@{ RequestId = 'st-0002'; Status = 'COMPLETED'; ErrorType = 'timeout'; Error = 'too slow' })
                [string]([Seedream.EditResult]@{ RequestId = 'res-0001'; Images = @([Seedream.Image]@{ Url = 'https://x/y.png' }) })
                [string]([Seedream.Image]@{ Url = 'https://x/y.png'; LocalPath = '/tmp/y.png' })
                [string]([Seedream.File]@{ Url = 'https://x/a.png' })
                [string]([Seedream.Context]@{ KeySource = 'FAL_KEY'; ProxyUrl = 'http://127.0.0.1:5000/api/fal/proxy' })
            ");
            Assert.Empty(r.Errors);
            var text = r.Output.Select(o => (string)o.BaseObject).ToArray();
            Assert.Contains("job-0001", text[0]);
            Assert.Contains("IN_QUEUE", text[0]);
            Assert.Contains("st-0002", text[1]);
            Assert.Contains("timeout", text[1]);
            Assert.Contains("res-0001", text[2]);
            Assert.Contains("1 image", text[2]);
            Assert.Equal("/tmp/y.png", text[3]);
            Assert.Equal("https://x/a.png", text[4]);
            Assert.Contains("127.0.0.1:5000", text[5]);
            Assert.Contains("key from FAL_KEY", text[5]);
        }
    }
}
