using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using Seedream.Protocol;

namespace Seedream.Commands
{
    /// <summary>Shared matching for completers: prefix match, quoting values that need it.</summary>
    internal static class CompletionHelper
    {
        public static IEnumerable<CompletionResult> Match(string wordToComplete, IEnumerable<(string Value, string Tooltip)> items)
        {
            var word = (wordToComplete ?? string.Empty).Trim('\'', '"');
            var pattern = new WildcardPattern(word + "*", WildcardOptions.IgnoreCase);
            foreach (var (value, tooltip) in items)
            {
                if (!pattern.IsMatch(value)) continue;
                var text = value.IndexOfAny(new[] { ' ', '$', '`', '\'', '"', ';', '(', ')', '{', '}', ',', '@', '#' }) >= 0 ? "'" + value.Replace("'", "''") + "'" : value;
                yield return new CompletionResult(text, value, CompletionResultType.ParameterValue, tooltip);
            }
        }
    }

    /// <summary>-ImageSize: presets and common custom sizes.</summary>
    public sealed class ImageSizeCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
            CompletionHelper.Match(wordToComplete,
                ImageSize.Presets.Select(p => (p, p.StartsWith("auto", StringComparison.Ordinal) ? $"{p}: aspect ratio of the first input image" : $"preset {p}, scaled into the model's pixel bounds"))
                .Concat(ImageSize.CommonSizes.Select(s => (s, $"custom size {s}"))));
    }

    /// <summary>-EnhancePromptMode: standard or fast.</summary>
    public sealed class EnhancePromptModeCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
            CompletionHelper.Match(wordToComplete, new[] { ("standard", "higher quality, slower"), ("fast", "average quality, faster") });
    }

    /// <summary>-Endpoint: the known Seedream edit endpoints.</summary>
    public sealed class EndpointCompleter : IArgumentCompleter
    {
        public static readonly (string Value, string Tooltip)[] Known =
        {
            (EndpointId.SeedreamV5LiteEdit, "Seedream 5.0 Lite Edit ($0.035 per image)"),
            ("bytedance/seedream/v5/lite/edit", "Seedream 5.0 Lite Edit (newer id)"),
            ("fal-ai/bytedance/seedream/v4.5/edit", "Seedream 4.5 Edit"),
            ("fal-ai/bytedance/seedream/v4/edit", "Seedream 4.0 Edit"),
        };

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
            CompletionHelper.Match(wordToComplete, Known);
    }

    /// <summary>-RequestId: requests submitted in this process, newest first (only the -Endpoint's, when one is typed).</summary>
    public sealed class RequestIdCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var endpoint = fakeBoundParameters?["Endpoint"] is object e ? Convert.ToString(e is PSObject p ? p.BaseObject : e, System.Globalization.CultureInfo.InvariantCulture) : null;
            var jobs = JobHistory.Recent().Where(j => string.IsNullOrEmpty(endpoint) || string.Equals(j.Endpoint.Trim('/'), endpoint!.Trim('/'), StringComparison.OrdinalIgnoreCase));
            // One entry per id: Invoke-SeedreamEdit and Submit-SeedreamJob may both have recorded it.
            return CompletionHelper.Match(wordToComplete, jobs.GroupBy(j => j.RequestId).Select(g => g.First()).Select(j => (j.RequestId, $"{j.SubmittedAt:T} {Shorten(j.Prompt)}")));
        }

        private static string Shorten(string? s) => s == null ? string.Empty : s.Length <= 60 ? s : s.Substring(0, 57) + "...";
    }

    /// <summary>The most recent jobs this process submitted, for completion.</summary>
    internal static class JobHistory
    {
        private const int Capacity = 200;
        private static readonly ConcurrentQueue<Job> Jobs = new ConcurrentQueue<Job>();

        public static void Add(Job job)
        {
            Jobs.Enqueue(job);
            while (Jobs.Count > Capacity && Jobs.TryDequeue(out _)) { }
        }

        public static IEnumerable<Job> Recent() => Enumerable.Reverse(Jobs.ToArray());
    }
}
