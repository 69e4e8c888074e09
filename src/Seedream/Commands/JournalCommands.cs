namespace Seedream.Commands
{
    /// <summary>
    /// <para type="synopsis">Reads a batch journal (-Journal): counts by state and every entry, without changing it.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "SeedreamJournal")]
    [OutputType(typeof(JournalInfo))]
    public sealed class GetSeedreamJournalCommand : PSCmdlet
    {
        /// <summary>The journal file, as given to -Journal (relative to the current location).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName", "Journal")]
        public string Path { get; set; } = string.Empty;

        protected override void ProcessRecord()
        {
            var resolved = FileSystemPaths.ResolveFile(this, Path, out var pathError);
            if (resolved == null)
            {
                WriteError(pathError!);
                return;
            }
            try
            {
                WriteObject(EditJournal.Read(resolved));
            }
            catch (JournalException ex)
            {
                WriteError(EditCmdletBase.JournalError(ex, resolved));
            }
        }
    }
}
