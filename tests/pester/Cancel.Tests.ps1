#Requires -Version 7.2
# Pester 5. Stopping: Ctrl+C (PowerShell.Stop) and -TimeoutSec cancel the remote requests before the
# command returns, so a stopped script leaves no billed work running. The emulator's model takes
# a minute here, so every job is still queued or running when the command is stopped.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k' -ProcessingMs 60000 -Runners 2
    Connect-TestEmulator $emulator
    $script:jobsToClean = [System.Collections.Generic.List[object]]::new()
    $script:folder = Join-Path $TestDrive 'stop'
    1..3 | ForEach-Object { $null = New-TestImage -Path (Join-Path $folder "stop-$_.png") }

    function script:Get-Open { $s = Get-EmulatorStats $emulator; $s.inQueue + $s.inProgress }
    function script:Get-Streams { [int](Get-EmulatorStats $emulator).requestsByRoute.stream }
    function script:Clear-LeftoverJobs {
        $jobsToClean | Stop-SeedreamJob -Confirm:$false -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $jobsToClean.Clear()
        Wait-Condition { (Get-Open) -eq 0 } -TimeoutSec 10 -Because 'the jobs of the previous test to end'
    }
    function script:Get-Cancels { [int](Get-EmulatorStats $emulator).requestsByRoute.cancel }

    # Runs a script in its own runspace (as a console would), connected to the emulator.
    function script:Start-Stoppable {
        param([string] $Script)
        $ps = [powershell]::Create()
        $null = $ps.AddScript('param($Manifest, $Key, $Proxy, $Folder) Import-Module $Manifest; Connect-Seedream -ApiKey $Key -ProxyUrl $Proxy -RetryDelayMilliseconds 10; ' + $Script)
        $null = $ps.AddArgument($ManifestPath).AddArgument($emulator.Key).AddArgument($emulator.ProxyUrl).AddArgument($folder)
        [pscustomobject]@{ PowerShell = $ps; Handle = $ps.BeginInvoke() }
    }
}

