using System.Collections.Concurrent;
using System.Reflection;

namespace Seedream.Commands.Internal
{
    /// <summary>What a worker asks the pipeline thread to do.</summary>
    internal enum MessageKind
    {
        Verbose,
        Debug,
        Warning,
        Progress,
        /// <summary>A record (or single call) finished: its result handler runs on the pipeline thread.</summary>
        Completion,
    }

    /// <summary>One typed message from a worker to the pipeline thread.</summary>
    internal sealed class EngineMessage(MessageKind kind, object? payload, Action? completion = null, int sequence = -1)
    {
        public MessageKind Kind { get; } = kind;
        public object? Payload { get; } = payload;
        /// <summary>For <see cref="MessageKind.Completion"/>: the record's result or error handler.</summary>
        public Action? Completion { get; } = completion;
        /// <summary>The record's input position (-Ordered); -1 for a single call, which is never held back.</summary>
        public int Sequence { get; } = sequence;
        /// <summary>For a completion: set once the pipeline thread has handled it; the worker awaits it.</summary>
        // Continuations run off the pipeline thread: acknowledging must not run the worker's code there.
        public TaskCompletionSource<bool>? Ack { get; } = completion == null ? null : new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        public static EngineMessage Stream(MessageKind kind, object payload) => new EngineMessage(kind, payload);

        public static EngineMessage Done(int sequence, Action completion) => new EngineMessage(MessageKind.Completion, null, completion, sequence);
    }

    /// <summary>
    /// The one async engine of every Seedream cmdlet. Work runs on the thread pool; whatever it
    /// wants written reaches the pipeline thread as a typed message, because PowerShell allows
    /// Write* only there, and the pipeline thread dispatches them (<see cref="DispatchUntil"/>).
    /// A record holds one of <see cref="Limit"/> places from its start until its result has been
    /// written (the worker awaits that write), so a slow downstream command holds the workers
    /// back and finished results never pile up. A stop cancels every worker and waits for them.
    /// </summary>
    internal sealed class CmdletEngine : IDisposable
    {
        /// <summary>Cmdlet.PipelineStopToken, new in PowerShell 7.6; absent in 5.1 and older 7.x.</summary>
        private static readonly PropertyInfo? PipelineStopTokenProperty = typeof(Cmdlet).GetProperty("PipelineStopToken", typeof(CancellationToken));

        private readonly Cmdlet _cmdlet;
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly BlockingCollection<EngineMessage> _inbox = new BlockingCollection<EngineMessage>();
        private readonly ConcurrentDictionary<Task, byte> _workers = new ConcurrentDictionary<Task, byte>();
        private readonly SortedDictionary<int, EngineMessage> _held = new SortedDictionary<int, EngineMessage>();
        private readonly IFalLog _log;
        private CancellationTokenRegistration _pipelineStop;
        private int _nextSequence;
        private int _nextToEmit;
        // Records started whose completion has not been handled; changed on the pipeline thread only.
        private int _open;
        // Bars shown and not yet completed, and when one was last written (pipeline thread only).
        private readonly Dictionary<int, ProgressRecord> _liveBars = new Dictionary<int, ProgressRecord>();
        private readonly System.Diagnostics.Stopwatch _sinceProgress = System.Diagnostics.Stopwatch.StartNew();

        /// <summary>
        /// How long the bars may go unwritten while work is waiting. pwsh redraws its progress
        /// display only when a record arrives (at most every 200 ms), so states written in a burst
        /// (a batch bar and each edit's "Running") would stay undrawn through a long wait without
        /// a later record to draw them.
        /// </summary>
        public static readonly TimeSpan ProgressRefresh = TimeSpan.FromSeconds(1);

        public CmdletEngine(Cmdlet cmdlet)
        {
            _cmdlet = cmdlet;
            _log = new EngineLog(this);
            // On 7.6 PowerShell cancels the pipeline's token first, then calls StopProcessing on each
            // command in turn; ours waits for its workers, so without the token a second Seedream
            // command in the same pipeline would only start cancelling once the first is done.
            try
            {
                if (PipelineStopTokenProperty?.GetValue(cmdlet) is CancellationToken pipeline && pipeline.CanBeCanceled)
                    _pipelineStop = pipeline.Register(Cancel);
            }
            catch (TargetInvocationException)
            {
                // No runtime behind the command (not started by a pipeline): StopProcessing still works.
            }
        }

