using System.Runtime.CompilerServices;
using System.Threading;

namespace Seedream.Module.Tests
{
    internal static class AssemblySetup
    {
        /// <summary>
        /// In-process emulators render PNGs on pool threads beside the hosted engines; on a 2-core
        /// machine the pool's slow thread injection (about one a second) shows up as stalls, which
        /// tests with short per-request timeouts (the fault tests) would take for server faults.
        /// As in the Core tests: start with enough threads that the pool never has to grow slowly.
        /// </summary>
        [ModuleInitializer]
        internal static void Init()
        {
            ThreadPool.GetMinThreads(out var workers, out var io);
            ThreadPool.SetMinThreads(workers < 32 ? 32 : workers, io < 32 ? 32 : io);
        }
    }
}
