using System;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Seedream.TestSupport;

/// <summary>
/// A Kestrel server on loopback for tests: no logging, no Server header, no body size limit, a
/// port of its own (0 = any free one). <paramref name="configure"/> adds the routes.
/// </summary>
public sealed class LoopbackHost : IAsyncDisposable
{
    private LoopbackHost(WebApplication app, Uri baseUrl)
    {
        App = app;
        BaseUrl = baseUrl;
    }

    public WebApplication App { get; }

    /// <summary>The server's root, ending in a slash.</summary>
    public Uri BaseUrl { get; }

    public string Url(string path) => new Uri(BaseUrl, path).AbsoluteUri;

    public static async Task<LoopbackHost> StartAsync(Action<WebApplication> configure, int port = 0)
    {
        // An explicit content root: the module tests change the working directory.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = Array.Empty<string>(), ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null;
            k.Listen(IPAddress.Loopback, port);
        });
        var app = builder.Build();
        configure(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LoopbackHost(app, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>A loopback port that is free now (a test may bind it later, or find nobody there).</summary>
    public static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        // Requests a test left hanging (slow bodies, open streams) must not hold the test up.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await App.StopAsync(cts.Token); } catch (OperationCanceledException) { }
        await App.DisposeAsync();
    }
}
