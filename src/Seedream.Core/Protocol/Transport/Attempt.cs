namespace Seedream.Protocol.Transport
{
    /// <summary>
    /// One attempt of a call on its way through the stages: the call, the caller's token, and the
    /// attempt's own deadline (armed by <see cref="TimeoutStage"/>, re-armed as a transfer moves).
    /// </summary>
    internal sealed class Attempt : IDisposable
    {
        private readonly CancellationTokenSource _deadline;
        private TimeSpan _timeout = System.Threading.Timeout.InfiniteTimeSpan;
        private int _lastArmed;

        public Attempt(FalCall call, string what, CancellationToken caller)
        {
            Call = call;
            What = what;
            Caller = caller;
            _deadline = CancellationTokenSource.CreateLinkedTokenSource(caller);
        }

        public FalCall Call { get; }

        /// <summary>The request as logs and error messages name it (no query string, no key).</summary>
        public string What { get; }

        public CancellationToken Caller { get; }

        /// <summary>Cancelled by the caller or when the deadline passes.</summary>
        public CancellationToken Token => _deadline.Token;

        /// <summary>Starts the deadline: the attempt is abandoned after <paramref name="timeout"/>.</summary>
        public void Arm(TimeSpan timeout)
        {
            _timeout = timeout;
            _lastArmed = Environment.TickCount;
            SetDeadline(timeout);
        }

        /// <summary>Bytes moved: the deadline starts over (at most once a second; re-arming a timer per chunk is wasteful).</summary>
        public void Progress()
        {
            if (_timeout == System.Threading.Timeout.InfiniteTimeSpan) return;
            var now = Environment.TickCount;
            if (unchecked(now - Volatile.Read(ref _lastArmed)) < 1000) return;
            Volatile.Write(ref _lastArmed, now);
            SetDeadline(_timeout);
        }

        /// <summary>No deadline from now on (a stream that stays open by design).</summary>
        public void Disarm()
        {
            _timeout = System.Threading.Timeout.InfiniteTimeSpan;
            SetDeadline(System.Threading.Timeout.InfiniteTimeSpan);
        }

        private void SetDeadline(TimeSpan timeout)
        {
            // A transfer may report progress after the attempt ended.
            try { _deadline.CancelAfter(timeout); } catch (ObjectDisposedException) { }
        }

        public void Dispose() => _deadline.Dispose();
    }
}
