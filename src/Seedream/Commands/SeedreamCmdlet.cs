namespace Seedream.Commands
{
    /// <summary>
    /// Base of every Seedream cmdlet. Async work runs on the one engine (<see cref="CmdletEngine"/>):
    /// workers off the pipeline thread, their writes (results, errors, Verbose, Debug, Warning,
    /// Progress) handed back as typed messages and written on the pipeline thread, because
    /// PowerShell allows Write* only there. Ctrl+C cancels every worker and waits for it.
    /// </summary>
    public abstract class SeedreamCmdlet : PSCmdlet, IDisposable
    {
        private CmdletEngine? _engine;
        private SeedreamSession? _session;

        /// <summary>The engine of this command, made on first use (on the pipeline thread).</summary>
        private protected CmdletEngine Engine
        {
            get
            {
                if (_engine != null) return _engine;
                _engine = new CmdletEngine(this) { Limit = Math.Max(1, Throttle), Ordered = KeepInputOrder, Abandoned = WriteStopNote };
                return _engine;
            }
        }

        protected override void StopProcessing()
        {
            var inFlight = _engine != null && _engine.Open > 0;
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

        /// <summary>
        /// Cancels the work and waits (bounded) until every worker has finished: cancelled jobs
        /// cancel their remote requests on the way out, and Ctrl+C must not return before they
        /// have. Called from StopProcessing (the engine's thread); the dispatcher does the same
        /// on the pipeline thread before it leaves the command.
        /// </summary>
        private void CancelAndWaitForWorkers()
        {
            if (_engine == null) return;
            _engine.Cancel();
            _engine.WaitForWorkers(CmdletEngine.StopGrace);
        }

        // ------------------------------------------------------------ concurrent records

        /// <summary>How many records may be worked on at once (the cmdlet's -ThrottleLimit).</summary>
        protected virtual int Throttle => 1;

        /// <summary>Emit results in input order instead of completion order.</summary>
        protected virtual bool KeepInputOrder => false;

        /// <summary>
        /// Starts one record's work concurrently with others (at most <see cref="Throttle"/> open
        /// at once, counting results not yet written) and hands its result or error to the
        /// handlers on the pipeline thread. Blocks while the throttle is full, which keeps
        /// upstream commands from running far ahead.
        /// </summary>
        protected void Enqueue<T>(Func<CancellationToken, Task<T>> work, Action<T> onResult, Action<Exception> onError) =>
            Engine.Start(work, onResult, onError);

        /// <summary>Writes what finished so far and waits until at most <paramref name="below"/> records are open.</summary>
        protected void Drive(int below) => _engine?.Drive(below);

        /// <summary>Finishes every open record; call from EndProcessing.</summary>
        protected void DriveToEnd() => Drive(0);

        /// <summary>
        /// Runs <paramref name="work"/> off the pipeline thread and, until it finishes, writes here
        /// what it posts. Rethrows the work's exception; a stop surfaces as <see cref="PipelineStoppedException"/>.
        /// </summary>
        protected T RunAsync<T>(Func<CancellationToken, Task<T>> work) => Engine.Run(work);

        /// <summary>Writes a Verbose line from any thread (in order with the command's other writes).</summary>
        protected void PostVerbose(string message) => Engine.Post(MessageKind.Verbose, message);

        /// <summary>Writes a warning from any thread.</summary>
        protected void PostWarning(string message) => Engine.Post(MessageKind.Warning, message);

        /// <summary>Writes a progress record from any thread.</summary>
        protected void PostProgress(ProgressRecord record) => Engine.Post(MessageKind.Progress, record);

        /// <summary>
        /// Writes progress on the pipeline thread through the engine, which keeps the bars drawn
        /// during long waits (hides Cmdlet.WriteProgress so every bar of a Seedream cmdlet goes this way).
        /// </summary>
        protected new void WriteProgress(ProgressRecord record) => Engine.WriteProgress(record);

        public void Dispose()
        {
            // PowerShell may dispose a stopped command before (or instead of) calling
            // StopProcessing: whatever is still running must be told to stop first.
            CancelAndWaitForWorkers();
            _engine?.Dispose();
            ReleaseResources();
            GC.SuppressFinalize(this);
        }

        /// <summary>
        /// The session for this runspace, or null when no key is configured. A bad
        /// SEEDREAM_PROXY_URL comes back as <paramref name="proxyError"/> (with the same ErrorIds for
        /// every cmdlet); the caller decides whether it terminates.
        /// </summary>
        private protected static SeedreamSession? FindSession(out ErrorRecord? proxyError)
        {
            proxyError = null;
            try
            {
                return SessionStore.Current(Runspace.DefaultRunspace);
            }
            catch (InsecureEndpointException ex)
            {
                proxyError = Errors.InsecureProxyUrl.Record(ex, Environment.GetEnvironmentVariable(SessionStore.ProxyEnvironmentVariable));
            }
            catch (ArgumentException ex)
            {
                proxyError = Errors.InvalidProxyUrl.Record(ex, Environment.GetEnvironmentVariable(SessionStore.ProxyEnvironmentVariable));
            }
            return null;
        }

        /// <summary>The session for this runspace; a terminating error when no key is configured.</summary>
        protected SeedreamSession Session
        {
            get
            {
                if (_session != null) return _session;
                var s = FindSession(out var proxyError);
                if (proxyError != null) ThrowTerminatingError(proxyError);
                if (s == null)
                    ThrowTerminatingError(Errors.ApiKeyMissing.Record(new SeedreamException(FalCredentials.DescribeMissing()), null));
                // ThrowTerminatingError never returns, so s is set here.
                _session = s!;
                return _session;
            }
        }

        /// <summary>Writes a non-terminating error for a client failure.</summary>
        protected void WriteFailure(Exception ex, object? target) => WriteError(ErrorFactory.FromException(ex, target));
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
