using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Seedream.Protocol;

namespace Seedream.Commands.Internal
{
    /// <summary>
    /// Runs many pieces of async work at once (at most <c>limit</c> at a time) for a cmdlet that
    /// keeps receiving pipeline input. Workers never touch the cmdlet: whatever they want written
    /// (results, errors, progress, verbose) is queued and executed by <see cref="Drain"/> /
    /// <see cref="WaitBelow"/>, which the cmdlet calls from ProcessRecord and EndProcessing, i.e.
    /// on the pipeline thread.
    /// </summary>
    internal sealed class WorkPump
    {
        private readonly BlockingCollection<Action> _actions = new BlockingCollection<Action>();
        private readonly SemaphoreSlim _slots;
        private readonly IFalLog _log;
        private readonly ConcurrentDictionary<Task, byte> _running = new ConcurrentDictionary<Task, byte>();
        // Only the pipeline thread changes it: +1 in Start, -1 when the completion action runs.
        private int _pending;

        public WorkPump(int limit, Cmdlet cmdlet)
        {
            _slots = new SemaphoreSlim(limit, limit);
            _log = new PumpLog(this, cmdlet);
        }

        public int Pending => _pending;

        /// <summary>Queues an action for the pipeline thread; safe from any thread.</summary>
        public void Post(Action action)
        {
            try { _actions.Add(action); }
            catch (InvalidOperationException) { }
        }

        /// <summary>
        /// Starts <paramref name="work"/> once a slot is free. Exactly one of the callbacks runs
        /// later on the pipeline thread (an OperationCanceledException goes to <paramref name="onError"/> too).
        /// </summary>
        public void Start<T>(Func<CancellationToken, Task<T>> work, Action<T> onResult, Action<Exception> onError, CancellationToken ct)
        {
            _pending++;
            Task? task = null;
            task = Task.Run(async () =>
            {
                // The shared client logs through RoutingLog; point this flow at the pump.
                RoutingLog.Current.Value = _log;
                try
                {
                    await _slots.WaitAsync(ct).ConfigureAwait(false);
                    T value;
                    try { value = await work(ct).ConfigureAwait(false); }
                    finally { _slots.Release(); }
                    Post(() => { _pending--; onResult(value); });
                }
                catch (Exception ex)
                {
                    Post(() => { _pending--; onError(ex); });
                }
                finally
                {
                    if (task != null) _running.TryRemove(task, out _);
                }
            });
            _running[task] = 0;
            if (task.IsCompleted) _running.TryRemove(task, out _);
        }

        /// <summary>
        /// Waits (from any thread, without running queued actions) until every started work has
        /// finished, or the limit passes. Used when stopping: cancelled work still cancels its
        /// remote requests, and the command must not return before that has happened.
        /// </summary>
        public bool WaitForWorkers(TimeSpan limit)
        {
            var tasks = new List<Task>(_running.Keys);
            try { return Task.WaitAll(tasks.ToArray(), limit); }
            catch (AggregateException) { return true; }
        }

        /// <summary>Runs whatever is queued, without waiting.</summary>
        public void Drain()
        {
            while (_actions.TryTake(out var action)) action();
        }

        /// <summary>Runs queued actions, waiting, until at most <paramref name="count"/> works are unfinished.</summary>
        public void WaitBelow(int count)
        {
            Drain();
            while (_pending > count) _actions.Take()();
            Drain();
        }

        private sealed class PumpLog : IFalLog
        {
            private readonly WorkPump _pump;
            private readonly Cmdlet _cmdlet;
            public PumpLog(WorkPump pump, Cmdlet cmdlet)
            {
                _pump = pump;
                _cmdlet = cmdlet;
            }
            public void Verbose(string message) => _pump.Post(() => _cmdlet.WriteVerbose(message));
            public void Debug(string message) => _pump.Post(() => _cmdlet.WriteDebug(message));
        }
    }
}
