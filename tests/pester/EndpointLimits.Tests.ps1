#Requires -Version 7.2
# Pester 5. Invoke-SeedreamEdit / Submit-SeedreamJob -Endpoint for each Seedream edit endpoint, with
# its own fields and limits. The first block checks what is refused or priced before anything is
# sent; the second runs each endpoint end to end and needs the emulator's family models (issue 12's
# emulator side).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k' -ProcessingMs 100 -Runners 4
    Connect-TestEmulator $emulator
    $script:url = 'https://example.com/a.png'
    $script:ten = @(1..10 | ForEach-Object { "https://example.com/$_.png" })
    $script:pro = 'bytedance/seedream/v5/pro/edit'
    $script:v45 = 'fal-ai/bytedance/seedream/v4.5/edit'
    $script:v4 = 'fal-ai/bytedance/seedream/v4/edit'
    $script:png = Join-Path $TestDrive 'in.png'
    $null = New-TestImage -Path $png

    # The error ids a command wrote (warnings and -WhatIf text are not errors).
    function script:ErrorIdOf([scriptblock] $Command) {
        $ErrorActionPreference = 'Continue'
        @(& $Command 2>&1 3>$null | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | Get-ErrorId)
    }
}

AfterAll {
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'Edit endpoints: checks before sending' {
    BeforeAll { $script:submittedBefore = (Get-EmulatorStats $emulator).submitted }
    AfterAll { (Get-EmulatorStats $emulator).submitted | Should -Be $submittedBefore -Because 'a refused edit sends nothing' }

    It '5.0 Pro has no -MaxImages or -Seed, takes -OutputFormat jpeg|png and its own presets' -ForEach @(
        @{ Cmdlet = 'Invoke-SeedreamEdit' }, @{ Cmdlet = 'Submit-SeedreamJob' }
    ) {
        ErrorIdOf { & $Cmdlet -Prompt 'p' -Image $url -Endpoint $pro -MaxImages 2 } | Should -Be 'SeedreamFieldNotSupported'
        ErrorIdOf { & $Cmdlet -Prompt 'p' -Image $url -Endpoint $pro -Seed 1 } | Should -Be 'SeedreamFieldNotSupported'
        ErrorIdOf { & $Cmdlet -Prompt 'p' -Image $url -Endpoint $pro -OutputFormat webp } | Should -Be 'SeedreamOutputFormatInvalid'
        ErrorIdOf { & $Cmdlet -Prompt 'p' -Image $url -Endpoint $pro -ImageSize auto_4K } | Should -Be 'SeedreamImageSizeInvalid'
        ErrorIdOf { & $Cmdlet -Prompt 'p' -Image $url -Endpoint $pro -ImageSize 3000x3000 } | Should -Be 'SeedreamImageSizeOutOfRange'
        ErrorIdOf { & $Cmdlet -Prompt 'p' -Image $url -Endpoint $pro -ImageSize 4113x257 } | Should -Be 'SeedreamImageSizeOutOfRange'
        ErrorIdOf { & $Cmdlet -Prompt 'p' -Image $url -Endpoint $pro -ImageSize 4096x256 -OutputFormat png -WhatIf } | Should -BeNullOrEmpty
        ErrorIdOf { & $Cmdlet -Prompt 'p' -Image $url -Endpoint "fal-ai/$pro" -ImageSize auto_1K -WhatIf } | Should -BeNullOrEmpty
    }

    It '5.0 Lite Edit has no -OutputFormat; a text-to-image endpoint takes no -Image' {
        ErrorIdOf { Invoke-SeedreamEdit -Prompt 'p' -Image $url -OutputFormat png } | Should -Be 'SeedreamFieldNotSupported'
        ErrorIdOf { Invoke-SeedreamEdit -Prompt 'p' -Image $url -Endpoint fal-ai/bytedance/seedream/v5/lite/text-to-image } | Should -Be 'SeedreamEndpointKindMismatch'
        ErrorIdOf { Submit-SeedreamJob -Prompt 'p' -Image $url -Endpoint fal-ai/bytedance/seedream/v4/text-to-image } | Should -Be 'SeedreamFieldNotSupported'
    }

    It '4.5 and 4.0 take at most 15 images in and out of one generation (inputs + MaxImages)' -ForEach @(
        @{ Endpoint = 'fal-ai/bytedance/seedream/v4.5/edit' }, @{ Endpoint = 'fal-ai/bytedance/seedream/v4/edit' }
    ) {
        ErrorIdOf { Invoke-SeedreamEdit -Prompt 'p' -Image $ten -Endpoint $Endpoint -MaxImages 6 } | Should -Be 'SeedreamImageCountLimitExceeded'
        ErrorIdOf { Submit-SeedreamJob -Prompt 'p' -Image $ten[0..9] -Endpoint $Endpoint -NumImages 2 -MaxImages 6 } | Should -Be 'SeedreamImageCountLimitExceeded'
        ErrorIdOf { Invoke-SeedreamEdit -Prompt 'p' -Image $ten[0..8] -Endpoint $Endpoint -NumImages 6 -MaxImages 6 -WhatIf } | Should -BeNullOrEmpty
        # -AdditionalInput sends max_images as given (with its warning); the emulator, like fal, then checks it.
        ErrorIdOf { Invoke-SeedreamEdit -Prompt 'p' -Image $ten[0..4] -Endpoint $Endpoint -AdditionalInput @{ num_images = 2; max_images = 6 } -WhatIf -WarningAction SilentlyContinue } | Should -BeNullOrEmpty
        # The same counts are fine on 5.0 Lite, which has no such limit.
        ErrorIdOf { Invoke-SeedreamEdit -Prompt 'p' -Image $ten -NumImages 6 -MaxImages 6 -WhatIf } | Should -BeNullOrEmpty
    }

    It '4.5 has no -EnhancePromptMode and needs sides 1920-4096 or 2560x1440-4096x4096 pixels' {
        ErrorIdOf { Invoke-SeedreamEdit -Prompt 'p' -Image $url -Endpoint $v45 -EnhancePromptMode fast } | Should -Be 'SeedreamFieldNotSupported'
        ErrorIdOf { Invoke-SeedreamEdit -Prompt 'p' -Image $url -Endpoint $v45 -ImageSize 1000x1000 } | Should -Be 'SeedreamImageSizeOutOfRange'
        ErrorIdOf { Invoke-SeedreamEdit -Prompt 'p' -Image $url -Endpoint $v45 -ImageSize 2560x1440 -WhatIf } | Should -BeNullOrEmpty
        ErrorIdOf { Invoke-SeedreamEdit -Prompt 'p' -Image $url -Endpoint $v45 -ImageSize auto_3K } | Should -Be 'SeedreamImageSizeInvalid'
    }

    It '4.0 scales a small custom size up, with a warning, and takes -EnhancePromptMode and auto' {
        Invoke-SeedreamEdit -Prompt 'p' -Image $url -Endpoint $v4 -ImageSize 500x500 -EnhancePromptMode fast -WhatIf -WarningVariable w -WarningAction SilentlyContinue -ErrorVariable e
        $e | Should -BeNullOrEmpty
        "$w" | Should -Match 'fewer than the model''s minimum of 921,600 \(960x960\)'
        ErrorIdOf { Invoke-SeedreamEdit -Prompt 'p' -Image $url -Endpoint $v4 -ImageSize auto -WhatIf } | Should -BeNullOrEmpty
    }

    It '-AdditionalInput sends a field the profile lacks, with a warning naming it' {
        Invoke-SeedreamEdit -Prompt 'p' -Image $url -Endpoint $pro -AdditionalInput @{ max_images = 3; seed = 7 } -WhatIf -WarningVariable w -WarningAction SilentlyContinue -ErrorVariable e
        $e | Should -BeNullOrEmpty
        ($w | Where-Object { "$_" -match "'max_images'" }) | Should -Not -BeNullOrEmpty
        ($w | Where-Object { "$_" -match "'seed'" }) | Should -Not -BeNullOrEmpty
    }

    It '-WhatIf prints each endpoint''s price, says when it is third-party, and prices 5.0 Pro by size' {
        $text = Get-HostText { Invoke-SeedreamEdit -Prompt 'p' -Image $url -Endpoint $v4 -NumImages 2 -WhatIf }
        $text | Should -Match ([regex]::Escape('estimated cost up to $0.060 (2 images × $0.03)'))
        $text = Get-HostText { Invoke-SeedreamEdit -Prompt 'p' -Image $url -Endpoint $v45 -WhatIf }
        $text | Should -Match ([regex]::Escape('$0.040 (1 image × $0.04), price from a third-party listing'))
        $text = Get-HostText { Invoke-SeedreamEdit -Prompt 'p' -Image $url -Endpoint $pro -WhatIf }
        $text | Should -Match ([regex]::Escape('$0.135 (1 image × $0.135), price from a third-party listing'))
        $text = Get-HostText { Invoke-SeedreamEdit -Prompt 'p' -Image $url, $url -Endpoint $pro -ImageSize auto_1K -WhatIf }
        $text | Should -Match ([regex]::Escape('(1 image × $0.072)'))
        $text = Get-HostText { Submit-SeedreamJob -Prompt 'p' -Image $url -Endpoint bytedance/seedream/v5/lite/edit -MaxImages 2 -WhatIf }
        $text | Should -Match ([regex]::Escape('estimated cost up to $0.070 (2 images × $0.035)'))
    }
}

Describe 'Edit endpoints against the emulator (needs its family models)' {
    It '<Endpoint> runs an edit through Invoke-SeedreamEdit' -ForEach @(
        @{ Endpoint = 'fal-ai/bytedance/seedream/v5/lite/edit'; Extra = @{ Seed = 3; MaxImages = 2 } }
        @{ Endpoint = 'bytedance/seedream/v5/pro/edit'; Extra = @{ OutputFormat = 'png'; ImageSize = 'auto_1K' } }
        @{ Endpoint = 'fal-ai/bytedance/seedream/v5/pro/edit'; Extra = @{} }
        @{ Endpoint = 'fal-ai/bytedance/seedream/v4.5/edit'; Extra = @{ Seed = 3; ImageSize = '2560x1440' } }
        @{ Endpoint = 'fal-ai/bytedance/seedream/v4/edit'; Extra = @{ EnhancePromptMode = 'fast'; ImageSize = 'auto' } }
    ) {
        $r = Invoke-SeedreamEdit -Prompt "Edit on $Endpoint" -Image $png -Endpoint $Endpoint @Extra -ErrorVariable e
        $e | Should -BeNullOrEmpty
        $r.Endpoint | Should -Be $Endpoint
        $r.Images.Count | Should -BeGreaterThan 0
        $input = (Get-EmulatorJob $emulator $r.RequestId).input
        if ($Extra.OutputFormat) { $input.output_format | Should -Be $Extra.OutputFormat }
        if ($Extra.EnhancePromptMode) { $input.enhance_prompt_mode | Should -Be $Extra.EnhancePromptMode }
    }

    It 'queues a 4.5 edit with Submit-SeedreamJob and collects it with the job cmdlets' {
        $job = Submit-SeedreamJob -Prompt 'Queued 4.5' -Image $png -Endpoint $v45 -NumImages 2
        $result = $job | Wait-SeedreamJob -TimeoutSec 60 | Receive-SeedreamJob
        $result.Endpoint | Should -Be $v45
        $result.Images.Count | Should -BeGreaterOrEqual 2
    }
}
