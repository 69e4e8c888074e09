using System.Net;

namespace Seedream.Emulator;

/// <summary>Settings of one emulator instance; <see cref="Parse"/> reads them from the command line.</summary>
public sealed class EmulatorOptions
{
    /// <summary>Semicolon-separated http URLs to bind; loopback hosts only, port 0 picks a free port.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:0";

    /// <summary>Simulated model time per generation job, in milliseconds.</summary>
    public int ProcessingMs { get; set; } = 1500;

    /// <summary>Jobs that run at the same time; further jobs wait IN_QUEUE.</summary>
    public int Runners { get; set; } = 2;

    /// <summary>When set, every proxy request must carry <c>Authorization: Key {RequireKey}</c>.</summary>
    public string? RequireKey { get; set; }

    /// <summary>Interval of <c>: ping</c> keep-alive comments on status streams, in milliseconds.</summary>
    public int PingMs { get; set; } = 1000;

    /// <summary>Webhook deliveries retried after the first attempt fails (fal retries 10 times over 2 h).</summary>
    public int WebhookRetries { get; set; } = 3;

    /// <summary>Delay before the first webhook retry, in milliseconds; doubles per retry.</summary>
    public int WebhookRetryMs { get; set; } = 500;

    /// <summary>Share of requests (0..1) that get a fault; 0 turns fault injection off. See <see cref="FaultInjector"/>.</summary>
    public double FaultRate { get; set; }

    /// <summary>Which faults may be injected; null means every kind.</summary>
    public IReadOnlyCollection<FaultKind>? FaultKinds { get; set; }

    /// <summary>Seed of the fault draws: the same seed gives every route the same sequence of faults.</summary>
    public int? FaultSeed { get; set; }

    /// <summary>How long a <c>slow</c> fault holds back the answer, in milliseconds.</summary>
    public int FaultSlowMs { get; set; } = 3000;

    /// <summary>
    /// Storage PUTs (whole files and parts) are read at most this fast, in bytes per second per
    /// request; 0 = as fast as the network. Lets a test stop uploads that are still moving.
    /// </summary>
    public int UploadBytesPerSecond { get; set; }

    public const string Usage =
        "Usage: Seedream.Emulator [--urls http://127.0.0.1:PORT] [--processing-ms N] [--runners N] [--require-key KEY] [--ping-ms N]\n" +
        "                         [--webhook-retries N] [--webhook-retry-ms N]\n" +
        "                         [--fault-rate R] [--fault-kinds LIST] [--fault-seed N] [--fault-slow-ms N]\n" +
        "                         [--upload-bytes-per-sec N]\n" +
        "  --urls URL[;URL]   loopback http URL(s) to listen on (default http://127.0.0.1:0 = free port)\n" +
        "  --processing-ms N  simulated model time per job in ms, 0..3600000 (default 1500)\n" +
        "  --runners N        concurrent runners, 1..256 (default 2)\n" +
        "  --require-key KEY  answer 401 unless proxy requests carry 'Authorization: Key KEY'\n" +
        "  --ping-ms N        SSE keep-alive interval in ms, 10..600000 (default 1000)\n" +
        "  --webhook-retries N   retries of a failed webhook delivery, 0..20 (default 3)\n" +
        "  --webhook-retry-ms N  first webhook retry delay in ms, doubling per retry, 0..600000 (default 500)\n" +
        "  --fault-rate R     share of requests that get a fault, 0..1 (default 0 = off)\n" +
        "  --fault-kinds LIST comma list of 429,500,502,503,504,reset,slow,truncated,badjson,sse-drop,upload-fail (default all)\n" +
        "                     502 and 504 each come in fal's two shapes, half and half by the seeded draw:\n" +
        "                     ingress: the proxy's nginx HTML page, no x-fal-request-id, sent before any work\n" +
        "                       (the request never reached the queue; retrying it is safe);\n" +
        "                     server: fal's JSON error {detail, error_type} naming the request in x-fal-request-id,\n" +
        "                       sent after the work (a submit has created that job).\n" +
        "                     Sources: fal_client/client.py _is_ingress_error (no x-fal-request-id, 'nginx' in the body),\n" +
        "                     docs.fal.ai/model-apis/model-endpoints/reliability (fal retries queued requests itself).\n" +
        "  --fault-seed N     seed of the fault draws, for repeatable runs (default: random)\n" +
        "  --fault-slow-ms N  delay of a 'slow' answer in ms, 0..600000 (default 3000)\n" +
        "  --upload-bytes-per-sec N  read each storage PUT at most this fast, 0..1000000000 (default 0 = unlimited)";

