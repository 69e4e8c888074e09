using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Threading;
using System.Threading.Tasks;
using Seedream.Commands.Internal;
using Seedream.Commands.Session;
using Seedream.Protocol;

namespace Seedream.Commands
{
    /// <summary>
    /// Base of every Seedream cmdlet. Async work runs off the pipeline thread; everything it wants to
    /// write (Verbose, Debug, Progress, Warning) is posted back and written on the pipeline thread,
    /// because PowerShell allows Write* only there. Ctrl+C cancels the token the work observes.
    /// </summary>
    public abstract class SeedreamCmdlet : PSCmdlet, IDisposable
    {
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private BlockingCollection<Action>? _queue;
        private SeedreamSession? _session;

        /// <summary>Cancelled when the pipeline is stopped (Ctrl+C).</summary>
        protected CancellationToken StopToken => _stop.Token;

        protected override void StopProcessing()
        {
            var inFlight = _pump != null && _pump.Pending > 0;
            CancelAndWaitForWorkers();
            if (inFlight) WriteStopNote();
        }

        /// <summary>What a stop did to the remote work in flight (said once, on the host: the pipeline's streams are closing).</summary>
        protected virtual string? StopNote => null;

        private int _stopNoteWritten;

        private void WriteStopNote()
        {
            var note = StopNote;
            if (note == null || Interlocked.Exchange(ref _stopNoteWritten, 1) == 1) return;
            try { Host?.UI?.WriteWarningLine(note); }
            catch (Exception) { /* a host that cannot write now: the help says the same */ }
        }

        /// <summary>Releases what the command holds (a journal) once its workers are done; called from Dispose.</summary>
        protected virtual void ReleaseResources() { }

        /// <summary>How long a stop waits for cancelled work to cancel its remote requests.</summary>
        private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(15);

        /// <summary>
        /// Cancels the work and waits (bounded, in case the server does not answer) until every
        /// worker has finished: cancelled jobs cancel their remote requests on the way out, and
        /// Ctrl+C must not return before they have. Called from StopProcessing (the engine's
        /// thread) and again on the pipeline thread before it leaves the command, because the
        /// engine completes a stopped pipeline as soon as the pipeline thread is done, whether or
        /// not StopProcessing has returned.
        /// </summary>
        private void CancelAndWaitForWorkers()
        {
            try { _stop.Cancel(); } catch (ObjectDisposedException) { }
            _pump?.WaitForWorkers(StopGrace);
        }

        // ------------------------------------------------------------ concurrent records

        private WorkPump? _pump;
        private int _nextSequence;
        private int _nextToEmit;
        private readonly SortedDictionary<int, Action> _held = new SortedDictionary<int, Action>();

        /// <summary>How many records may be worked on at once (the cmdlet's -ThrottleLimit).</summary>
        protected virtual int Throttle => 1;

        /// <summary>Emit results in input order instead of completion order.</summary>
        protected virtual bool KeepInputOrder => false;

        /// <summary>The pump for concurrent records; its Post writes on the pipeline thread.</summary>
        private protected WorkPump Pump => _pump ??= new WorkPump(Math.Max(1, Throttle), this);

        /// <summary>
        /// Starts one record's work concurrently with others (at most <see cref="Throttle"/> at once)
        /// and hands its result or error to the callbacks on the pipeline thread. Blocks while the
        /// throttle is full, which keeps upstream commands from running far ahead.
        /// </summary>
        protected void Enqueue<T>(Func<CancellationToken, Task<T>> work, Action<T> onResult, Action<Exception> onError)
        {
            var sequence = _nextSequence++;
            Pump.Start(work,
                result => Emit(sequence, () => onResult(result)),
                ex => Emit(sequence, () =>
                {
                    if (ex is OperationCanceledException && _stop.IsCancellationRequested) return;
                    onError(ex);
                }),
                _stop.Token);
            Drive(Math.Max(1, Throttle));
        }

        /// <summary>Writes what finished so far and waits until fewer than <paramref name="below"/> + 1 records are open.</summary>
        protected void Drive(int below)
        {
            if (_pump == null) return;
            try
            {
                _pump.WaitBelow(below);
            }
            catch
            {
                // A Write* threw (the pipeline is stopping or a downstream command failed): stop the
                // rest, let them cancel their remote requests, then let the exception through.
                var inFlight = _pump.Pending > 0;
                CancelAndWaitForWorkers();
                if (inFlight) WriteStopNote();
                throw;
            }
            if (_stop.IsCancellationRequested)
            {
                // Stopped: the pipeline thread leaves only once the cancelled work has finished.
                CancelAndWaitForWorkers();
                throw new PipelineStoppedException();
            }
        }

        /// <summary>Finishes every open record; call from EndProcessing.</summary>
        protected void DriveToEnd() => Drive(0);

        private void Emit(int sequence, Action write)
        {
            if (!KeepInputOrder)
            {
                write();
                return;
            }
            _held[sequence] = write;
            while (_held.TryGetValue(_nextToEmit, out var next))
            {
                _held.Remove(_nextToEmit);
                _nextToEmit++;
                next();
            }
        }

