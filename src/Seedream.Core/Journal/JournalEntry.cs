namespace Seedream
{
    /// <summary>Where one journaled edit stands (<c>Seedream.JournalEntry</c>.State).</summary>
    public static class JournalState
    {
        /// <summary>The submit was about to be sent, and no request id came back before the process ended: fal may or may not have the job.</summary>
        public const string Submitting = "Submitting";
        /// <summary>fal accepted the edit (the request id is known); its result has not been collected.</summary>
        public const string Submitted = "Submitted";
        /// <summary>The result is in the journal.</summary>
        public const string Completed = "Completed";
        /// <summary>The job failed or was cancelled; a rerun submits the edit again.</summary>
        public const string Failed = "Failed";
    }

    /// <summary>One edit recorded in a journal (<c>Seedream.JournalEntry</c>): the latest state of its records.</summary>
    public sealed class JournalEntry : QueuedRequest
    {
        /// <summary>SHA-256 (hex) of what fal is asked to do: endpoint, request body, input images by content.</summary>
        public string Fingerprint { get; set; } = string.Empty;
        /// <summary>0 for the first edit with this fingerprint, 1 for the second identical one, and so on.</summary>
        public int Occurrence { get; set; }
        public string State { get; set; } = JournalState.Submitting;
        public string? RequestId { get; set; }
        public string Endpoint { get; set; } = string.Empty;
        /// <summary>The raw result JSON once completed.</summary>
        public string? ResultJson { get; set; }
        public double? InferenceTime { get; set; }
        public double? Duration { get; set; }
        /// <summary>Local paths of the result's images saved with -OutFolder, by image index (null: not saved).</summary>
        public string?[] SavedPaths { get; set; } = Array.Empty<string?>();
        /// <summary>Why the job failed, for Failed entries.</summary>
        public string? Error { get; set; }
        /// <summary>How many times the edit was sent to fal (more than 1 after failures or an ambiguous kill).</summary>
        public int Attempts { get; set; }
        public DateTime Updated { get; set; }

        /// <summary>Identity of the entry inside its journal.</summary>
        public string Key => Fingerprint + "#" + Occurrence.ToString(System.Globalization.CultureInfo.InvariantCulture);

        public override string ToString() => $"{State} {RequestId ?? "(no request id)"} '{Prompt}'";

        internal JournalEntry Clone() => (JournalEntry)MemberwiseClone();
    }

    /// <summary>What a journal holds (<c>Seedream.Journal</c>), as Get-SeedreamJournal reports it.</summary>
    public sealed class JournalInfo
    {
        public string Path { get; set; } = string.Empty;
        public int Version { get; set; }
        public DateTime Created { get; set; }
        public int Total { get; set; }
        public int Completed { get; set; }
        public int Submitted { get; set; }
        /// <summary>Entries whose submit was on the wire when the process ended (a rerun sends them again).</summary>
        public int Submitting { get; set; }
        public int Failed { get; set; }
        /// <summary>True when the last line was cut short by a kill mid-write (it is ignored, and dropped by the next run).</summary>
        public bool TornTail { get; set; }
        public JournalEntry[] Entries { get; set; } = Array.Empty<JournalEntry>();

        public override string ToString() => $"{Path}: {Total} edits ({Completed} completed, {Submitted} submitted, {Submitting} submitting, {Failed} failed)";
    }

    /// <summary>A journal that cannot be used; <see cref="Code"/> becomes the ErrorId ("Seedream" + Code).</summary>
    public sealed class JournalException : Exception
    {
        public JournalException(string code, string message, Exception? inner = null) : base(message, inner) => Code = code;

        /// <summary>JournalInUse, JournalDamaged, JournalInvalid or JournalUnwritable.</summary>
        public string Code { get; }
    }
}
