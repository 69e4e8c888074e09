#Requires -Version 7.2
# Pester 5. Submit-SeedreamJob: queueing edits without waiting.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k' -ProcessingMs 100 -Runners 4
    Connect-TestEmulator $emulator
    $script:folder = Join-Path $TestDrive 'submit'
    1..3 | ForEach-Object { $null = New-TestImage -Path (Join-Path $folder "s$_.png") }
    $script:image = Join-Path $folder 's1.png'
}

AfterAll {
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'Submit-SeedreamJob' {
    It 'queues an edit and returns a Seedream.Job describing it' {
        $job = Submit-SeedreamJob -Prompt 'Queued edit' -Image $image -NumImages 2 -MaxImages 3

        $job.PSObject.TypeNames[0] | Should -Be 'Seedream.Job'
        $job.RequestId | Should -Match '^[0-9a-f-]{36}$'
        $job.Endpoint | Should -Be 'fal-ai/bytedance/seedream/v5/lite/edit'
        $job.Prompt | Should -Be 'Queued edit'
        $job.MaxImageCount | Should -Be 6
        $job.InputImages | Should -Be @($image)
        ([datetimeoffset]$job.SubmittedAt - [datetimeoffset]::UtcNow).Duration().TotalMinutes | Should -BeLessThan 5
        (Get-EmulatorJob $emulator $job.RequestId).input.prompt | Should -Be 'Queued edit'
    }

    It 'queues one job per file piped from Get-ChildItem, without -ImageSize' {
        $before = (Get-EmulatorStats $emulator).submitted
        $jobs = Get-ChildItem $folder -Filter *.png | Submit-SeedreamJob -Prompt 'One per file' -ErrorVariable problems

        $problems | Should -BeNullOrEmpty
        $jobs | Should -HaveCount 3
        (Get-EmulatorStats $emulator).submitted - $before | Should -Be 3
        foreach ($job in $jobs) {
            (Get-EmulatorJob $emulator $job.RequestId).input.PSObject.Properties.Name | Should -Not -Contain 'image_size'
        }
    }

    It 'queues the file piped from Get-Item' {
        $job = Get-Item $image | Submit-SeedreamJob -Prompt 'From Get-Item' -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        $job | Should -HaveCount 1
        $job.InputImages | Should -Be @($image)
    }

    It 'passes -Priority and -StartTimeoutSec to the queue' {
        $job = Submit-SeedreamJob -Prompt 'Low priority' -Image $image -Priority low -StartTimeoutSec 120
        $queued = Get-EmulatorJob $emulator $job.RequestId
        $queued.priority | Should -Be 'low'
        $queued.startTimeoutSeconds | Should -Be 120
    }

    It 'registers a webhook, warning that plain http is unencrypted' {
        $job = Submit-SeedreamJob -Prompt 'With a hook' -Image $image -WebhookUrl 'http://127.0.0.1:9/hook' -WarningVariable warnings -WarningAction SilentlyContinue
        "$warnings" | Should -Match 'plain http'
        (Get-EmulatorJob $emulator $job.RequestId).webhookUrl | Should -Be 'http://127.0.0.1:9/hook'
    }

    It 'refuses a webhook URL that is not absolute http(s), sending nothing' {
        $before = (Get-EmulatorStats $emulator).submitted
        Submit-SeedreamJob -Prompt 'Bad hook' -Image $image -WebhookUrl 'hooks/fal' -ErrorVariable problems -ErrorAction SilentlyContinue
        @($problems | Get-ErrorId) | Should -Be @('SeedreamWebhookUrlInvalid')
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }

    It 'gives each bad piped record one error and queues the rest' {
        $records = @(
            [pscustomobject]@{ Prompt = 'ok'; Image = $image }
            [pscustomobject]@{ Prompt = 'missing'; Image = (Join-Path $folder 'nope.png') }
            [pscustomobject]@{ Prompt = 'ftp'; Image = 'ftp://example.com/x.png' }
        )
        $jobs = $records | Submit-SeedreamJob -ErrorVariable problems -ErrorAction SilentlyContinue
        $jobs | Should -HaveCount 1
        @($problems | Get-ErrorId) | Should -Be @('SeedreamImageNotFound', 'SeedreamImageUrlSchemeUnsupported')
    }

    It 'with -WhatIf queues nothing' {
        $before = (Get-EmulatorStats $emulator).submitted
        Submit-SeedreamJob -Prompt 'Not really' -Image $image -WhatIf | Should -BeNullOrEmpty
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }

    It 'with -WhatIf on a batch ends with the total estimated cost' {
        $text = Get-HostText { Get-ChildItem $folder -Filter *.png | Submit-SeedreamJob -Prompt 'batch' -NumImages 2 -WhatIf }
        $lines = @($text -split "`r?`n" | Where-Object { $_ -like 'What if:*' })
        $lines | Should -HaveCount 4
        $lines[-1] | Should -Match 'Total'
        $lines[-1] | Should -Match ([regex]::Escape('$0.210'))
    }

    It 'uses a piped earlier result as the input image, with the new prompt and no old seed' {
        $earlier = Invoke-SeedreamEdit -Prompt 'earlier' -Image $image -Seed 77
        $job = $earlier | Submit-SeedreamJob -Prompt 'later'
        $sent = (Get-EmulatorJob $emulator $job.RequestId).input
        $sent.prompt | Should -Be 'later'
        $sent.image_urls | Should -Be @($earlier.Images.Url)
        $sent.PSObject.Properties.Name | Should -Not -Contain 'seed'
    }

    It 'asks for a new prompt when an earlier result is piped without -Prompt' {
        $earlier = Invoke-SeedreamEdit -Prompt 'earlier again' -Image $image
        $earlier | Submit-SeedreamJob -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        @($problems | Get-ErrorId) | Should -Be @('SeedreamPromptRequired')
    }
}
