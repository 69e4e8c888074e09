using System.Runtime.CompilerServices;
using System.Threading;

namespace Seedream.Core.Tests;

internal static class AssemblySetup
{
    /// <summary>
    /// The emulator renders images on pool threads while timing-sensitive tests run beside it; on
    /// a machine with few cores the pool's slow thread injection (about one a second) would show
    /// up as one-second stalls. Start with enough threads that it never has to.
    /// </summary>
    [ModuleInitializer]
    internal static void Init()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(workers < 32 ? 32 : workers, io < 32 ? 32 : io);
    }
}
