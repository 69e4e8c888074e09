#requires -Version 7.2
<#
.SYNOPSIS
    Builds, tests, demonstrates and packages the Seedream module.

.DESCRIPTION
    The same steps the README gives as plain commands, as tasks for people who have pwsh:
      Build    dotnet build of the solution: assembles the importable module in output/Seedream,
               generates its help (en-US MAML and about_Seedream, from docs/en-US) and packs
               output/Seedream.<version>.nupkg (tools/Seedream.HelpGen, tools/Seedream.Package).
      Test     the whole suite (tests/run.sh: build, xUnit, the fal JS client compatibility suite, Pester).
      Pester   only the Pester files in tests/pester, or those named by -PesterPath (Pester 5 must be
               installed); it uses the build that is there, Debug or Release.
      Demo     starts the local fal emulator and runs examples/demo.ps1 in this pwsh against it.
      Package  a Release build: output/Seedream (the module) and output/Seedream.<version>.nupkg, the
               package the README describes (manifest metadata, licence, PSCmdlet_*/PSCommand_* tags),
               packed by tools/Seedream.Package whatever -Configuration says.

.EXAMPLE
    ./build.ps1 -Task Build, Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Pester', 'Demo', 'Package', 'Clean')]
    [string[]] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug',

    # The Pester files or folders to run (Task Pester); the whole suite by default.
    [string[]] $PesterPath = @('tests/pester')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$moduleDir = Join-Path $root 'output/Seedream'

function Invoke-Native([string] $File, [string[]] $Arguments) {
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Invoke-Build {
    Invoke-Native dotnet @('build', (Join-Path $root 'Seedream.Module.sln'), '-c', $Configuration, '-nologo', '-v', 'minimal')
    Test-ModuleManifest (Join-Path $moduleDir 'Seedream.psd1') | Out-Null
    Write-Host "Module ready: $moduleDir"
}

function Invoke-Pester5 {
    $pester = Get-Module -ListAvailable Pester | Where-Object Version -ge '5.0.0' | Sort-Object Version -Descending | Select-Object -First 1
    if (-not $pester) { throw 'Pester 5 is not installed: Install-Module Pester -MinimumVersion 5.0 -Scope CurrentUser' }
    # The tests use the module and emulator of the build that is there (Debug or Release, newest first).
    if (-not (Test-Path (Join-Path $moduleDir 'Seedream.psd1'))) { Invoke-Build }
    Import-Module $pester
    # The tests run as a user's session does, not under this script's strict mode (one Pester file
    # turns strict mode on itself to check the module under it).
    Set-StrictMode -Off
    $config = New-PesterConfiguration
    # pwsh -File hands "a,b" over as one string: split it as PowerShell would split a list.
    $config.Run.Path = @($PesterPath -split ',' | ForEach-Object { $_.Trim() } | Where-Object { $_ } | ForEach-Object { if ([IO.Path]::IsPathRooted($_)) { $_ } else { Join-Path $root $_ } })
    $config.Run.Exit = $false
    $config.Run.PassThru = $true
    $config.Output.Verbosity = 'Detailed'
    $result = Invoke-Pester -Configuration $config
    # One line that tests/run.sh adds to its total.
    Write-Host ('Pester: {0} passed, {1} failed' -f $result.PassedCount, ($result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount))
    if ($result.Result -ne 'Passed') { throw "Pester: $($result.FailedCount) test(s) failed" }
}

function Start-Emulator {
    # The emulator prints its address on its first line; port 0 lets the OS pick a free port.
    $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    foreach ($a in @('run', '--project', (Join-Path $root 'src/Seedream.Emulator'), '--no-build', '--', '--urls', 'http://127.0.0.1:0', '--processing-ms', '800', '--require-key', 'local-emulator-key')) {
        $psi.ArgumentList.Add($a)
    }
    $psi.RedirectStandardOutput = $true
    $process = [System.Diagnostics.Process]::Start($psi)
    $line = $process.StandardOutput.ReadLine()
    if ($line -notmatch 'listening on (http://\S+)') { $process.Kill(); throw "The emulator did not start: $line" }
    [pscustomobject]@{ Process = $process; Url = $Matches[1].TrimEnd('/') }
}

foreach ($t in $Task) {
    switch ($t) {
        'Clean' { Remove-Item -Recurse -Force (Join-Path $root 'output') -ErrorAction SilentlyContinue }
        'Build' { Invoke-Build }
        'Pester' { Invoke-Pester5 }
        'Test' {
            # tests/run.sh builds, runs every xUnit suite and, with pwsh present, the Pester files too.
            Invoke-Native bash @((Join-Path $root 'tests/run.sh'))
        }
        'Demo' {
            Invoke-Build
            $emulator = Start-Emulator
            try {
                $env:FAL_KEY = 'local-emulator-key'
                $env:SEEDREAM_PROXY_URL = "$($emulator.Url)/api/fal/proxy"
                & (Join-Path $root 'examples/demo.ps1')
            }
            finally {
                $emulator.Process.Kill($true)
                Remove-Item Env:SEEDREAM_PROXY_URL -ErrorAction SilentlyContinue
            }
        }
        'Package' {
            # A package is always a Release build; the dotnet build packs it (tools/Seedream.Package),
            # so pwsh, PSResourceGet and the .NET-only route give the same file.
            $saved = $Configuration
            $Configuration = 'Release'
            try { Invoke-Build } finally { $Configuration = $saved }
            $manifest = Import-PowerShellDataFile (Join-Path $root 'Seedream.psd1')
            $package = Join-Path $root "output/Seedream.$($manifest.ModuleVersion).nupkg"
            if (-not (Test-Path $package)) { throw "The build did not pack $package" }
            Write-Host "Package: $package (Release)"
        }
    }
}