    /// <summary>A whole-number option: its name, its range and the property it sets.</summary>
    private sealed record WholeNumberOption(string Name, int Min, int Max, Func<EmulatorOptions, int> Get, Action<EmulatorOptions, int> Set);

    // One list for the command line and for Validate, so each range is stated once.
    private static readonly WholeNumberOption[] WholeNumberOptions =
    {
        new("--processing-ms", 0, 3_600_000, o => o.ProcessingMs, (o, v) => o.ProcessingMs = v),
        new("--runners", 1, 256, o => o.Runners, (o, v) => o.Runners = v),
        new("--ping-ms", 10, 600_000, o => o.PingMs, (o, v) => o.PingMs = v),
        new("--webhook-retries", 0, 20, o => o.WebhookRetries, (o, v) => o.WebhookRetries = v),
        new("--webhook-retry-ms", 0, 600_000, o => o.WebhookRetryMs, (o, v) => o.WebhookRetryMs = v),
        new("--fault-slow-ms", 0, 600_000, o => o.FaultSlowMs, (o, v) => o.FaultSlowMs = v),
        new("--upload-bytes-per-sec", 0, 1_000_000_000, o => o.UploadBytesPerSecond, (o, v) => o.UploadBytesPerSecond = v),
    };

    /// <summary>Reads <c>--name value</c> or <c>--name=value</c> options.</summary>
    /// <exception cref="ArgumentException">Unknown option, missing or bad value (the message says which).</exception>
    public static EmulatorOptions Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new EmulatorOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string name;
            string? value = null;
            var eq = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 2)
            {
                name = arg[..eq];
                value = arg[(eq + 1)..];
            }
            else
            {
                name = arg;
            }

            string TakeValue()
            {
                if (value is not null) return value;
                if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new ArgumentException($"Option {name} needs a value.");
                return args[++i];
            }

            if (Array.Find(WholeNumberOptions, o => o.Name == name) is { } whole)
            {
                whole.Set(options, ParseInt(name, TakeValue(), whole.Min, whole.Max));
                continue;
            }

            switch (name)
            {
                case "--urls":
                    options.Urls = TakeValue();
                    break;
                case "--require-key":
                    options.RequireKey = TakeValue();
                    break;
                case "--fault-rate":
                    options.FaultRate = FaultOptions.ParseRate(TakeValue());
                    break;
                case "--fault-kinds":
                    options.FaultKinds = FaultOptions.ParseKinds(TakeValue());
                    break;
                case "--fault-seed":
                    options.FaultSeed = ParseInt(name, TakeValue(), int.MinValue, int.MaxValue);
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{arg}'.");
            }
        }

        options.Validate();
        return options;
    }

    /// <summary>Checks values set in code the same way the command line is checked.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        foreach (var option in WholeNumberOptions)
            CheckRange(option.Name, option.Get(this), option.Min, option.Max);
        if (RequireKey is not null && (RequireKey.Length == 0 || RequireKey.Trim() != RequireKey || RequireKey.Contains(' ')))
            throw new ArgumentException("Option --require-key needs a non-empty key without spaces.");
        FaultOptions.Validate(this);
        _ = GetListenEndPoints();
    }

    /// <summary>The loopback endpoints named by <see cref="Urls"/>.</summary>
    internal IReadOnlyList<IPEndPoint> GetListenEndPoints()
    {
        var result = new List<IPEndPoint>();
        foreach (var raw in (Urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(raw, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
                throw new ArgumentException($"Option --urls: '{raw}' is not an http:// URL (https is not supported).");
            if (uri.AbsolutePath != "/" || uri.Query.Length > 0)
                throw new ArgumentException($"Option --urls: '{raw}' must not have a path or query.");
            IPAddress address;
            if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
                address = IPAddress.Loopback; // one concrete address, so the printed URL is unambiguous
            else if (!IPAddress.TryParse(uri.Host.Trim('[', ']'), out address!) || !IPAddress.IsLoopback(address))
                throw new ArgumentException($"Option --urls: '{raw}' is not a loopback address; the emulator only listens on loopback.");
            result.Add(new IPEndPoint(address, uri.Port));
        }

        if (result.Count == 0)
            throw new ArgumentException("Option --urls needs at least one URL.");
        return result;
    }

    private static int ParseInt(string name, string text, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            throw new ArgumentException($"Option {name}: '{text}' is not an integer.");
        CheckRange(name, value, min, max);
        return value;
    }

    private static void CheckRange(string name, int value, int min, int max)
    {
        if (value < min || value > max)
            throw new ArgumentException($"Option {name}: {value} is out of range ({min}..{max}).");
    }
}
