# Shared by the Pester files (dot-sourced in BeforeAll). They test the BUILT module against the
# emulator the build produced: run `dotnet build Seedream.Module.sln` first, or ./build.ps1 -Task Test.

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
# The emulator of whichever build is there (SEEDREAM_CONFIGURATION picks one; else the newest of Debug
# and Release), so a tree built only in Release runs the tests too.
$script:Configuration = if ($env:SEEDREAM_CONFIGURATION) { $env:SEEDREAM_CONFIGURATION } else {
    $built = foreach ($c in 'Debug', 'Release') {
        $dll = Join-Path $script:RepoRoot "src/Seedream.Emulator/bin/$c/net10.0/Seedream.Emulator.dll"
        if (Test-Path $dll) { [pscustomobject]@{ Name = $c; Time = (Get-Item $dll).LastWriteTimeUtc } }
    }
    $newest = @($built | Sort-Object Time -Descending)
    if ($newest.Count -gt 0) { $newest[0].Name } else { 'Debug' }
}

# A valid 2x2 PNG: small enough to inline, real enough for the emulator's model to decode.
$script:PngBase64 = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4IScHRAwQCgAfJgQRoo8irwAAAABJRU5ErkJggg=='

# A real 16x16 JPEG and WebP, for examples that name .jpg and .webp files.
$script:JpegBase64 = '/9j/4AAQSkZJRgABAQEAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/2wBDAQMDAwQDBAgEBAgQCwkLEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBD/wAARCAAQABADASIAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAABwQF/8QAJBAAAQQBBAICAwAAAAAAAAAAAQIDBAYFBwgSExEiABQJMTL/xAAVAQEBAAAAAAAAAAAAAAAAAAAABv/EACMRAAECBQMFAAAAAAAAAAAAAAECEQMEBQYhABIxFRZhgeH/2gAMAwEAAhEDEQA/ABSm0mobc8HmExLUlRzzEWPkJWW+ulrsaUVAseUgslSlH9LKuPryIKuWPZdskzXmm3fX5m2nF4GlVxx/HOpx4ks51+MiU/Iaad7UcUo4tILoS4kqcWkezS0hO/HvuRp0rO6hWnWO1UisZVuFi4GFeyEpmGepa5S5SWVPuciFKRFLgSrwetnyPIB+Vb4N9mKhQMzo5po9XLdDs9d6ZVix2VEhiL9kuNPxw2gEKcDQ/rs8AuA8VAe0vdl7VOYn+27flGAUgmITjbhSmCg3BYlyeWDkMolvw4KOp1KM6iCNvngZHwetf//Z'
$script:WebpBase64 = 'UklGRqgBAABXRUJQVlA4WAoAAAAQAAAADwAADwAAQUxQSMMAAAABJ6KokSTleucYX+ffKpmImP90cY3gJjDi4Yt3MsjBEVyDKzDosHgVjnhRNcEIDAJPkqBqsFUZHNa2bUYvTsZ2PLbtd/uvKa4hov9J0f2PkPe6REkkGzolkTTzFG0Ox9PlFiD0CxS+kOGDtxoynjaCfx0pfk52CPuInrOR75lzRugygtv4zEiy90UwfSD9NheMITJWLaXWayO8XeOlWRXVnIGk2W6WdYoYMQ+KqixQNPowgt+6a1BSKbUtz+lUFAoBAAAAVlA4IL4AAACQAgCdASoQABAAAwA0JbACdDBPCIUMfAMdCCz96AD+/XSg/QKbH4r3Q3ycN/bSDK/T/zVo4u6nvclvG/SqxWOuup+XhN9BojvaW+Tv+MvxvX/hr/o/5Qns9LtmX/+qKdl/yWznhuasl7nkxvSTI4xf3Y85VSB/lU/8Ofj/b9JrA+ifvIOYZm2x1RP/dhfmsf5diuSfR7+z+r/+HR3zEo/+XM/B+vkYw73Pzx+ROaAB/ZoBSzEs3rzZe6qsAAAA'

$script:ManifestPath = Join-Path $script:RepoRoot 'output/Seedream/Seedream.psd1'

function Import-SeedreamModule {
    $manifest = Join-Path $script:RepoRoot 'output/Seedream/Seedream.psd1'
    if (-not (Test-Path $manifest)) { throw "The module is not built: $manifest is missing (dotnet build Seedream.Module.sln)." }
    Import-Module $manifest -Force -ErrorAction Stop
}

function Start-TestEmulator {
    [CmdletBinding()]
    param(
        [string] $Key = 'k',
        [int] $ProcessingMs = 200,
        [string] $Url = 'http://127.0.0.1:0',
        [int] $Runners = 2,
        [string[]] $ExtraArgument = @()
    )
    $dll = Join-Path $script:RepoRoot "src/Seedream.Emulator/bin/$($script:Configuration)/net10.0/Seedream.Emulator.dll"
    if (-not (Test-Path $dll)) { throw "The emulator is not built: $dll is missing." }
    $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    foreach ($argument in (@($dll, '--urls', $Url, '--require-key', $Key, '--processing-ms', "$ProcessingMs", '--runners', "$Runners", '--ping-ms', '200') + $ExtraArgument)) {
        $psi.ArgumentList.Add($argument)
    }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $process = [System.Diagnostics.Process]::Start($psi)
    # The emulator's first line names its address; port 0 let the OS pick a free one.
    $line = $process.StandardOutput.ReadLine()
    if ($line -notmatch 'listening on (http://\S+)') {
        $process.Kill($true)
        throw "The emulator did not start: $line"
    }
    $url = $Matches[1].TrimEnd('/')
    [pscustomobject]@{
        Process  = $process
        Url      = $url
        ProxyUrl = "$url/api/fal/proxy"
        Key      = $Key
    }
}