        /// <summary>How many records may be open at once (the cmdlet's -ThrottleLimit).</summary>
        public int Limit { get; set; } = 1;

        /// <summary>Hand results out in input order (-Ordered).</summary>
        public bool Ordered { get; set; }

        public CancellationToken Token => _stop.Token;

        /// <summary>Called on the pipeline thread when a failed write cancelled records still open.</summary>
        public Action? Abandoned { get; set; }

        public bool IsStopping => _stop.IsCancellationRequested;

        /// <summary>Records started and not yet written (read from any thread).</summary>
        public int Open => Volatile.Read(ref _open);

        // ------------------------------------------------------------ any thread

        /// <summary>Queues a Verbose, Debug, Warning or Progress write; it is written in order with the rest.</summary>
        public void Post(MessageKind kind, object payload)
        {
            if (kind == MessageKind.Completion) throw new ArgumentOutOfRangeException(nameof(kind));
            if (_stop.IsCancellationRequested) return;
            _inbox.Add(EngineMessage.Stream(kind, payload));
        }

        public void Cancel()
        {
            try { _stop.Cancel(); }
            catch (ObjectDisposedException) { }
        }

        /// <summary>
        /// Waits (bounded, in case a server does not answer) until every worker has finished;
        /// cancelled work cancels its remote requests on the way out. Does not dispatch.
        /// </summary>
        public bool WaitForWorkers(TimeSpan limit)
        {
            var tasks = new List<Task>(_workers.Keys);
            try { return Task.WaitAll(tasks.ToArray(), limit); }
            catch (AggregateException) { return true; }
        }

        // ------------------------------------------------------------ pipeline thread

        /// <summary>
        /// Starts one record's work once fewer than <see cref="Limit"/> records are open (dispatching
        /// while it waits, which keeps upstream commands from running ahead). Exactly one of the
        /// handlers later runs on the pipeline thread; a cancellation caused by a stop runs neither.
        /// </summary>
        public void Start<T>(Func<CancellationToken, Task<T>> work, Action<T> onResult, Action<Exception> onError)
        {
            DispatchUntil(() => _open < Math.Max(1, Limit));
            var sequence = _nextSequence++;
            _open++;
            Launch(sequence, work, onResult, ex =>
            {
                if (ex is OperationCanceledException && _stop.IsCancellationRequested) return;
                onError(ex);
            });
        }

