#Requires -Version 7.2
# Pester 5. The queue workflow: Submit | Wait | Receive, status, cancel, jobs kept across sessions.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k' -ProcessingMs 800
    Connect-Seedream -ApiKey $emulator.Key -ProxyUrl $emulator.ProxyUrl -RetryDelayMilliseconds 10
    $script:image = (New-TestImage -Path (Join-Path $TestDrive 'job.png')).FullName
}

AfterAll {
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'Submit-SeedreamJob | Wait-SeedreamJob | Receive-SeedreamJob' {
    It 'submits, waits and receives in one pipeline' {
        $job = Submit-SeedreamJob -Prompt 'Queued edit' -Image $image
        $job.PSObject.TypeNames[0] | Should -Be 'Seedream.Job'
        $job.RequestId | Should -Not -BeNullOrEmpty

        $result = $job | Wait-SeedreamJob -TimeoutSec 60 | Receive-SeedreamJob

        $result.RequestId | Should -Be $job.RequestId
        $result.Prompt | Should -Be 'Queued edit'
        $result.Images | Should -Not -BeNullOrEmpty
    }

    It 'waits for a batch and reports every job completed' {
        $jobs = 1..3 | ForEach-Object { Submit-SeedreamJob -Prompt "Batch $_" -Image $image }

        $statuses = $jobs | Wait-SeedreamJob -TimeoutSec 60

        $statuses | Should -HaveCount 3
        $statuses | ForEach-Object { $_.Status | Should -Be 'COMPLETED'; $_.IsSucceeded | Should -BeTrue }
    }

    It 'reads a status once without waiting' {
        $job = Submit-SeedreamJob -Prompt 'Status check' -Image $image
        $status = $job | Get-SeedreamJobStatus -Logs

        $status.PSObject.TypeNames[0] | Should -Be 'Seedream.JobStatus'
        $status.Status | Should -BeIn @('IN_QUEUE', 'IN_PROGRESS', 'COMPLETED')
    }

    It 'receives jobs saved with Export-Clixml, as a later runbook step would' {
        $path = Join-Path $TestDrive 'jobs.xml'
        Submit-SeedreamJob -Prompt 'Kept for later' -Image $image | Export-Clixml -Path $path

        $result = Import-Clixml -Path $path | Receive-SeedreamJob -Wait

        $result.Images | Should -Not -BeNullOrEmpty
    }

    It 'says a job is not finished instead of waiting when -Wait is not given' {
        $job = Submit-SeedreamJob -Prompt 'Too early' -Image $image
        $job | Receive-SeedreamJob -ErrorVariable problems -ErrorAction SilentlyContinue

        $problems[0].FullyQualifiedErrorId | Should -BeLike 'SeedreamJobNotCompleted*'
        $job | Stop-SeedreamJob -Confirm:$false
    }

    It 'cancels a queued job and reports the outcome with -PassThru' {
        $job = Submit-SeedreamJob -Prompt 'Cancel me' -Image $image
        $outcome = $job | Stop-SeedreamJob -PassThru -Confirm:$false

        $outcome.PSObject.TypeNames[0] | Should -Be 'Seedream.CancelResult'
        $outcome.Outcome | Should -BeIn @('CancellationRequested', 'AlreadyCompleted')
    }

    It 'refuses a malformed request id before calling fal' {
        Get-SeedreamJobStatus -RequestId '../../etc/passwd' -ErrorVariable problems -ErrorAction SilentlyContinue

        $problems[0].FullyQualifiedErrorId | Should -BeLike 'SeedreamInvalidRequestId*'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'with -WhatIf queues nothing' {
        $before = (Get-EmulatorStats $emulator).submitted

        Submit-SeedreamJob -Prompt 'Not really' -Image $image -WhatIf | Should -BeNullOrEmpty

        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }
}
