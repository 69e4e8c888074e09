<#
.SYNOPSIS
    Reliability under faults, at benchmark scale: many edits through Invoke-SeedreamEdit against an
    emulator that faults a share of its requests; prints what came back and what the server saw.

.DESCRIPTION
    Start an emulator with faults first, then run this script in the repository's script host (or
    in pwsh after a build):

        dotnet run --project src/Seedream.Emulator -- --urls http://127.0.0.1:5077 --require-key bench-key \
            --processing-ms 200 --runners 8 --fault-rate 0.2 --fault-seed 1 --fault-slow-ms 3000
        dotnet run --project src/Seedream.ScriptHost -- bench/faults.ps1 -ProxyUrl http://127.0.0.1:5077/api/fal/proxy

    Every edit must end in its result or in exactly one error; the emulator's duplicateJobs must
    stay 0 (no edit billed twice) and nothing may stay queued or running once orphans (jobs whose
    submit answer was lost) have had one processing time to finish. Only PowerShell's core
    cmdlets are used, so it runs in the script host as well as in pwsh.
#>
param(
    [string] $ProxyUrl = 'http://127.0.0.1:5077/api/fal/proxy',
    [string] $ApiKey = 'bench-key',
    [int] $Count = 1000,
    [int] $ThrottleLimit = 16,
    # Per-request timeout: shorter than the emulator's --fault-slow-ms, so 'slow' answers are given up on.
    [int] $TimeoutSec = 2,
    [int] $RetryDelayMilliseconds = 100,
    # Every n-th edit uploads its own local file (so upload faults are met); the others send a data URI.
    [int] $UploadEvery = 10,
    # How long to give orphaned jobs to finish (at least the emulator's --processing-ms).
    [int] $DrainSec = 30
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module "$PSScriptRoot/../output/Seedream/Seedream.psd1" -Force
Connect-Seedream -ApiKey $ApiKey -ProxyUrl $ProxyUrl -TimeoutSec $TimeoutSec -RetryDelayMilliseconds $RetryDelayMilliseconds

$base = [uri] $ProxyUrl
$statsUrl = '{0}://{1}/_emulator/stats' -f $base.Scheme, $base.Authority
$http = [System.Net.Http.HttpClient]::new()
function Get-Stats { [System.Text.Json.JsonDocument]::Parse($http.GetStringAsync($statsUrl).GetAwaiter().GetResult()).RootElement }
function Get-Number($element, [string] $name) { $element.GetProperty($name).GetInt64() }

# A valid 2x2 PNG, as a data URI and as files.
$png = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4IScHRAwQCgAfJgQRoo8irwAAAABJRU5ErkJggg=='
$dataUri = 'data:image/png;base64,' + $png
$work = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), 'seedream-faults-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
[void][System.IO.Directory]::CreateDirectory($work)

$before = Get-Stats
$runTag = [guid]::NewGuid().ToString('N').Substring(0, 6)   # prompts differ from any earlier run's
$rows = 1..$Count | ForEach-Object {
    $image = $dataUri
    if ($UploadEvery -gt 0 -and $_ % $UploadEvery -eq 0) {
        $image = [System.IO.Path]::Combine($work, "in$_.png")
        [System.IO.File]::WriteAllBytes($image, [Convert]::FromBase64String($png))
    }
    [pscustomobject]@{ Prompt = "fault bench $runTag $_"; Image = $image }
}

$clock = [System.Diagnostics.Stopwatch]::StartNew()
$results = $rows | Invoke-SeedreamEdit -ThrottleLimit $ThrottleLimit -ErrorVariable failures -ErrorAction SilentlyContinue
$clock.Stop()
$ended = Get-Stats
$leftAtEnd = (Get-Number $ended 'inQueue') + (Get-Number $ended 'inProgress')