        /// <summary>
        /// Runs one piece of work (not a record: no place, no order) and dispatches until it is
        /// done; returns its result or rethrows its exception. A stop surfaces as <see cref="PipelineStoppedException"/>.
        /// </summary>
        public T Run<T>(Func<CancellationToken, Task<T>> work)
        {
            var done = false;
            var result = default(T)!;
            Exception? error = null;
            Launch(-1, work, value =>
            {
                result = value;
                done = true;
            }, ex =>
            {
                error = ex;
                done = true;
            });
            DispatchUntil(() => done);
            if (error != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
            return result;
        }

        /// <summary>Writes what has arrived, then waits (dispatching) until at most <paramref name="open"/> records are open.</summary>
        public void Drive(int open) => DispatchUntil(() => _open <= open);

        /// <summary>
        /// Handles messages on the pipeline thread until <paramref name="done"/> holds. A stop
        /// ends it with <see cref="PipelineStoppedException"/> once the workers have finished; a
        /// write that throws (the pipeline is stopping, or a downstream command failed or has
        /// all it wants) cancels the rest, waits for them, and lets the exception through.
        /// </summary>
        public void DispatchUntil(Func<bool> done)
        {
            try
            {
                while (true)
                {
                    while (!_stop.IsCancellationRequested && _inbox.TryTake(out var ready)) Deliver(ready);
                    if (_stop.IsCancellationRequested) break;
                    if (done()) return;
                    EngineMessage next;
                    try
                    {
                        if (!_inbox.TryTake(out next!, (int)ProgressRefresh.TotalMilliseconds, _stop.Token))
                        {
                            RefreshProgress();
                            continue;
                        }
                    }
                    catch (OperationCanceledException) { break; }
                    Deliver(next);
                }
            }
            catch
            {
                var abandoned = _open > 0;
                Cancel();
                WaitForWorkers(StopGrace);
                if (abandoned) Abandoned?.Invoke();
                throw;
            }
            // Stopped: the pipeline thread leaves only once the cancelled work has finished,
            // because the engine completes a stopped pipeline as soon as this thread is done.
            WaitForWorkers(StopGrace);
            throw new PipelineStoppedException();
        }

        /// <summary>How long a stop waits for cancelled work to cancel its remote requests.</summary>
        public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(15);

        private void Launch<T>(int sequence, Func<CancellationToken, Task<T>> work, Action<T> onResult, Action<Exception> onError)
        {
            var token = _stop.Token;
            Task? worker = null;
            worker = Task.Run(async () =>
            {
                // The shared client logs through RoutingLog; point this flow at this command.
                RoutingLog.Current.Value = _log;
                EngineMessage finished;
                try
                {
                    var value = await work(token).ConfigureAwait(false);
                    finished = EngineMessage.Done(sequence, () => onResult(value));
                }
                catch (Exception ex)
                {
                    finished = EngineMessage.Done(sequence, () => onError(ex));
                }
                await HandOverAsync(finished, token).ConfigureAwait(false);
            });
            worker.ContinueWith(t => _workers.TryRemove(t, out _), TaskScheduler.Default);
            _workers[worker] = 0;
            if (worker.IsCompleted) _workers.TryRemove(worker, out _);
        }

        /// <summary>Queues a completion and waits until the pipeline thread has written it, or the command stops.</summary>
        private async Task HandOverAsync(EngineMessage message, CancellationToken token)
        {
            if (token.IsCancellationRequested) return;
            using (token.Register(() => message.Ack!.TrySetCanceled()))
            {
                _inbox.Add(message);
                try { await message.Ack!.Task.ConfigureAwait(false); }
                catch (OperationCanceledException) { }
            }
        }

        /// <summary>Writes a progress record (pipeline thread) and keeps track of the bars still shown.</summary>
        public void WriteProgress(ProgressRecord record)
        {
            if (record.RecordType == ProgressRecordType.Completed) _liveBars.Remove(record.ActivityId);
            else _liveBars[record.ActivityId] = record;
            _cmdlet.WriteProgress(record);
            _sinceProgress.Restart();
        }

        /// <summary>Writes one shown bar again, as it stands, when none was written for a while: the host then draws every bar's latest state.</summary>
        private void RefreshProgress()
        {
            if (_liveBars.Count == 0 || _sinceProgress.Elapsed < ProgressRefresh) return;
            WriteProgress(_liveBars.Values.Last());
        }

        private void Deliver(EngineMessage message)
        {
            var text = message.Payload as string ?? string.Empty;
            switch (message.Kind)
            {
                case MessageKind.Verbose: _cmdlet.WriteVerbose(text); break;
                case MessageKind.Debug: _cmdlet.WriteDebug(text); break;
                case MessageKind.Warning: _cmdlet.WriteWarning(text); break;
                case MessageKind.Progress: WriteProgress((ProgressRecord)message.Payload!); break;
                case MessageKind.Completion when message.Sequence < 0 || !Ordered:
                    Complete(message);
                    break;
                case MessageKind.Completion:
                    // -Ordered: a record that finished early waits here, holding its place, until
                    // every record before it has been written.
                    _held[message.Sequence] = message;
                    while (_held.TryGetValue(_nextToEmit, out var next))
                    {
                        _held.Remove(_nextToEmit);
                        _nextToEmit++;
                        Complete(next);
                    }
                    break;
            }
        }

        private void Complete(EngineMessage message)
        {
            try
            {
                message.Completion!();
            }
            finally
            {
                if (message.Sequence >= 0) _open--;
                // Only now may the worker end and its place go to the next record.
                message.Ack!.TrySetResult(true);
            }
        }

        /// <summary>Unhooks the pipeline's stop token. The token source is left to the GC: workers that outlived a stop's grace may still read it.</summary>
        public void Dispose() => _pipelineStop.Dispose();

        /// <summary>The client's log lines for flows this engine runs.</summary>
        private sealed class EngineLog : IFalLog
        {
            private readonly CmdletEngine _engine;
            public EngineLog(CmdletEngine engine) => _engine = engine;
            public void Verbose(string message) => _engine.Post(MessageKind.Verbose, message);
            public void Debug(string message) => _engine.Post(MessageKind.Debug, message);
        }
    }
}
