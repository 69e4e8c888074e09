#Requires -Version 7.2
# Pester 5. What a first user of the Seedream family ran into (a trial in real pwsh): images given to
# text-to-image, a text-to-image endpoint given to an edit cmdlet, enum values in another case, ids
# without fal-ai/, completion that offers only what the endpoint takes, and size messages.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k' -ProcessingMs 50 -Runners 4
    Connect-TestEmulator $emulator
    $script:png = (New-TestImage -Path (Join-Path $TestDrive 'in.png')).FullName
    $script:pro = 'bytedance/seedream/v5/pro/edit'

    function script:Submitted { (Get-EmulatorStats $emulator).submitted }
    function script:Offered([string] $Line) {
        (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText
    }
}

AfterAll {
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'Images given to text-to-image are refused, never dropped from a paid request' {
    It 'refuses -Image (not taken for -ImageSize) with SeedreamFieldNotSupported' {
        $before = Submitted
        New-SeedreamImage -Prompt 'x' -Image $png -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $e | Get-ErrorId | Should -Be 'SeedreamFieldNotSupported'
        "$e" | Should -Match 'Invoke-SeedreamEdit'
        Submitted | Should -Be $before
    }

    It 'refuses a piped row with an Image column, and still runs the rows without one' {
        $before = Submitted
        $rows = @(
            [pscustomobject]@{ Prompt = 'with image'; Image = $png }
            [pscustomobject]@{ Prompt = 'plain'; Image = '' }
        )
        $out = $rows | New-SeedreamImage -ErrorVariable e -ErrorAction SilentlyContinue
        $e | Get-ErrorId | Should -Be 'SeedreamFieldNotSupported'
        $e[0].TargetObject | Should -Be 'with image'
        @($out).Count | Should -Be 1
        $out.Prompt | Should -Be 'plain'
        Submitted | Should -Be ($before + 1)
    }

    It 'says only what is wrong with a bad endpoint (no "input image is required")' {
        New-SeedreamImage -Prompt 'x' -Endpoint 'flux' -ErrorVariable e -ErrorAction SilentlyContinue
        $e | Get-ErrorId | Should -Be 'SeedreamInvalidEndpoint'
        "$e" | Should -Not -Match 'input image'
    }
}

Describe 'Each cmdlet takes its own kind of endpoint' {
    It 'refuses a text-to-image endpoint on Invoke-SeedreamEdit and points to New-SeedreamImage' {
        foreach ($withImage in $false, $true) {
            $splat = @{ Prompt = 'p'; Endpoint = 'fal-ai/bytedance/seedream/v4/text-to-image' }
            if ($withImage) { $splat.Image = $png }
            Invoke-SeedreamEdit @splat -ErrorVariable e -ErrorAction SilentlyContinue
            $e | Get-ErrorId | Should -Be 'SeedreamEndpointKindMismatch'
            "$e" | Should -Match 'New-SeedreamImage'
        }
    }

    It 'still queues either kind with Submit-SeedreamJob' {
        $job = Submit-SeedreamJob -Prompt 'p' -Endpoint 'fal-ai/bytedance/seedream/v4/text-to-image'
        $job.RequestId | Should -Not -BeNullOrEmpty
        $null = $job | Wait-SeedreamJob
    }

    It 'names the text-to-image route when an edit has no image' {
        Submit-SeedreamJob -Prompt 'p' -ErrorVariable e -ErrorAction SilentlyContinue
        $e | Get-ErrorId | Should -Be 'SeedreamImageRequired'
        "$e" | Should -Match 'New-SeedreamImage'
    }
}

Describe 'Values and ids as people type them' {
    It 'takes -OutputFormat and -EnhancePromptMode in any case and sends the schema''s spelling' {
        $r = Invoke-SeedreamEdit -Prompt 'p' -Image $png -Endpoint $pro -OutputFormat PNG
        (Get-EmulatorJob $emulator $r.RequestId).input.output_format | Should -BeExactly 'png'
        $r.Images[0].ContentType | Should -Be 'image/png'
        $r2 = Invoke-SeedreamEdit -Prompt 'p' -Image $png -Endpoint fal-ai/bytedance/seedream/v4/edit -EnhancePromptMode FAST
        (Get-EmulatorJob $emulator $r2.RequestId).input.enhance_prompt_mode | Should -BeExactly 'fast'
    }

    It 'finds a profile by either spelling of an id (with or without fal-ai/)' {
        (Get-SeedreamModel -Endpoint 'bytedance/seedream/v4/edit').Endpoint | Should -Be 'fal-ai/bytedance/seedream/v4/edit'
        # And checks it: 4.0 edit has no output_format.
        Invoke-SeedreamEdit -Prompt 'p' -Image $png -Endpoint 'bytedance/seedream/v4.5/edit' -MaxImages 7 -WhatIf -ErrorVariable e -ErrorAction SilentlyContinue
        $e | Get-ErrorId | Should -Be 'SeedreamMaxImagesOutOfRange'
    }

    It 'states a pixel-count bound as a pixel count' {
        Invoke-SeedreamEdit -Prompt 'p' -Image $png -Endpoint $pro -ImageSize 1023x1024 -ErrorVariable e -ErrorAction SilentlyContinue
        $e | Get-ErrorId | Should -Be 'SeedreamImageSizeOutOfRange'
        "$e" | Should -Match 'a total of 1,048,576 to 4,194,304 pixels'
    }
}

Describe 'Completion offers only what the endpoint takes' {
    It 'offers -OutputFormat values for 5.0 Pro and none for an endpoint without output_format' {
        Offered "Invoke-SeedreamEdit -Endpoint $pro -OutputFormat " | Should -Be @('jpeg', 'png')
        Offered 'Invoke-SeedreamEdit -Endpoint fal-ai/bytedance/seedream/v4/edit -OutputFormat ' | Should -BeNullOrEmpty
        Offered 'Invoke-SeedreamEdit -OutputFormat ' | Should -BeNullOrEmpty
    }

    It 'offers -EnhancePromptMode values only where the endpoint has the field' {
        Offered 'Invoke-SeedreamEdit -Endpoint fal-ai/bytedance/seedream/v4/edit -EnhancePromptMode ' | Should -Be @('standard', 'fast')
        Offered "Invoke-SeedreamEdit -Endpoint $pro -EnhancePromptMode " | Should -BeNullOrEmpty
    }
}

Describe 'A batch''s failures name their rows' {
    It 'targets every refusal of a record at its prompt, whatever the problem' {
        $rows = @(
            [pscustomobject]@{ Prompt = 'bad size'; ImageSize = 'auto_9K' }
            [pscustomobject]@{ Prompt = 'edit endpoint'; Endpoint = 'fal-ai/bytedance/seedream/v4/edit' }
            [pscustomobject]@{ Prompt = 'too many'; NumImages = '9' }
        )
        $rows | New-SeedreamImage -WhatIf -ErrorVariable e -ErrorAction SilentlyContinue
        @($e | Get-ErrorId) | Should -Be @('SeedreamImageSizeInvalid', 'SeedreamEndpointKindMismatch', 'SeedreamNumImagesOutOfRange')
        @($e.TargetObject) | Should -Be @('bad size', 'edit endpoint', 'too many')
    }
}

Describe 'The error catalog in a session' {
    It 'shows whole ids and whole meanings at 80 columns' {
        $text = [Seedream.Commands.Errors]::All | Out-String -Width 80
        $text | Should -Match 'SeedreamSecretManagementUnavailable '
        $text | Should -Not -Match '…'
        ($text -split "`n" | Measure-Object -Property Length -Maximum).Maximum | Should -BeLessOrEqual 80
    }
}
