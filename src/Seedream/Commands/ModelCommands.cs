namespace Seedream.Commands
{
    /// <summary>
    /// <para type="synopsis">Lists the Seedream endpoints the module knows: their kind, limits, price, and the source and date of their schema.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "SeedreamModel")]
    [OutputType(typeof(Model))]
    public sealed class GetSeedreamModelCommand : PSCmdlet
    {
        /// <summary>Endpoint ids (any of a model's ids), wildcards allowed.</summary>
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(EndpointCompleter))]
        [SupportsWildcards]
        public string[]? Endpoint { get; set; }

        /// <summary>Edit or TextToImage.</summary>
        [Parameter]
        [ValidateSet("Edit", "TextToImage", IgnoreCase = true)]
        public string? Kind { get; set; }

        private readonly HashSet<string> _emitted = new HashSet<string>(StringComparer.Ordinal);

        protected override void ProcessRecord()
        {
            IEnumerable<EndpointProfile> profiles = EndpointProfiles.All;
            if (Kind != null) profiles = profiles.Where(p => string.Equals(p.Kind.ToString(), Kind, StringComparison.OrdinalIgnoreCase));
            if (Endpoint == null || Endpoint.Length == 0)
            {
                Emit(profiles);
                return;
            }
            foreach (var pattern in Endpoint)
            {
                if (string.IsNullOrWhiteSpace(pattern)) continue;
                var text = pattern.Trim().Trim('/');
                var wildcard = new WildcardPattern(text, WildcardOptions.IgnoreCase);
                var matches = profiles.Where(p => p.Ids.Any(wildcard.IsMatch)).ToList();
                if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(text))
                {
                    // The other spelling of an id (with or without fal-ai/) names the same model.
                    var known = EndpointProfiles.Find(text);
                    if (known != null && profiles.Contains(known))
                    {
                        Emit(new[] { known });
                        continue;
                    }
                    // As Get-Command does: a name without wildcards that matches nothing is an error.
                    var message = known != null
                        ? $"'{text}' is {known.Name}, {Describe(known.Kind)} endpoint, not {Describe((EndpointKind)Enum.Parse(typeof(EndpointKind), Kind!, true))} one."
                        : $"The module has no profile for the endpoint '{text}'. It can still be used with -Endpoint: it is sent as given, with only the checks every fal endpoint shares. Get-SeedreamModel lists the profiled endpoints.";
                    WriteError(Errors.ModelNotFound.Record(message, pattern));
                    continue;
                }
                Emit(matches);
            }
        }

        private static string Describe(EndpointKind kind) => kind == EndpointKind.Edit ? "an edit" : "a text-to-image";

        private void Emit(IEnumerable<EndpointProfile> profiles)
        {
            foreach (var p in profiles)
                if (_emitted.Add(p.Id)) WriteObject(Model.From(p));
        }
    }
}
