namespace Seedream.Commands.Internal
{
    /// <summary>
    /// The ActivityId of every progress bar the module shows: each bar takes a fresh id from one
    /// process-wide counter. PowerShell's console tells commands apart by their source, but hosts,
    /// jobs and runspace streams see only the ActivityId; with fresh ids the bars of two commands in
    /// one pipeline (Send-SeedreamFile | Invoke-SeedreamEdit | Save-SeedreamImage, or two
    /// Invoke-SeedreamEdit) can never overwrite or close each other there either.
    /// </summary>
    internal static class ProgressActivities
    {
        // 0x5EE…: recognisable in a trace; about two billion bars before the counter would wrap.
        private static int _last = 0x5EE0000;

        /// <summary>An id no other bar of this process has had.</summary>
        public static int Next() => Interlocked.Increment(ref _last) & int.MaxValue;
    }
}
