#Requires -Version 7.2
# Pester 5. New-SeedreamImage: text-to-image with Invoke-SeedreamEdit's shape (pipeline, batches,
# -OutFolder, -WhatIf with cost, -Journal), and Submit-SeedreamJob without -Image for the job cmdlets.
# The 'against the emulator' block needs the emulator to serve the text-to-image models (issue 12's
# emulator side); the 'before anything is sent' block needs no model at all.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k' -ProcessingMs 100 -Runners 4
    Connect-TestEmulator $emulator
    $script:lite = 'fal-ai/bytedance/seedream/v5/lite/text-to-image'
}

AfterAll {
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'New-SeedreamImage before anything is sent' {
    It 'has Invoke-SeedreamEdit''s shape without -Image (a hidden -Image only refuses images)' {
        $command = Get-Command New-SeedreamImage
        $command.OutputType.Name | Should -Contain 'Seedream.EditResult'
        foreach ($name in 'Prompt', 'ImageSize', 'NumImages', 'MaxImages', 'OutputFormat', 'Endpoint', 'ThrottleLimit', 'Ordered', 'OutFolder', 'NameTemplate', 'Journal', 'TimeoutSec', 'Sync', 'WhatIf') {
            $command.Parameters.Keys | Should -Contain $name
        }
        # -Image is there only to refuse images (FamilyUsability.Tests.ps1): hidden from syntax and completion.
        $command.Parameters['Image'].Attributes.Where({ $_ -is [Parameter] }).DontShow | Should -Be $true
        (Get-Help New-SeedreamImage).syntax | Out-String | Should -Not -Match '-Image\b'
        $command.Parameters.Keys | Should -Not -Contain 'InlineImages'
    }

    It 'prints each request with its cost under -WhatIf, ends a batch with the total, and sends nothing' {
        $before = (Get-EmulatorStats $emulator).submitted
        $text = Get-HostText { 'A red door', 'A blue door' | New-SeedreamImage -NumImages 2 -MaxImages 2 -WhatIf | Should -BeNullOrEmpty }
        $text | Should -Match ([regex]::Escape("$lite`: 'A red door'"))
        $text | Should -Match ([regex]::Escape('estimated cost up to $0.140 (4 images × $0.035)'))
        $text | Should -Match ([regex]::Escape('Total: estimated cost up to $0.280'))
        $text | Should -Match '2 image requests'
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }

    It 'says "cost unknown" for an endpoint whose price was not found' {
        $text = Get-HostText { New-SeedreamImage -Prompt 'x' -Endpoint fal-ai/bytedance/seedream/v3/text-to-image -WhatIf }
        $text | Should -Match 'cost unknown for fal-ai/bytedance/seedream/v3/text-to-image'
    }

    It 'refuses an edit endpoint, and a field the endpoint lacks unless -AdditionalInput sends it' {
        New-SeedreamImage -Prompt 'x' -Endpoint fal-ai/bytedance/seedream/v4/edit -ErrorVariable kind -ErrorAction SilentlyContinue
        $kind | Get-ErrorId | Should -Be 'SeedreamEndpointKindMismatch'
        "$kind" | Should -Not -Match 'input image is required'

        New-SeedreamImage -Prompt 'x' -Endpoint bytedance/seedream/v5/pro/text-to-image -MaxImages 2 -ErrorVariable field -ErrorAction SilentlyContinue
        $field | Get-ErrorId | Should -Be 'SeedreamFieldNotSupported'
        "$field" | Should -Match "no 'max_images' field"
        New-SeedreamImage -Prompt 'x' -Endpoint bytedance/seedream/v5/pro/text-to-image -Seed 5 -ErrorVariable seed -ErrorAction SilentlyContinue
        $seed | Get-ErrorId | Should -Be 'SeedreamFieldNotSupported'

        $text = Get-HostText { New-SeedreamImage -Prompt 'x' -Endpoint bytedance/seedream/v5/pro/text-to-image -AdditionalInput @{ max_images = 2 } -WhatIf -WarningVariable w -WarningAction SilentlyContinue -ErrorVariable none }
        $none | Should -BeNullOrEmpty
        $text | Should -Match 'What if'
    }

    It 'checks sizes against the endpoint''s own bounds' {
        New-SeedreamImage -Prompt 'x' -Endpoint fal-ai/bytedance/seedream/v4/text-to-image -ImageSize 900x900 -ErrorVariable small -ErrorAction SilentlyContinue
        $small | Get-ErrorId | Should -Be 'SeedreamImageSizeOutOfRange'
        New-SeedreamImage -Prompt 'x' -Endpoint fal-ai/bytedance/seedream/v3/text-to-image -ImageSize auto_2K -ErrorVariable preset -ErrorAction SilentlyContinue
        $preset | Get-ErrorId | Should -Be 'SeedreamImageSizeInvalid'
        New-SeedreamImage -Prompt 'x' -ImageSize 1024x1024 -WhatIf -WarningVariable scaled -WarningAction SilentlyContinue
        "$scaled" | Should -Match 'scaled up'
    }

    It 'takes no object without a prompt as one (its text is never sent as a prompt)' {
        $before = (Get-EmulatorStats $emulator).submitted
        [pscustomobject]@{ Size = 3 } | New-SeedreamImage -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems | Should -Not -BeNullOrEmpty
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }

    It 'sends an endpoint without a profile as given' {
        $text = Get-HostText { New-SeedreamImage -Prompt 'x' -Endpoint fal-ai/some-lab/new-t2i -NumImages 40 -ImageSize super_8K -WhatIf -Verbose 4>$null }
        $text | Should -Match 'cost unknown for fal-ai/some-lab/new-t2i'
    }
}

Describe 'New-SeedreamImage against the emulator (needs its text-to-image models)' {
    It 'makes images from a prompt and saves them' {
        $out = Join-Path $TestDrive 'one'
        $r = New-SeedreamImage -Prompt 'A lighthouse at dawn' -ImageSize landscape_16_9 -OutFolder $out
        $r.PSObject.TypeNames[0] | Should -Be 'Seedream.EditResult'
        $r.Endpoint | Should -Be $lite
        $r.InputImages | Should -BeNullOrEmpty
        $r.Images | Should -HaveCount 1
        $r.Images[0].LocalPath | Should -Exist
        $input = (Get-EmulatorJob $emulator $r.RequestId).input
        $input.prompt | Should -Be 'A lighthouse at dawn'
        $input.image_size | Should -Be 'landscape_16_9'
        $input.PSObject.Properties.Name | Should -Not -Contain 'image_urls'
    }

    It 'runs piped prompts concurrently, one result each, in input order with -Ordered' {
        $out = Join-Path $TestDrive 'batch'
        $before = (Get-EmulatorStats $emulator).submitted
        $prompts = 1..5 | ForEach-Object { "Prompt number $_" }
        $results = $prompts | New-SeedreamImage -ThrottleLimit 3 -Ordered -OutFolder $out
        $results | Should -HaveCount 5
        $results.Prompt | Should -Be $prompts
        @(Get-ChildItem $out -File) | Should -HaveCount 5
        (Get-EmulatorStats $emulator).submitted - $before | Should -Be 5
    }

    It 'takes Import-Csv rows with Prompt and the other parameters as columns' {
        $csv = Join-Path $TestDrive 'prompts.csv'
        Set-Content -LiteralPath $csv -Value @('Prompt,ImageSize,NumImages', '"A bowl of ramen",square_hd,2', '"A red bicycle",,')
        $results = Import-Csv $csv | New-SeedreamImage -Ordered
        $results | Should -HaveCount 2
        $first = (Get-EmulatorJob $emulator $results[0].RequestId).input
        $first.num_images | Should -Be 2
        $first.image_size | Should -Be 'square_hd'
        $results[0].Images | Should -HaveCount 2
        (Get-EmulatorJob $emulator $results[1].RequestId).input.PSObject.Properties.Name | Should -Not -Contain 'num_images'
    }

    It 'sends 5.0 Pro''s output_format' {
        $r = New-SeedreamImage -Prompt 'A glass bottle' -Endpoint bytedance/seedream/v5/pro/text-to-image -OutputFormat png -ImageSize auto_1K
        $r.Endpoint | Should -Be 'bytedance/seedream/v5/pro/text-to-image'
        (Get-EmulatorJob $emulator $r.RequestId).input.output_format | Should -Be 'png'
    }

    It 'queues with Submit-SeedreamJob without -Image, and the job cmdlets wait for, fetch and save it' {
        $out = Join-Path $TestDrive 'queued'
        $job = Submit-SeedreamJob -Prompt 'A foggy harbour' -Endpoint $lite
        $job.Endpoint | Should -Be $lite
        $status = $job | Get-SeedreamJobStatus
        $status.RequestId | Should -Be $job.RequestId
        $saved = $job | Wait-SeedreamJob -TimeoutSec 60 | Receive-SeedreamJob | Save-SeedreamImage -Destination $out
        @($saved) | Should -HaveCount 1
        $saved[0].FullName | Should -Exist
        $stop = $job | Stop-SeedreamJob -PassThru -Confirm:$false
        $stop.Outcome | Should -Be 'AlreadyCompleted'
    }

    It 'replays a journaled batch without submitting again' {
        $journal = Join-Path $TestDrive 'images.journal.jsonl'
        $first = 'Journal one', 'Journal two' | New-SeedreamImage -Journal $journal
        $before = (Get-EmulatorStats $emulator).submitted
        $again = 'Journal one', 'Journal two' | New-SeedreamImage -Journal $journal
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
        ($again.RequestId | Sort-Object) | Should -Be ($first.RequestId | Sort-Object)
    }
}
