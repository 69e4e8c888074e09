namespace Seedream.Protocol
{
    /// <summary>One server-sent event: its data lines joined with "\n", and its event name.</summary>
    public sealed class SseEvent
    {
        public SseEvent(string? eventName, string data)
        {
            EventName = eventName;
            Data = data;
        }

        public string? EventName { get; }
        public string Data { get; }
    }

    /// <summary>
    /// Incremental text/event-stream parser: feed it bytes as they arrive, take events out.
    /// Comment lines (<c>: ping</c>) are counted, not returned. Lines and events are bounded so a
    /// hostile server cannot make it buffer without limit.
    /// </summary>
    public sealed class SseParser
    {
        private readonly int _maxLineBytes;
        private readonly int _maxEventBytes;
        private readonly List<byte> _line = new List<byte>(256);
        private readonly StringBuilder _data = new StringBuilder();
        private bool _hasData;
        private string? _eventName;
        private bool _lastWasCr;

        public SseParser(int maxLineBytes = 4 * 1024 * 1024, int maxEventBytes = 8 * 1024 * 1024)
        {
            _maxLineBytes = maxLineBytes;
            _maxEventBytes = maxEventBytes;
        }

        /// <summary>Comment lines seen so far (keep-alive pings).</summary>
        public int Comments { get; private set; }

        /// <summary>Feeds bytes; completed events are appended to <paramref name="events"/>.</summary>
        /// <exception cref="FormatException">A line or event exceeded its bound.</exception>
        public void Feed(byte[] buffer, int offset, int count, List<SseEvent> events)
        {
            for (var i = offset; i < offset + count; i++)
            {
                var b = buffer[i];
                if (b == (byte)'\n')
                {
                    if (_lastWasCr) { _lastWasCr = false; continue; }
                    EndLine(events);
                }
                else if (b == (byte)'\r')
                {
                    _lastWasCr = true;
                    EndLine(events);
                }
                else
                {
                    _lastWasCr = false;
                    if (_line.Count >= _maxLineBytes) throw new FormatException($"A status stream line exceeded {_maxLineBytes} bytes.");
                    _line.Add(b);
                }
            }
        }

        private void EndLine(List<SseEvent> events)
        {
            var text = Encoding.UTF8.GetString(_line.ToArray());
            _line.Clear();
            if (text.Length == 0)
            {
                if (_hasData) events.Add(new SseEvent(_eventName, _data.ToString()));
                _data.Clear();
                _hasData = false;
                _eventName = null;
                return;
            }
            if (text[0] == ':')
            {
                Comments++;
                return;
            }
            var colon = text.IndexOf(':');
            var field = colon < 0 ? text : text.Substring(0, colon);
            var value = colon < 0 ? string.Empty : text.Substring(colon + 1);
            if (value.StartsWith(" ", StringComparison.Ordinal)) value = value.Substring(1);
            switch (field)
            {
                case "data":
                    if (_hasData) _data.Append('\n');
                    _data.Append(value);
                    _hasData = true;
                    if (_data.Length > _maxEventBytes) throw new FormatException($"A status stream event exceeded {_maxEventBytes} bytes.");
                    break;
                case "event":
                    _eventName = value;
                    break;
                // id and retry are not used by fal's status stream.
            }
        }
    }
}