        public void Dispose()
        {
            // PowerShell may dispose a stopped command before (or instead of) calling
            // StopProcessing: whatever is still running must be told to stop first.
            try
            {
                CancelAndWaitForWorkers();
                _stop.Dispose();
            }
            catch (ObjectDisposedException) { }
            ReleaseResources();
            GC.SuppressFinalize(this);
        }

        /// <summary>The session for this runspace; a terminating error when no key is configured.</summary>
        protected SeedreamSession Session
        {
            get
            {
                if (_session != null) return _session;
                SeedreamSession? s;
                try
                {
                    s = SessionStore.Current(Runspace.DefaultRunspace);
                }
                catch (InsecureEndpointException ex)
                {
                    ThrowTerminatingError(Errors.InsecureProxyUrl.Record(ex, Environment.GetEnvironmentVariable(SessionStore.ProxyEnvironmentVariable)));
                    throw;
                }
                catch (ArgumentException ex)
                {
                    ThrowTerminatingError(Errors.InvalidProxyUrl.Record(ex, Environment.GetEnvironmentVariable(SessionStore.ProxyEnvironmentVariable)));
                    throw;
                }
                if (s == null)
                {
                    ThrowTerminatingError(Errors.ApiKeyMissing.Record(new SeedreamException(FalCredentials.DescribeMissing()), null));
                }
                _session = s;
                return s;
            }
        }

        /// <summary>
        /// Runs <paramref name="work"/> on the thread pool and, until it finishes, executes on this
        /// (pipeline) thread whatever it posts. Rethrows the work's exception; a stop surfaces as
        /// <see cref="PipelineStoppedException"/>.
        /// </summary>
        protected T RunAsync<T>(Func<CancellationToken, Task<T>> work)
        {
            var queue = new BlockingCollection<Action>();
            var outer = _queue;
            _queue = queue;
            var log = new CmdletLog(this);
            var token = _stop.Token;
            var task = Task.Run(async () =>
            {
                RoutingLog.Current.Value = log;
                return await work(token).ConfigureAwait(false);
            });
            task.ContinueWith(_ => queue.CompleteAdding(), TaskScheduler.Default);
            try
            {
                foreach (var action in queue.GetConsumingEnumerable()) action();
            }
            catch
            {
                // A Write* failed (usually because the pipeline is stopping): stop the work too.
                StopProcessing();
                try { task.Wait(); } catch (AggregateException) { }
                throw;
            }
            finally
            {
                _queue = outer;
            }
            if (_stop.IsCancellationRequested && (task.IsCanceled || task.Exception?.InnerException is OperationCanceledException))
                throw new PipelineStoppedException();
            return task.GetAwaiter().GetResult();
        }

        /// <summary>Queues an action for the pipeline thread (safe from any thread).</summary>
        protected void Post(Action action)
        {
            var q = _queue;
            if (q == null) return;
            try { q.Add(action); }
            catch (InvalidOperationException) { }
        }

        protected void PostVerbose(string message) => Post(() => WriteVerbose(message));
        protected void PostProgress(ProgressRecord record) => Post(() => WriteProgress(record));

        /// <summary>Writes a non-terminating error for a client failure.</summary>
        protected void WriteFailure(Exception ex, object? target) => WriteError(ErrorFactory.FromException(ex, target));

        private sealed class CmdletLog : IFalLog
        {
            private readonly SeedreamCmdlet _cmdlet;
            public CmdletLog(SeedreamCmdlet cmdlet) => _cmdlet = cmdlet;
            public void Verbose(string message) => _cmdlet.PostVerbose(message);
            public void Debug(string message) => _cmdlet.Post(() => _cmdlet.WriteDebug(message));
        }
    }

    /// <summary>
    /// A cmdlet whose pipeline records are worked on concurrently: -ThrottleLimit of them at once,
    /// results emitted as they complete unless -Ordered.
    /// </summary>
    public abstract class ConcurrentCmdletBase : SeedreamCmdlet
    {
        /// <summary>How many pipeline records are worked on at once.</summary>
        [Parameter]
        [ValidateRange(1, 64)]
        public int ThrottleLimit { get; set; } = 4;

        /// <summary>Emit in input order (by default each record's result is emitted as it completes).</summary>
        [Parameter]
        public SwitchParameter Ordered { get; set; }

        protected override int Throttle => ThrottleLimit;
        protected override bool KeepInputOrder => Ordered.IsPresent;
    }

    /// <summary>
    /// The client's log sink: forwards to whichever cmdlet is running the current async flow, so
    /// one shared client writes each line to the right command's Verbose stream.
    /// </summary>
    internal sealed class RoutingLog : IFalLog
    {
        public static readonly RoutingLog Instance = new RoutingLog();
        public static readonly AsyncLocal<IFalLog?> Current = new AsyncLocal<IFalLog?>();
        public void Verbose(string message) => Current.Value?.Verbose(message);
        public void Debug(string message) => Current.Value?.Debug(message);
    }
}
