using System.Runtime.InteropServices;

namespace Seedream.Emulator;

/// <summary>Command-line front end; testable without a process (exit code 2 = bad options).</summary>
public static class EmulatorCli
{
    public const int ExitOk = 0;
    public const int ExitStartFailed = 1;
    public const int ExitBadOptions = 2;

    /// <summary>
    /// Parses <paramref name="args"/>, starts the emulator, prints exactly one line
    /// <c>Seedream fal emulator listening on http://127.0.0.1:PORT</c> and serves until <paramref name="stop"/>.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken stop)
    {
        if (args.Any(a => a is "--help" or "-h" or "-?"))
        {
            await stdout.WriteLineAsync(EmulatorOptions.Usage + "\n\n" + SeedreamEndpoints.Describe()).ConfigureAwait(false);
            return ExitOk;
        }

        EmulatorOptions options;
        try
        {
            options = EmulatorOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await stderr.WriteLineAsync("Seedream.Emulator: " + ex.Message).ConfigureAwait(false);
            await stderr.WriteLineAsync(EmulatorOptions.Usage).ConfigureAwait(false);
            return ExitBadOptions;
        }

        FalEmulator emulator;
        try
        {
            emulator = await FalEmulator.StartAsync(options, stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException)
        {
            await stderr.WriteLineAsync("Seedream.Emulator: could not start: " + ex.Message).ConfigureAwait(false);
            return ExitStartFailed;
        }

        await using (emulator.ConfigureAwait(false))
        {
            // Scripts parse this exact line to find the port.
            await stdout.WriteLineAsync($"Seedream fal emulator listening on {emulator.BaseUrl.GetLeftPart(UriPartial.Authority)}").ConfigureAwait(false);
            await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            try { await Task.Delay(Timeout.Infinite, stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }

        return ExitOk;
    }
}

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // we shut down ourselves (and delete the temp directory)
            stop.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        return await EmulatorCli.RunAsync(args, Console.Out, Console.Error, stop.Token).ConfigureAwait(false);
    }
}