AfterAll {
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'Ctrl+C' {
    # Whatever a test left behind must not run into the next one.
    AfterEach { Clear-LeftoverJobs }

    It 'on an Invoke-SeedreamEdit batch cancels every remote job before the command returns' {
        $submittedBefore = (Get-EmulatorStats $emulator).submitted
        $cancelsBefore = Get-Cancels
        $run = Start-Stoppable 'Get-ChildItem $Folder -Filter *.png | Invoke-SeedreamEdit -Prompt "stop me"'
        Wait-Condition { (Get-EmulatorStats $emulator).submitted - $submittedBefore -eq 3 -and (Get-Open) -eq 3 } -Because 'three jobs queued or running'

        $run.PowerShell.Stop()

        # Read at once: the cancels must already have been sent when Stop() returned.
        (Get-Cancels) - $cancelsBefore | Should -Be 3
        $run.PowerShell.InvocationStateInfo.State | Should -Be 'Stopped'
        Wait-Condition { (Get-Open) -eq 0 } -TimeoutSec 10 -Because 'the cancelled jobs to end'
        $run.PowerShell.Dispose()
    }

    It 'on Wait-SeedreamJob cancels the jobs it was waiting for' {
        $jobs = Get-ChildItem $folder -Filter *.png | Submit-SeedreamJob -Prompt 'wait then stop'
        $jobs | ForEach-Object { $jobsToClean.Add($_) }
        $cancelsBefore = Get-Cancels
        $streamsBefore = Get-Streams
        $ps = [powershell]::Create()
        $null = $ps.AddScript('param($Manifest, $Key, $Proxy, $Jobs) Import-Module $Manifest; Connect-Seedream -ApiKey $Key -ProxyUrl $Proxy; $Jobs | Wait-SeedreamJob')
        $null = $ps.AddArgument($ManifestPath).AddArgument($emulator.Key).AddArgument($emulator.ProxyUrl).AddArgument($jobs)
        $handle = $ps.BeginInvoke()
        Wait-Condition { (Get-Streams) - $streamsBefore -ge 3 } -Because 'the wait to follow the three status streams'

        $ps.Stop()

        (Get-Cancels) - $cancelsBefore | Should -Be 3
        $ps.Dispose()
    }

    It 'on Wait-SeedreamJob -NoCancel leaves the jobs running' {
        $job = Submit-SeedreamJob -Prompt 'keep running' -Image (Join-Path $folder 'stop-1.png')
        $jobsToClean.Add($job)
        $cancelsBefore = Get-Cancels
        $streamsBefore = Get-Streams
        $ps = [powershell]::Create()
        $null = $ps.AddScript('param($Manifest, $Key, $Proxy, $Job) Import-Module $Manifest; Connect-Seedream -ApiKey $Key -ProxyUrl $Proxy; $Job | Wait-SeedreamJob -NoCancel')
        $null = $ps.AddArgument($ManifestPath).AddArgument($emulator.Key).AddArgument($emulator.ProxyUrl).AddArgument($job)
        $handle = $ps.BeginInvoke()
        Wait-Condition { (Get-Streams) - $streamsBefore -ge 1 } -Because 'the wait to follow the status stream'

        $ps.Stop()

        (Get-Cancels) | Should -Be $cancelsBefore
        ($job | Get-SeedreamJobStatus).Status | Should -BeIn @('IN_QUEUE', 'IN_PROGRESS')
        $ps.Dispose()
    }
}

Describe '-TimeoutSec' {
    AfterEach { Clear-LeftoverJobs }

    It 'on Invoke-SeedreamEdit reports SeedreamWaitTimeout and cancels the remote job' {
        $cancelsBefore = Get-Cancels
        $result = Invoke-SeedreamEdit -Prompt 'too slow' -Image (Join-Path $folder 'stop-1.png') -TimeoutSec 1 -ErrorVariable problems -ErrorAction SilentlyContinue

        $result | Should -BeNullOrEmpty
        @($problems | Get-ErrorId) | Should -Be @('SeedreamWaitTimeout')
        $problems[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        (Get-Cancels) - $cancelsBefore | Should -Be 1
    }

    It 'on Wait-SeedreamJob reports SeedreamWaitTimeout and cancels the remote job' {
        $job = Submit-SeedreamJob -Prompt 'wait too short' -Image (Join-Path $folder 'stop-2.png')
        $jobsToClean.Add($job)
        $cancelsBefore = Get-Cancels

        $job | Wait-SeedreamJob -TimeoutSec 1 -ErrorVariable problems -ErrorAction SilentlyContinue

        @($problems | Get-ErrorId) | Should -Be @('SeedreamWaitTimeout')
        (Get-Cancels) - $cancelsBefore | Should -Be 1
        # The error itself says the job was cancelled on fal, and how to keep it running next time.
        $problems[0].Exception.Message | Should -BeLike "*$($job.RequestId)*the remote request was cancelled*"
        $problems[0].ErrorDetails.RecommendedAction | Should -BeLike '*-NoCancel*'
    }

    It 'on Wait-SeedreamJob -NoCancel leaves the job to finish later' {
        $job = Submit-SeedreamJob -Prompt 'collect later' -Image (Join-Path $folder 'stop-3.png')
        $jobsToClean.Add($job)
        $cancelsBefore = Get-Cancels

        $job | Wait-SeedreamJob -TimeoutSec 1 -NoCancel -ErrorVariable problems -ErrorAction SilentlyContinue

        @($problems | Get-ErrorId) | Should -Be @('SeedreamWaitTimeout')
        $problems[0].Exception.Message | Should -Not -BeLike '*cancelled*'
        (Get-Cancels) | Should -Be $cancelsBefore
        ($job | Get-SeedreamJobStatus).Status | Should -BeIn @('IN_QUEUE', 'IN_PROGRESS')
    }
}
