using System.Collections.Concurrent;
using System.Management.Automation.Language;

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

    /// <summary>The profile an argument completer works for: the typed -Endpoint's, else the command's default endpoint's.</summary>
    internal static class CompletionProfile
    {
        public static EndpointProfile? For(string commandName, IDictionary fakeBoundParameters)
        {
            var bound = fakeBoundParameters?["Endpoint"] is object e ? Convert.ToString(e is PSObject p ? p.BaseObject : e, System.Globalization.CultureInfo.InvariantCulture) : null;
            if (!string.IsNullOrWhiteSpace(bound)) return EndpointProfiles.Find(bound!.Trim('\'', '"'));
            return IsTextToImage(commandName) ? EndpointProfiles.V5LiteTextToImage : EndpointProfiles.V5LiteEdit;
        }

        public static bool IsTextToImage(string commandName) => string.Equals(commandName, "New-SeedreamImage", StringComparison.OrdinalIgnoreCase);
        public static bool IsEditOnly(string commandName) => string.Equals(commandName, "Invoke-SeedreamEdit", StringComparison.OrdinalIgnoreCase);

        public static string Price(EndpointProfile p) =>
            p.PricePerImage is decimal d
                ? string.Format(System.Globalization.CultureInfo.InvariantCulture, "${0:0.0###} per image", d) + (p.PriceIsThirdParty ? ", third-party listing" : "")
                : "cost unknown";
    }

    /// <summary>-ImageSize: the presets of the endpoint given with -Endpoint (else the command's default), and custom sizes it can make.</summary>
    public sealed class ImageSizeCompleter : IArgumentCompleter
    {
        /// <summary>Custom sizes offered where the endpoint makes them as given (not scaled, not refused).</summary>
        private static readonly string[] CandidateSizes =
        {
            "1024x1024", "1536x1536", "2048x2048", "1920x1080", "1080x1920", "2560x1440", "1440x2560", "2304x1728", "1728x2304", "2880x1620", "3072x3072", "4096x4096", "512x512",
        };

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var profile = CompletionProfile.For(commandName, fakeBoundParameters);
            // An endpoint without a profile: every preset any Seedream endpoint knows (they are sent as given).
            var presets = profile?.SizePresets ?? EndpointProfiles.All.SelectMany(p => p.SizePresets).Distinct().ToArray();
            var sizes = profile == null ? ImageSize.CommonSizes : CandidateSizes.Where(t =>
            {
                var size = ImageSize.Parse(t, profile);
                return size.BoundsProblem(profile) == null && size.ScaledFor(profile) == null;
            });
            return CompletionHelper.Match(wordToComplete,
                presets.Select(p => (p, p.StartsWith("auto", StringComparison.Ordinal) ? $"{p}: the model picks the aspect ratio (of the first input image, when editing)" : $"preset {p}"))
                .Concat(sizes.Select(s => (s, $"custom size {s}"))));
        }
    }

    /// <summary>-EnhancePromptMode: standard or fast.</summary>
    public sealed class EnhancePromptModeCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            // Nothing for an endpoint without the field: a value offered there would only be refused.
            var profile = CompletionProfile.For(commandName, fakeBoundParameters);
            var modes = new[] { ("standard", "higher quality, slower"), ("fast", "average quality, faster") };
            return CompletionHelper.Match(wordToComplete, profile == null ? modes : modes.Where(m => profile.EnhancePromptModes.Contains(m.Item1)));
        }
    }

    /// <summary>-OutputFormat: the formats of the endpoint given with -Endpoint (jpeg and png for 5.0 Pro).</summary>
    public sealed class OutputFormatCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var profile = CompletionProfile.For(commandName, fakeBoundParameters);
            // The endpoint's own formats (none where it has no output_format); every known one for an unprofiled endpoint.
            var formats = profile != null ? profile.OutputFormats : EndpointProfiles.All.SelectMany(p => p.OutputFormats).Distinct().ToArray();
            return CompletionHelper.Match(wordToComplete, formats.Select(f => (f, $"{f} output")));
        }
    }

    /// <summary>-Endpoint: the profiled Seedream endpoints of the command's kind, with name and price.</summary>
    public sealed class EndpointCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            IEnumerable<EndpointProfile> profiles = EndpointProfiles.All;
            if (CompletionProfile.IsTextToImage(commandName)) profiles = profiles.Where(p => p.Kind == EndpointKind.TextToImage);
            else if (CompletionProfile.IsEditOnly(commandName)) profiles = profiles.Where(p => p.Kind == EndpointKind.Edit);
            return CompletionHelper.Match(wordToComplete, profiles.SelectMany(p => p.Ids.Select((id, i) =>
                (id, $"{p.Name} ({CompletionProfile.Price(p)}){(i == 0 ? "" : ", same model")}"))));
        }
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
