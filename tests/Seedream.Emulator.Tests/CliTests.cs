using System;
using System.Diagnostics;
using System.IO;
using System.Net.Http;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace Seedream.Emulator.Tests;

public class CliTests
{
    /// <summary>The same dotnet host that runs the tests (the SDK exports its path), else the one on PATH.</summary>
    private static ProcessStartInfo DotnetStartInfo() =>
        new(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

    [Fact]
    public void Parse_without_arguments_gives_the_documented_defaults()
    {
        var o = EmulatorOptions.Parse([]);
        Assert.Equal("http://127.0.0.1:0", o.Urls);
        Assert.Equal(1500, o.ProcessingMs);
        Assert.Equal(2, o.Runners);
        Assert.Null(o.RequireKey);
        Assert.Equal(1000, o.PingMs);
    }

    [Fact]
    public void Parse_reads_every_option_in_both_spellings()
    {
        var o = EmulatorOptions.Parse(["--urls", "http://127.0.0.1:5123", "--processing-ms=200", "--runners", "4", "--require-key", "abc:def", "--ping-ms=50"]);
        Assert.Equal("http://127.0.0.1:5123", o.Urls);
        Assert.Equal(200, o.ProcessingMs);
        Assert.Equal(4, o.Runners);
        Assert.Equal("abc:def", o.RequireKey);
        Assert.Equal(50, o.PingMs);
        Assert.Equal("http://localhost:0", EmulatorOptions.Parse(["--urls", "http://localhost:0"]).Urls);
    }

    [Theory]
    [InlineData("--runners", "0")]
    [InlineData("--runners", "two")]
    [InlineData("--processing-ms", "-1")]
    [InlineData("--processing-ms", "1.5")]
    [InlineData("--ping-ms", "5")]
    [InlineData("--urls", "http://10.1.2.3:8080")]
    [InlineData("--urls", "http://0.0.0.0:8080")]
    [InlineData("--urls", "https://127.0.0.1:8443")]
    [InlineData("--urls", "not a url")]
    [InlineData("--require-key", "")]
    [InlineData("--bogus", "1")]
    public void Parse_rejects_bad_values_with_a_message_naming_the_option(string name, string value)
    {
        var ex = Assert.Throws<ArgumentException>(() => EmulatorOptions.Parse([name, value]));
        Assert.Contains(name, ex.Message);
    }

    [Fact]
    public void Parse_rejects_an_option_without_its_value()
    {
        var ex = Assert.Throws<ArgumentException>(() => EmulatorOptions.Parse(["--runners"]));
        Assert.Contains("needs a value", ex.Message);
        Assert.Throws<ArgumentException>(() => EmulatorOptions.Parse(["--runners", "--ping-ms", "100"]));
    }

    [Fact]
    public async Task Cli_exits_with_code_2_on_bad_options()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await EmulatorCli.RunAsync(["--runners", "-3"], stdout, stderr, CancellationToken.None);
        Assert.Equal(2, code);
        Assert.Contains("--runners", stderr.ToString());
        Assert.Equal("", stdout.ToString());
    }

    [Fact]
    public async Task Cli_prints_the_listening_line_and_serves_until_stopped()
    {
        var stdout = new StringWriter();
        using var stop = new CancellationTokenSource();
        var run = EmulatorCli.RunAsync(["--processing-ms", "100"], stdout, TextWriter.Null, stop.Token);
        var line = "";
        for (var i = 0; i < 200 && !line.Contains('\n'); i++)
        {
            await Task.Delay(20);
            line = stdout.ToString();
        }

        var match = Regex.Match(line, @"^Seedream fal emulator listening on http://127\.0\.0\.1:(\d+)\r?\n$");
        Assert.True(match.Success, $"unexpected stdout: '{line}'");
        using var http = new HttpClient();
        var stats = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{match.Groups[1].Value}/_emulator/stats")).RootElement;
        Assert.Equal(0, stats.GetProperty("submitted").GetInt32());

        stop.Cancel();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetStringAsync($"http://127.0.0.1:{match.Groups[1].Value}/_emulator/stats"));
    }

    [Fact]
    public async Task Real_process_prints_its_port_and_stops_on_sigterm()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Seedream.Emulator.dll");
        Assert.True(File.Exists(dll), dll);
        var psi = DotnetStartInfo();
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--ping-ms");
        psi.ArgumentList.Add("100");
        using var process = Process.Start(psi)!;
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
            var match = Regex.Match(line ?? "", @"^Seedream fal emulator listening on http://127\.0\.0\.1:(\d+)$");
            Assert.True(match.Success, $"unexpected first line: '{line}'");
            using var http = new HttpClient();
            Assert.Contains("\"submitted\":0", await http.GetStringAsync($"http://127.0.0.1:{match.Groups[1].Value}/_emulator/stats"));

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) await kill.WaitForExitAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(0, process.ExitCode);
            Assert.Equal("", await process.StandardOutput.ReadToEndAsync()); // exactly one line on stdout
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Dispose_deletes_the_storage_directory()
    {
        var emulator = await FalEmulator.StartAsync(new EmulatorOptions { ProcessingMs = 10 });
        var dir = emulator.StorageDirectory;
        Assert.True(Directory.Exists(dir));
        await emulator.DisposeAsync();
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public async Task Real_process_exits_with_code_2_on_a_bad_value()
    {
        var psi = DotnetStartInfo();
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Seedream.Emulator.dll"));
        psi.ArgumentList.Add("--processing-ms");
        psi.ArgumentList.Add("fast");
        using var process = Process.Start(psi)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("--processing-ms", stderr);
    }
}
