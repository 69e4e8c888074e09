namespace Seedream.Commands.Internal
{
    /// <summary>
    /// The ActivityId of every progress bar the module shows. Each command numbers its bars inside
    /// its own block, so the commands of one pipeline (Send-SeedreamFile | Invoke-SeedreamEdit |
    /// Save-SeedreamImage) never share an id, which would make one command's bar overwrite or
    /// close another's.
    /// </summary>
    internal static class ProgressActivities
    {
        private const int BlockSize = 1 << 20;
        // 0x5EE: "SEEdream"; blocks 0..5 stay far below int.MaxValue.
        private const int First = 0x5EE << 20;

        /// <summary>The batch bar of Invoke-SeedreamEdit / New-SeedreamImage (the parent of their per-edit bars).</summary>
        public const int EditBatch = First;

        /// <summary>One edit's bar, by its record number.</summary>
        public static int Edit(int sequence) => InBlock(1, sequence);

        /// <summary>One wait of Wait-SeedreamJob.</summary>
        public static int Wait(int sequence) => InBlock(2, sequence);

        /// <summary>One upload of Send-SeedreamFile.</summary>
        public static int Upload(int sequence) => InBlock(3, sequence);

        /// <summary>Save-SeedreamImage's bar (one image at a time).</summary>
        public static readonly int Save = InBlock(4, 0);

        private static int InBlock(int block, int sequence) => First + block * BlockSize + (sequence & (BlockSize - 1));
    }
}
