# Shared by the Pester files (dot-sourced in BeforeAll). They test the BUILT module against the
# emulator the build produced: run `dotnet build Seedream.Module.sln` first, or ./build.ps1 -Task Test.

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$script:Configuration = if ($env:SEEDREAM_CONFIGURATION) { $env:SEEDREAM_CONFIGURATION } else { 'Debug' }

# A valid 2x2 PNG: small enough to inline, real enough for the emulator's model to decode.
$script:PngBase64 = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4IScHRAwQCgAfJgQRoo8irwAAAABJRU5ErkJggg=='

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
        # More emulator options, e.g. '--fault-rate', '0.25', '--fault-kinds', '502,504'.
        [string[]] $ArgumentList = @()
    )
    $dll = Join-Path $script:RepoRoot "src/Seedream.Emulator/bin/$($script:Configuration)/net10.0/Seedream.Emulator.dll"
    if (-not (Test-Path $dll)) { throw "The emulator is not built: $dll is missing." }
    $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    foreach ($argument in @($dll, '--urls', 'http://127.0.0.1:0', '--require-key', $Key, '--processing-ms', "$ProcessingMs") + $ArgumentList) {
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
    param([Parameter(Mandatory)] [string] $Path)
    $folder = Split-Path -Parent $Path
    if (-not (Test-Path $folder)) { $null = New-Item -ItemType Directory -Path $folder }
    [System.IO.File]::WriteAllBytes($Path, [Convert]::FromBase64String($script:PngBase64))
    Get-Item -LiteralPath $Path
}