function Stop-TestEmulator {
    param($Emulator)
    if ($Emulator -and -not $Emulator.Process.HasExited) {
        $Emulator.Process.Kill($true)
        $null = $Emulator.Process.WaitForExit(5000)
    }
}

function Get-EmulatorStats {
    param($Emulator)
    Invoke-RestMethod -Uri "$($Emulator.Url)/_emulator/stats"
}

function New-TestImage {
    param([Parameter(Mandatory)] [string] $Path, [ValidateSet('png', 'jpeg', 'webp')] [string] $Kind = 'png')
    $folder = Split-Path -Parent $Path
    if (-not (Test-Path -LiteralPath $folder)) { $null = New-Item -ItemType Directory -Path $folder }
    $base64 = switch ($Kind) { 'png' { $script:PngBase64 } 'jpeg' { $script:JpegBase64 } 'webp' { $script:WebpBase64 } }
    [System.IO.File]::WriteAllBytes($Path, [Convert]::FromBase64String($base64))
    Get-Item -LiteralPath $Path
}

# The ErrorId part of a FullyQualifiedErrorId ("SeedreamImageNotFound,Seedream.Commands.X" -> "SeedreamImageNotFound").
function Get-ErrorId {
    param([Parameter(ValueFromPipeline)] $ErrorRecord)
    process { if ($null -ne $ErrorRecord) { $ErrorRecord.FullyQualifiedErrorId.Split(',')[0] } }
}

# What the emulator knows about one request, including the input body the client sent.
function Get-EmulatorJob {
    param($Emulator, [Parameter(Mandatory)] [string] $RequestId)
    Invoke-RestMethod -Uri "$($Emulator.Url)/_emulator/jobs/$RequestId"
}

# Polls until the condition is true; throws (failing the test) after TimeoutSec. No fixed sleeps decide a result.
function Wait-Condition {
    param([Parameter(Mandatory)] [scriptblock] $Condition, [double] $TimeoutSec = 20, [string] $Because = 'the condition')
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out after $TimeoutSec s waiting for $Because." }
        Start-Sleep -Milliseconds 25
    }
}

$script:SeedreamVariables = 'FAL_KEY', 'FAL_KEY_ID', 'FAL_KEY_SECRET', 'SEEDREAM_PROXY_URL'

function Save-SeedreamEnvironment {
    $saved = @{}
    foreach ($name in $script:SeedreamVariables) { $saved[$name] = [Environment]::GetEnvironmentVariable($name) }
    $saved
}

function Clear-SeedreamEnvironment {
    foreach ($name in $script:SeedreamVariables) { [Environment]::SetEnvironmentVariable($name, $null) }
}

function Restore-SeedreamEnvironment {
    param([hashtable] $Saved)
    foreach ($name in $Saved.Keys) { [Environment]::SetEnvironmentVariable($name, $Saved[$name]) }
}

# A loopback HTTP receiver standing in for a webhook endpoint (the emulator delivers to loopback only).
function Start-WebhookReceiver {
    $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $probe.Start()
    $port = $probe.LocalEndpoint.Port
    $probe.Stop()
    $listener = [System.Net.HttpListener]::new()
    $listener.Prefixes.Add("http://127.0.0.1:$port/hook/")
    $listener.Start()
    [pscustomobject]@{ Listener = $listener; Url = "http://127.0.0.1:$port/hook/" }
}

function Stop-WebhookReceiver {
    param($Receiver)
    if ($Receiver) { try { $Receiver.Listener.Close() } catch { } }
}

# Takes the next delivery: its headers (case-insensitive hashtable), raw body bytes and text; answers 200.
function Receive-WebhookDelivery {
    param([Parameter(Mandatory)] $Receiver, [int] $TimeoutSec = 30)
    $task = $Receiver.Listener.GetContextAsync()
    if (-not $task.Wait([TimeSpan]::FromSeconds($TimeoutSec))) { throw "No webhook delivery within $TimeoutSec s." }
    $context = $task.Result
    $buffer = [System.IO.MemoryStream]::new()
    $context.Request.InputStream.CopyTo($buffer)
    $headers = @{}
    foreach ($name in $context.Request.Headers.AllKeys) { $headers[$name] = $context.Request.Headers[$name] }
    $context.Response.StatusCode = 200
    $context.Response.Close()
    [pscustomobject]@{
        Headers = $headers
        Body    = $buffer.ToArray()
        Text    = [System.Text.Encoding]::UTF8.GetString($buffer.ToArray())
    }
}

# Connects the current session to a test emulator with fast retries.
function Connect-TestEmulator {
    param([Parameter(Mandatory)] $Emulator)
    Connect-Seedream -ApiKey $Emulator.Key -ProxyUrl $Emulator.ProxyUrl -RetryDelayMilliseconds 10
}

# What -WhatIf (or any host output) printed while the script block ran: ShouldProcess writes to the
# host, which a transcript records.
function Get-HostText {
    param([Parameter(Mandatory)] [scriptblock] $ScriptBlock)
    $path = Join-Path ([System.IO.Path]::GetTempPath()) "seedream-host-$([guid]::NewGuid().ToString('n')).txt"
    $null = Start-Transcript -Path $path
    try { $null = & $ScriptBlock }
    finally { $null = Stop-Transcript }
    $text = Get-Content -LiteralPath $path -Raw
    Remove-Item -LiteralPath $path -ErrorAction SilentlyContinue
    $text
}