# Orphans (submit answers lost after the job was made) run to their natural end.
$drain = [System.Diagnostics.Stopwatch]::StartNew()
$after = $ended
while ($drain.Elapsed.TotalSeconds -lt $DrainSec -and ((Get-Number $after 'inQueue') + (Get-Number $after 'inProgress')) -gt 0) {
    [System.Threading.Thread]::Sleep(200)
    $after = Get-Stats
}
$leftAfterDrain = (Get-Number $after 'inQueue') + (Get-Number $after 'inProgress')

$ok = @($results).Count
$errors = @($failures)
$byId = @{}
$withRequestId = 0
foreach ($e in $errors) {
    $id = $e.FullyQualifiedErrorId.Split(',')[0]
    $byId[$id] = 1 + [int] $byId[$id]
    $g = [guid]::Empty
    if ($e.TargetObject -is [string] -and [guid]::TryParse($e.TargetObject, [ref] $g)) { $withRequestId++ }
}
$distinctPrompts = @{}
foreach ($r in @($results)) { $distinctPrompts[$r.Prompt] = 1 }

$faults = $after.GetProperty('faultsInjected')
$kinds = foreach ($p in $faults.GetProperty('byKind').EnumerateObject()) { '{0}={1}' -f $p.Name, $p.Value.GetInt64() }
$routes = foreach ($p in $faults.GetProperty('byRoute').EnumerateObject()) { '{0}={1}' -f $p.Name, $p.Value.GetInt64() }

"== Seedream under faults: $Count edits, -ThrottleLimit $ThrottleLimit, Connect-Seedream -TimeoutSec $TimeoutSec"
'edits ok           : {0} ({1:P1}), distinct prompts {2}' -f $ok, ($ok / $Count), $distinctPrompts.Count
'edits failed       : {0} ({1} naming their request id, {2} failed before one existed)' -f $errors.Count, $withRequestId, ($errors.Count - $withRequestId)
'outcomes           : {0} of {1} edits (ok + errors; must be equal)' -f ($ok + $errors.Count), $Count
foreach ($k in $byId.Keys) { '  {0,-24} {1}' -f $k, $byId[$k] }
# Failures after the request id was known are the interesting ones: show a few.
$shown = 0
foreach ($e in $errors) {
    $g = [guid]::Empty
    if ($shown -lt 10 -and $e.TargetObject -is [string] -and [guid]::TryParse($e.TargetObject, [ref] $g)) {
        '    {0} {1}: {2}' -f $e.FullyQualifiedErrorId.Split(',')[0], $e.TargetObject, $e.Exception.Message
        $shown++
    }
}
'faults injected    : {0}' -f $faults.GetProperty('total').GetInt64()
'  by kind          : ' + ($kinds -join ', ')
'  by route         : ' + ($routes -join ', ')
'jobs created       : {0} (queue {1}, completed {2}, failed {3}, cancelled {4})' -f ((Get-Number $after 'submitted') - (Get-Number $before 'submitted')), (Get-Number $after 'submitted'), (Get-Number $after 'completed'), (Get-Number $after 'failed'), (Get-Number $after 'cancelled')
'duplicate jobs     : {0}' -f (Get-Number $after 'duplicateJobs')
'left running       : {0} when the command ended, {1} after {2:N1} s for orphans to finish' -f $leftAtEnd, $leftAfterDrain, $drain.Elapsed.TotalSeconds
'wall time          : {0:N1} s ({1:N1} edits/s)' -f $clock.Elapsed.TotalSeconds, ($Count / $clock.Elapsed.TotalSeconds)

[System.IO.Directory]::Delete($work, $true)
$http.Dispose()
$Error.Clear()   # the failed edits are expected; the exit code is the reliability verdict below
if ($ok + $errors.Count -ne $Count -or $distinctPrompts.Count -ne $ok -or (Get-Number $after 'duplicateJobs') -ne 0 -or $leftAfterDrain -ne 0) {
    Write-Error 'Reliability check failed (see the figures above).'
}
