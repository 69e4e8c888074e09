#Requires -Version 7.2
# Pester 5. The queue workflow after submitting: Get-SeedreamJobStatus, Wait-SeedreamJob,
# Receive-SeedreamJob and Stop-SeedreamJob, with jobs live, by id, or kept across sessions.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k' -ProcessingMs 600 -Runners 4
    Connect-TestEmulator $emulator
    $script:image = (New-TestImage -Path (Join-Path $TestDrive 'job.png')).FullName
}

AfterAll {
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'Submit-SeedreamJob | Wait-SeedreamJob | Receive-SeedreamJob' {
    It 'submits, waits and receives in one pipeline' {
        $job = Submit-SeedreamJob -Prompt 'Queued edit' -Image $image

        $result = $job | Wait-SeedreamJob -TimeoutSec 60 | Receive-SeedreamJob

        $result.PSObject.TypeNames[0] | Should -Be 'Seedream.EditResult'
        $result.RequestId | Should -Be $job.RequestId
        $result.Prompt | Should -Be 'Queued edit'
        $result.InputImages | Should -Be @($image)
        $result.Images | Should -Not -BeNullOrEmpty
    }

    It 'saves a status call when Wait-SeedreamJob already said COMPLETED' {
        $job = Submit-SeedreamJob -Prompt 'Count the calls' -Image $image
        $status = $job | Wait-SeedreamJob -TimeoutSec 60
        $before = (Get-EmulatorStats $emulator).requestsByRoute.status

        $null = $status | Receive-SeedreamJob

        [int](Get-EmulatorStats $emulator).requestsByRoute.status | Should -Be ([int]$before)
    }

    It 'waits for a batch and reports every job completed' {
        $jobs = 1..3 | ForEach-Object { Submit-SeedreamJob -Prompt "Batch $_" -Image $image }

        $statuses = $jobs | Wait-SeedreamJob -TimeoutSec 60

        $statuses | Should -HaveCount 3
        $statuses | ForEach-Object { $_.Status | Should -Be 'COMPLETED'; $_.IsSucceeded | Should -BeTrue }
        ($statuses.RequestId | Sort-Object) | Should -Be ($jobs.RequestId | Sort-Object)
    }

    It 'waits by polling with -NoStream' {
        $before = [int](Get-EmulatorStats $emulator).requestsByRoute.stream
        $status = Submit-SeedreamJob -Prompt 'Polled' -Image $image | Wait-SeedreamJob -NoStream -TimeoutSec 60
        $status.IsSucceeded | Should -BeTrue
        [int](Get-EmulatorStats $emulator).requestsByRoute.stream | Should -Be $before
    }

    It 'carries the prompt and inputs of the job into the status' {
        $status = Submit-SeedreamJob -Prompt 'Carried along' -Image $image | Wait-SeedreamJob -TimeoutSec 60
        $status.Prompt | Should -Be 'Carried along'
        $status.InputImages | Should -Be @($image)
    }

    It 'receives jobs saved with Export-Clixml, as a later runbook step would' {
        $path = Join-Path $TestDrive 'jobs.xml'
        Submit-SeedreamJob -Prompt 'Kept for later' -Image $image | Export-Clixml -Path $path

        $result = Import-Clixml -Path $path | Receive-SeedreamJob -Wait

        $result.Images | Should -Not -BeNullOrEmpty
        $result.Prompt | Should -Be 'Kept for later'
    }

    It 'receives jobs kept in a CSV file, where Export-Csv wrote the input list as its type name' {
        $path = Join-Path $TestDrive 'jobs.csv'
        Submit-SeedreamJob -Prompt 'Kept in a CSV' -Image $image | Export-Csv -LiteralPath $path
        (Import-Csv -LiteralPath $path).InputImages | Should -Be 'System.String[]'

        $result = Import-Csv -LiteralPath $path | Receive-SeedreamJob -Wait
        $saved = $result | Save-SeedreamImage -Destination (Join-Path $TestDrive 'from-csv') -NameTemplate '{InputName}-{Index}'

        # The cell says nothing of the inputs: they are unknown, never an input named "System".
        $result.Prompt | Should -Be 'Kept in a CSV'
        $result.InputImages | Should -BeNullOrEmpty
        $saved.Name | Should -Be "$($result.RequestId)-0.png"
    }

    It 'reads several inputs from one CSV cell separated by |' {
        $second = (New-TestImage -Path (Join-Path $TestDrive 'second.png')).FullName
        $path = Join-Path $TestDrive 'jobs-joined.csv'
        Submit-SeedreamJob -Prompt 'Two inputs' -Image $image, $second |
            Select-Object RequestId, Endpoint, Prompt, @{ n = 'InputImages'; e = { $_.InputImages -join '|' } } |
            Export-Csv -LiteralPath $path

        $status = Import-Csv -LiteralPath $path | Wait-SeedreamJob -TimeoutSec 60

        $status.InputImages | Should -Be @($image, $second)
    }

    It 'receives request ids piped as plain strings, as Get-Content gives them' {
        $jobs = 1..2 | ForEach-Object { Submit-SeedreamJob -Prompt "By id $_" -Image $image }
        $path = Join-Path $TestDrive 'ids.txt'
        $jobs.RequestId | Set-Content -LiteralPath $path

        $results = Get-Content -LiteralPath $path | Receive-SeedreamJob -Wait -Ordered

        $results.RequestId | Should -Be $jobs.RequestId
    }

    It 'says a job is not finished instead of waiting when -Wait is not given' {
        $job = Submit-SeedreamJob -Prompt 'Too early' -Image $image
        $job | Receive-SeedreamJob -ErrorVariable problems -ErrorAction SilentlyContinue

        @($problems | Get-ErrorId) | Should -Be @('SeedreamJobNotCompleted')
        $job | Stop-SeedreamJob -Confirm:$false
    }
}

Describe 'Get-SeedreamJobStatus' {
    It 'reads a status once without waiting' {
        $job = Submit-SeedreamJob -Prompt 'Status check' -Image $image
        $status = $job | Get-SeedreamJobStatus

        $status.PSObject.TypeNames[0] | Should -Be 'Seedream.JobStatus'
        $status.RequestId | Should -Be $job.RequestId
        $status.Status | Should -BeIn @('IN_QUEUE', 'IN_PROGRESS')
    }

    It 'returns the model log with -Logs once the job ran' {
        $job = Submit-SeedreamJob -Prompt 'With logs' -Image $image
        $null = $job | Wait-SeedreamJob -TimeoutSec 60
        $status = Get-SeedreamJobStatus -RequestId $job.RequestId -Logs

        $status.Status | Should -Be 'COMPLETED'
        $status.Logs | Should -Not -BeNullOrEmpty
        $status.Logs[0].Message | Should -Not -BeNullOrEmpty
    }

    It 'reports a request fal does not know as SeedreamJobNotFound' {
        Get-SeedreamJobStatus -RequestId ([guid]::NewGuid().ToString()) -ErrorVariable problems -ErrorAction SilentlyContinue
        @($problems | Get-ErrorId) | Should -Be @('SeedreamJobNotFound')
    }

    It 'refuses a malformed request id before calling fal' {
        $before = [int](Get-EmulatorStats $emulator).requestsByRoute.status
        Get-SeedreamJobStatus -RequestId '../../etc/passwd' -ErrorVariable problems -ErrorAction SilentlyContinue

        @($problems | Get-ErrorId) | Should -Be @('SeedreamInvalidRequestId')
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        [int](Get-EmulatorStats $emulator).requestsByRoute.status | Should -Be $before
    }

    It 'refuses a malformed endpoint' {
        Get-SeedreamJobStatus -RequestId ([guid]::NewGuid().ToString()) -Endpoint 'no good' -ErrorVariable problems -ErrorAction SilentlyContinue
        @($problems | Get-ErrorId) | Should -Be @('SeedreamInvalidEndpoint')
    }
}

Describe 'Stop-SeedreamJob' {
    It 'cancels a queued job and reports the outcome with -PassThru' {
        $job = Submit-SeedreamJob -Prompt 'Cancel me' -Image $image
        $outcome = $job | Stop-SeedreamJob -PassThru -Confirm:$false

        $outcome.PSObject.TypeNames[0] | Should -Be 'Seedream.CancelResult'
        $outcome.RequestId | Should -Be $job.RequestId
        $outcome.Outcome | Should -Be 'CancellationRequested'
        ($outcome | ConvertTo-Json | ConvertFrom-Json).Outcome | Should -Be 'CancellationRequested'
    }

    It 'makes Receive-SeedreamJob report a cancelled job as SeedreamJobCancelled' {
        $job = Submit-SeedreamJob -Prompt 'Cancelled, then received' -Image $image
        $job | Stop-SeedreamJob -Confirm:$false
        $job | Receive-SeedreamJob -Wait -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        @($problems | Get-ErrorId) | Should -Be @('SeedreamJobCancelled')
    }

    It 'warns that a completed job had nothing to cancel' {
        $job = Submit-SeedreamJob -Prompt 'Already done' -Image $image
        $null = $job | Wait-SeedreamJob -TimeoutSec 60
        $outcome = $job | Stop-SeedreamJob -PassThru -Confirm:$false -WarningVariable warnings -WarningAction SilentlyContinue

        $outcome.Outcome | Should -Be 'AlreadyCompleted'
        "$warnings" | Should -Match 'already completed'
    }

    It 'with -WhatIf sends no cancel' {
        $job = Submit-SeedreamJob -Prompt 'Keep me' -Image $image
        $before = [int](Get-EmulatorStats $emulator).requestsByRoute.cancel

        $job | Stop-SeedreamJob -WhatIf

        [int](Get-EmulatorStats $emulator).requestsByRoute.cancel | Should -Be $before
        ($job | Wait-SeedreamJob -TimeoutSec 60).IsSucceeded | Should -BeTrue
    }

    It 'reports an unknown request as SeedreamJobNotFound' {
        Stop-SeedreamJob -RequestId ([guid]::NewGuid().ToString()) -Confirm:$false -ErrorVariable problems -ErrorAction SilentlyContinue
        @($problems | Get-ErrorId) | Should -Be @('SeedreamJobNotFound')
    }
}
