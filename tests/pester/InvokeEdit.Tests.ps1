#Requires -Version 7.2
# Pester 5. Invoke-SeedreamEdit as a PowerShell user writes it, against the local emulator.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k' -ProcessingMs 50 -Runners 4
    Connect-TestEmulator $emulator
    $script:inputs = Join-Path $TestDrive 'in'
    1..3 | ForEach-Object { $null = New-TestImage -Path (Join-Path $inputs "photo-$_.png") }
    $script:one = Join-Path $inputs 'photo-1.png'
    $script:dataUri = "data:image/png;base64,$PngBase64"
}

AfterAll {
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'Invoke-SeedreamEdit' {
    It 'edits one local image and saves the output with -OutFolder' {
        $out = Join-Path $TestDrive 'single'
        $result = Invoke-SeedreamEdit -Prompt 'Make the sky purple' -Image $one -OutFolder $out

        $result | Should -HaveCount 1
        $result.PSObject.TypeNames[0] | Should -Be 'Seedream.EditResult'
        $result.Prompt | Should -Be 'Make the sky purple'
        $result.Images | Should -Not -BeNullOrEmpty
        $result.Images[0].LocalPath | Should -Exist
        $result.Images[0].LocalPath | Should -BeLike "$out*"
        Split-Path -Leaf $result.Images[0].LocalPath | Should -Be "$($result.RequestId)-0.png"
    }

    It 'runs one edit per file piped from Get-ChildItem, without -ImageSize' {
        $before = (Get-EmulatorStats $emulator).submitted
        $results = Get-ChildItem $inputs -Filter *.png | Invoke-SeedreamEdit -Prompt 'Add snow' -Ordered -ErrorVariable problems

        $problems | Should -BeNullOrEmpty
        $results | Should -HaveCount 3
        $results.RequestId | Select-Object -Unique | Should -HaveCount 3
        (Get-EmulatorStats $emulator).submitted - $before | Should -Be 3
    }

    It 'does not send the file item''s Size as image_size' {
        $result = Get-Item $one | Invoke-SeedreamEdit -Prompt 'no size given'
        $sent = (Get-EmulatorJob $emulator $result.RequestId).input
        $sent.PSObject.Properties.Name | Should -Not -Contain 'image_size'
    }

    It 'names each result''s input images, so batch results can be matched to their files' {
        $results = Get-ChildItem $inputs -Filter *.png | Invoke-SeedreamEdit -Prompt 'Match me'

        $results | Should -HaveCount 3
        foreach ($r in $results) { $r.InputImages | Should -HaveCount 1 }
        ($results.InputImages | Sort-Object) | Should -Be ((Get-ChildItem $inputs -Filter *.png).FullName | Sort-Object)
    }

    It 'keeps input order with -Ordered' {
        $prompts = 1..5 | ForEach-Object { "ordered $_" }
        $results = $prompts | ForEach-Object { [pscustomobject]@{ Prompt = $_; Image = $one } } | Invoke-SeedreamEdit -Ordered -ThrottleLimit 5
        $results.Prompt | Should -Be $prompts
    }

    It 'runs one edit per CSV row, with columns named like the parameters' {
        $csv = Join-Path $TestDrive 'edits.csv'
        @(
            [pscustomobject]@{ Prompt = 'Row one'; Image = (Join-Path $inputs 'photo-1.png'); ImageSize = 'landscape_16_9'; Seed = 7 }
            [pscustomobject]@{ Prompt = 'Row two'; Image = (Join-Path $inputs 'photo-2.png'); ImageSize = 'auto_2K'; Seed = 8 }
        ) | Export-Csv -Path $csv -NoTypeInformation

        $results = Import-Csv $csv | Invoke-SeedreamEdit -Ordered

        $results | Should -HaveCount 2
        $results.Prompt | Should -Be @('Row one', 'Row two')
        $results[0].Seed | Should -Be 7
        $results[0].Images[0].Width | Should -BeGreaterThan $results[0].Images[0].Height
    }

    It 'pipes results to Save-SeedreamImage and on to Select-Object' {
        $out = Join-Path $TestDrive 'saved'
        $files = Invoke-SeedreamEdit -Prompt 'Two versions' -Image (Join-Path $inputs 'photo-3.png') -NumImages 2 |
            Save-SeedreamImage -Destination $out |
            Select-Object Name, Length, FullName

        $files | Should -HaveCount 2
        $files | ForEach-Object { $_.FullName | Should -Exist; $_.Length | Should -BeGreaterThan 0 }
    }

    It 'sends the seed given, and the result reports it' {
        $result = Invoke-SeedreamEdit -Prompt 'seeded' -Image $one -Seed 42
        $result.Seed | Should -Be 42
        (Get-EmulatorJob $emulator $result.RequestId).input.seed | Should -Be 42
    }

    It 'sends a size given as a hashtable and gets that size back' {
        $result = Invoke-SeedreamEdit -Prompt 'sized' -Image $one -ImageSize @{ width = 2560; height = 1440 }
        $result.Images[0].Width | Should -Be 2560
        $result.Images[0].Height | Should -Be 1440
    }

    It 'sends a size given as WIDTHxHEIGHT' {
        $result = Invoke-SeedreamEdit -Prompt 'sized text' -Image $one -ImageSize '1440x2560'
        $result.Images[0].Width | Should -Be 1440
        $result.Images[0].Height | Should -Be 2560
    }

    It 'warns that a custom size below the model''s minimum is scaled up' {
        $result = Invoke-SeedreamEdit -Prompt 'tiny' -Image $one -ImageSize '640x360' -WarningVariable warnings -WarningAction SilentlyContinue
        "$warnings" | Should -Match 'scaled up'
        $result.Images[0].Width * $result.Images[0].Height | Should -BeGreaterOrEqual (2560 * 1440 * 0.99)
    }

    It 'sends -NumImages and -EnhancePromptMode' {
        $result = Invoke-SeedreamEdit -Prompt 'two of them' -Image $one -NumImages 2 -EnhancePromptMode fast
        $result.Images | Should -HaveCount 2
        $sent = (Get-EmulatorJob $emulator $result.RequestId).input
        $sent.num_images | Should -Be 2
        $sent.enhance_prompt_mode | Should -Be 'fast'
    }

    It 'merges -AdditionalInput into the request body' {
        $result = Invoke-SeedreamEdit -Prompt 'extra field' -Image $one -AdditionalInput @{ future_field = 'yes' }
        (Get-EmulatorJob $emulator $result.RequestId).input.future_field | Should -Be 'yes'
    }

    It 'uploads a file used by several edits only once per command' {
        $before = (Get-EmulatorStats $emulator).uploads
        $results = 1..3 | ForEach-Object { [pscustomobject]@{ Prompt = "shared $_"; Image = $one } } | Invoke-SeedreamEdit
        $results | Should -HaveCount 3
        (Get-EmulatorStats $emulator).uploads - $before | Should -Be 1
    }

    It 'sends local files inline with -InlineImages, uploading nothing' {
        $before = (Get-EmulatorStats $emulator).uploads
        $result = Invoke-SeedreamEdit -Prompt 'inline' -Image $one -InlineImages
        (Get-EmulatorStats $emulator).uploads | Should -Be $before
        (Get-EmulatorJob $emulator $result.RequestId).input.image_urls[0] | Should -BeLike 'data:image/png;base64,*'
    }

    It 'takes a data URI as input' {
        $result = Invoke-SeedreamEdit -Prompt 'from a data uri' -Image $dataUri
        $result.Images | Should -Not -BeNullOrEmpty
    }

    It 'runs through fal.run with -Sync' {
        $before = (Get-EmulatorStats $emulator).syncRuns
        $result = Invoke-SeedreamEdit -Prompt 'synchronous' -Image $one -Sync
        $result.Images | Should -Not -BeNullOrEmpty
        (Get-EmulatorStats $emulator).syncRuns - $before | Should -Be 1
    }

    It 'reports a numeric Duration in seconds' {
        $result = Invoke-SeedreamEdit -Prompt 'timed' -Image $one
        $result.Duration | Should -BeOfType ([double])
        $result.Duration | Should -BeGreaterThan 0
        $result.Duration | Should -BeLessThan 60
        ($result | ConvertTo-Json -Depth 4 | ConvertFrom-Json).Duration | Should -BeOfType ([double])
    }

    It 'expands wildcards in -Image into one edit with all matching files' {
        $result = Invoke-SeedreamEdit -Prompt 'all three' -Image (Join-Path $inputs '*.png')
        $result | Should -HaveCount 1
        $result.InputImages | Should -HaveCount 3
        (Get-EmulatorJob $emulator $result.RequestId).input.image_urls | Should -HaveCount 3
    }

    It 'expands a relative wildcard path against the current location' {
        Push-Location $TestDrive
        try { $result = Invoke-SeedreamEdit -Prompt 'relative' -Image ./in/*.png }
        finally { Pop-Location }
        $result.InputImages | Should -HaveCount 3
    }

    It 'reports a wildcard that matches nothing as SeedreamImageNotFound' {
        Invoke-SeedreamEdit -Prompt 'none' -Image (Join-Path $inputs 'zzz*.png') -ErrorVariable problems -ErrorAction SilentlyContinue
        @($problems) | Should -HaveCount 1
        $problems[0] | Get-ErrorId | Should -Be 'SeedreamImageNotFound'
    }

    It 'keeps the last 10 of 11 images and says "the first one is ignored"' {
        $many = 1..11 | ForEach-Object { (New-TestImage -Path (Join-Path $TestDrive "many/m$('{0:d2}' -f $_).png")).FullName }
        $result = Invoke-SeedreamEdit -Prompt 'eleven' -Image $many -WarningVariable warnings -WarningAction SilentlyContinue

        @($warnings) | Should -HaveCount 1
        "$warnings" | Should -Match 'the first one is ignored'
        $result.InputImages | Should -HaveCount 10
        $result.InputImages | Should -Not -Contain $many[0]
    }

    It 'says "the first 2 are ignored" for 12 images' {
        $many = 1..12 | ForEach-Object { $dataUri }
        Invoke-SeedreamEdit -Prompt 'twelve' -Image $many -WhatIf -WarningVariable warnings -WarningAction SilentlyContinue
        "$warnings" | Should -Match 'the first 2 are ignored'
    }

    It 'with -WhatIf sends nothing, returns nothing and prints the estimated cost' {
        $before = (Get-EmulatorStats $emulator).submitted
        $text = Get-HostText { Invoke-SeedreamEdit -Prompt 'Costly' -Image $one -NumImages 2 -MaxImages 3 -WhatIf | Should -BeNullOrEmpty }

        $text | Should -Match ([regex]::Escape('$0.210'))
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }

    It 'with -WhatIf on a batch names each record and ends with a Total line' {
        $before = (Get-EmulatorStats $emulator).submitted
        $text = Get-HostText { Get-ChildItem $inputs -Filter *.png | Invoke-SeedreamEdit -Prompt 'batch cost' -WhatIf }

        foreach ($name in 'photo-1.png', 'photo-2.png', 'photo-3.png') { $text | Should -Match ([regex]::Escape($name)) }
        $lines = @($text -split "`r?`n" | Where-Object { $_ -like 'What if:*' })
        $lines | Should -HaveCount 4
        $lines[-1] | Should -Match 'Total'
        $lines[-1] | Should -Match ([regex]::Escape('$0.105'))
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }

    It 'stops a whole script on a missing key when asked to' {
        Disconnect-Seedream
        $saved = Save-SeedreamEnvironment
        Clear-SeedreamEnvironment
        try {
            { Invoke-SeedreamEdit -Prompt 'p' -Image $one -ErrorAction Stop } |
                Should -Throw -ErrorId 'SeedreamApiKeyMissing,*'
        }
        finally {
            Restore-SeedreamEnvironment $saved
            Connect-TestEmulator $emulator
        }
    }
}

Describe 'Invoke-SeedreamEdit with an earlier result as input' {
    BeforeAll {
        $script:first = Invoke-SeedreamEdit -Prompt 'the original' -Image $one -Seed 1234
    }

    It 'edits a piped Seedream.Image with a new prompt, not reusing its seed' {
        $result = $first.Images[0] | Invoke-SeedreamEdit -Prompt 'a follow-up'
        $sent = (Get-EmulatorJob $emulator $result.RequestId).input

        $result.Prompt | Should -Be 'a follow-up'
        $sent.image_urls | Should -Be @($first.Images[0].Url)
        $sent.PSObject.Properties.Name | Should -Not -Contain 'seed'
        $result.Endpoint | Should -Be 'fal-ai/bytedance/seedream/v5/lite/edit'
    }

    It 'edits a piped Seedream.EditResult: its images are the input' {
        $result = $first | Invoke-SeedreamEdit -Prompt 'from the whole result'
        (Get-EmulatorJob $emulator $result.RequestId).input.image_urls | Should -Be @($first.Images.Url)
        $result.Seed | Should -Not -Be 1234
    }

    It 'asks for a prompt (SeedreamPromptRequired) instead of reusing the piped one' {
        $before = (Get-EmulatorStats $emulator).submitted
        $first | Invoke-SeedreamEdit -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

        @($problems) | Should -HaveCount 1
        $problems[0] | Get-ErrorId | Should -Be 'SeedreamPromptRequired'
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }

    It 'asks for a prompt when a Seedream.Image is piped without -Prompt (it has none to bind)' {
        $before = (Get-EmulatorStats $emulator).submitted
        $first.Images[0] | Invoke-SeedreamEdit -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        # -Prompt is mandatory: PowerShell's own binder names it, and nothing is sent.
        @($problems | Get-ErrorId) | Should -Be @('InputObjectMissingMandatory')
        $problems[0].Exception.Message | Should -BeLike '*Prompt*'
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }

    It 'asks for a prompt (SeedreamPromptRequired) when a Seedream.EditResult is piped without -Prompt' {
        $before = (Get-EmulatorStats $emulator).submitted
        $first | Invoke-SeedreamEdit -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        @($problems | Get-ErrorId) | Should -Be @('SeedreamPromptRequired')
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }

    It 'keeps a -Seed typed on the command line' {
        $result = $first.Images[0] | Invoke-SeedreamEdit -Prompt 'seeded follow-up' -Seed 99
        $result.Seed | Should -Be 99
    }

    It 'takes an earlier image through -Image without downloading or uploading it' {
        $before = (Get-EmulatorStats $emulator).uploads
        $result = Invoke-SeedreamEdit -Prompt 'by parameter' -Image $first.Images[0]
        $result.InputImages | Should -Be @($first.Images[0].Url)
        (Get-EmulatorStats $emulator).uploads | Should -Be $before
    }
}

Describe 'Invoke-SeedreamEdit -NameTemplate' {
    It 'names saved files from the input file with {InputName}' {
        $out = Join-Path $TestDrive 'by-input'
        $results = Get-ChildItem $inputs -Filter *.png | Invoke-SeedreamEdit -Prompt 'named' -OutFolder $out -NameTemplate '{InputName}-{Index}.{ext}'

        (Get-ChildItem $out).Name | Sort-Object | Should -Be @('photo-1-0.png', 'photo-2-0.png', 'photo-3-0.png')
        $results.Images.LocalPath | ForEach-Object { $_ | Should -Exist }
    }

    It 'keeps the file extension when the template leaves out {ext}' {
        $out = Join-Path $TestDrive 'no-ext'
        $null = Invoke-SeedreamEdit -Prompt 'extension' -Image $one -OutFolder $out -NameTemplate '{InputName}-edited'
        (Get-ChildItem $out).Name | Should -Be 'photo-1-edited.png'
    }

    It 'saves every image of a batch whose rows share an input, under the next free name' {
        $out = Join-Path $TestDrive 'shared-input'
        $rows = 1..3 | ForEach-Object { [pscustomobject]@{ Prompt = "variation $_"; Image = $one } }
        $results = $rows | Invoke-SeedreamEdit -OutFolder $out -NameTemplate '{InputName}-{Index}' -ErrorVariable problems

        $problems | Should -BeNullOrEmpty
        (Get-ChildItem $out).Name | Sort-Object | Should -Be @('photo-1-0-2.png', 'photo-1-0-3.png', 'photo-1-0.png')
        @($results.Images.LocalPath | Select-Object -Unique) | Should -HaveCount 3
    }

    It 'never overwrites the files of an earlier run: a rerun takes the next free names' {
        $out = Join-Path $TestDrive 'rerun-names'
        $first = Invoke-SeedreamEdit -Prompt 'first run' -Image $one -OutFolder $out -NameTemplate '{InputName}'
        $firstBytes = [IO.File]::ReadAllBytes($first.Images[0].LocalPath)
        $second = Invoke-SeedreamEdit -Prompt 'second run' -Image $one -OutFolder $out -NameTemplate '{InputName}'

        Split-Path -Leaf $second.Images[0].LocalPath | Should -Be 'photo-1-2.png'
        [IO.File]::ReadAllBytes($first.Images[0].LocalPath) | Should -Be $firstBytes
    }

    It 'refuses an unknown placeholder before sending anything' {
        $before = (Get-EmulatorStats $emulator).submitted
        { Invoke-SeedreamEdit -Prompt 'bad template' -Image $one -OutFolder $TestDrive -NameTemplate '{Nope}.png' -ErrorAction Stop } |
            Should -Throw -ErrorId 'SeedreamNameTemplateInvalid,*'
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }

    It 'refuses -NameTemplate without -OutFolder before sending anything (nothing would be saved)' {
        $before = (Get-EmulatorStats $emulator).submitted
        $err = $null
        try { Invoke-SeedreamEdit -Prompt 'no folder' -Image $one -NameTemplate '{InputName}-{Index}' -ErrorAction Stop }
        catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'SeedreamNameTemplateWithoutOutFolder,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -Match '-OutFolder'
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
        { 'a prompt' | New-SeedreamImage -NameTemplate '{Index}' -ErrorAction Stop } | Should -Throw -ErrorId 'SeedreamNameTemplateWithoutOutFolder,*'
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }
}

Describe 'Invoke-SeedreamEdit and the mid-2026 schema' {
    It 'sends auto_4K and a 4096x4096 size without a warning, and gets 4096x4096 images' {
        $results = @(
            Invoke-SeedreamEdit -Prompt 'four k' -Image $one -ImageSize auto_4K -WarningVariable w1
            Invoke-SeedreamEdit -Prompt 'custom 4k' -Image $one -ImageSize 4096x4096 -WarningVariable w2
        )
        $w1 + $w2 | Should -BeNullOrEmpty
        $results.Images | ForEach-Object { "$($_.Width)x$($_.Height)" } | Should -Be @('4096x4096', '4096x4096')
    }

    It 'lets -AdditionalInput override -ImageSize, with a warning that names both' {
        $result = Invoke-SeedreamEdit -Prompt 'override' -Image $one -ImageSize auto_2K -AdditionalInput @{ image_size = 'auto_4K' } -WarningVariable warnings
        @($warnings) | Should -HaveCount 1
        "$($warnings[0])" | Should -Match "'image_size'.*-ImageSize"
        $result.Images[0].Width | Should -Be 4096
    }

    It 'sends an endpoint it has no schema for as given (no local range checks)' {
        $before = (Get-EmulatorStats $emulator).submitted
        $text = Get-HostText { Invoke-SeedreamEdit -Prompt 'other model' -Image $one -Endpoint 'fal-ai/some-lab/new-model' -NumImages 40 -WhatIf -ErrorVariable problems }
        $problems | Should -BeNullOrEmpty
        $text | Should -Match 'cost unknown'
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }
}

Describe 'Invoke-SeedreamEdit failures fal reports' {
    It 'name the edit (prompt and input) in the message and target the request id' {
        Invoke-SeedreamEdit -Prompt 'cannot be fetched' -Image 'https://example.com/car.png' -ErrorVariable problems -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        @($problems) | Should -HaveCount 1
        $problems[0] | Get-ErrorId | Should -Be 'SeedreamInputRejected'
        $problems[0].TargetObject | Should -Match '^[0-9a-f]{8}-[0-9a-f]{4}-'
        $problems[0].ErrorDetails.Message | Should -Match ([regex]::Escape("Edit: fal-ai/bytedance/seedream/v5/lite/edit: 'cannot be fetched' on car.png"))
    }
}

Describe 'Invoke-SeedreamEdit refuses bad input before sending anything' {
    BeforeAll {
        $script:folder = Join-Path $TestDrive 'bad'
        $null = New-Item -ItemType Directory -Path (Join-Path $folder 'a-folder') -Force
        Set-Content -LiteralPath (Join-Path $folder 'notes.png') -Value 'this is text, not a picture'
        $null = New-Item -ItemType File -Path (Join-Path $folder 'empty.png') -Force
    }

    It 'reports <Name> as exactly one <Id> error' -ForEach @(
        @{ Name = 'a missing file'; Image = 'missing.png'; Id = 'SeedreamImageNotFound' }
        @{ Name = 'a folder'; Image = 'a-folder'; Id = 'SeedreamImageIsDirectory' }
        @{ Name = 'a text file'; Image = 'notes.png'; Id = 'SeedreamImageNotAnImage' }
        @{ Name = 'an empty file'; Image = 'empty.png'; Id = 'SeedreamImageEmpty' }
        @{ Name = 'an ftp URL'; Image = 'ftp://example.com/a.png'; Id = 'SeedreamImageUrlSchemeUnsupported' }
        @{ Name = 'a data URI of text'; Image = 'data:text/plain;base64,aGVsbG8='; Id = 'SeedreamImageNotAnImage' }
    ) {
        $before = (Get-EmulatorStats $emulator).submitted
        $value = if ($Image -match '^[a-z]+:') { $Image } else { Join-Path $folder $Image }

        Invoke-SeedreamEdit -Prompt 'p' -Image $value -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

        @($problems | Get-ErrorId) | Should -Be @($Id)
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }

    It 'reports <Name> as <Id>' -ForEach @(
        @{ Name = 'an empty prompt'; Arguments = @{ Prompt = '  ' }; Id = 'SeedreamPromptEmpty' }
        @{ Name = 'NumImages 9'; Arguments = @{ NumImages = 9 }; Id = 'SeedreamNumImagesOutOfRange' }
        @{ Name = 'MaxImages 0'; Arguments = @{ MaxImages = 0 }; Id = 'SeedreamMaxImagesOutOfRange' }
        @{ Name = 'a negative seed'; Arguments = @{ Seed = -1 }; Id = 'SeedreamSeedOutOfRange' }
        @{ Name = 'an unknown size'; Arguments = @{ ImageSize = 'enormous' }; Id = 'SeedreamImageSizeInvalid' }
        @{ Name = 'an unknown enhance mode'; Arguments = @{ EnhancePromptMode = 'turbo' }; Id = 'SeedreamEnhancePromptModeInvalid' }
        @{ Name = 'a malformed endpoint'; Arguments = @{ Endpoint = 'not an endpoint' }; Id = 'SeedreamInvalidEndpoint' }
        @{ Name = 'a header outside x-fal-*'; Arguments = @{ Header = @{ Authorization = 'x' } }; Id = 'SeedreamHeaderInvalid' }
        @{ Name = 'a start timeout of 1 s'; Arguments = @{ StartTimeoutSec = 1 }; Id = 'SeedreamStartTimeoutInvalid' }
    ) {
        $before = (Get-EmulatorStats $emulator).submitted
        $call = @{ Prompt = 'p'; Image = $one }
        foreach ($name in $Arguments.Keys) { $call[$name] = $Arguments[$name] }

        Invoke-SeedreamEdit @call -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

        @($problems | Get-ErrorId) | Should -Be @($Id)
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }

    It 'gives one error for a record with several problems, naming the others after "Also:"' {
        Invoke-SeedreamEdit -Prompt 'p' -Image (Join-Path $folder 'missing.png') -NumImages 9 -ImageSize 'enormous' -ErrorVariable problems -ErrorAction SilentlyContinue

        @($problems) | Should -HaveCount 1
        $problems[0].Exception.Message | Should -Match 'Also:'
        $problems[0].Exception.Message | Should -Match 'missing\.png'
        $problems[0].Exception.Message | Should -Match '(?i)num_?images|NumImages'
    }

    It 'gives one error per bad piped record and still runs the good ones' {
        $records = @(
            [pscustomobject]@{ Prompt = 'good'; Image = $one }
            [pscustomobject]@{ Prompt = 'missing'; Image = (Join-Path $folder 'missing.png') }
            [pscustomobject]@{ Prompt = 'folder'; Image = (Join-Path $folder 'a-folder') }
            [pscustomobject]@{ Prompt = 'text'; Image = (Join-Path $folder 'notes.png') }
            [pscustomobject]@{ Prompt = 'empty'; Image = (Join-Path $folder 'empty.png') }
            [pscustomobject]@{ Prompt = 'ftp'; Image = 'ftp://example.com/a.png' }
        )
        $results = $records | Invoke-SeedreamEdit -ErrorVariable problems -ErrorAction SilentlyContinue

        $results | Should -HaveCount 1
        $results.Prompt | Should -Be 'good'
        @($problems | Get-ErrorId) | Should -Be @('SeedreamImageNotFound', 'SeedreamImageIsDirectory', 'SeedreamImageNotAnImage', 'SeedreamImageEmpty', 'SeedreamImageUrlSchemeUnsupported')
    }

    It 'never adds SeedreamImageRequired when the only image was refused' {
        Get-Item (Join-Path $folder 'empty.png') | Invoke-SeedreamEdit -Prompt 'p' -ErrorVariable problems -ErrorAction SilentlyContinue
        @($problems | Get-ErrorId) | Should -Be @('SeedreamImageEmpty')
    }

    It 'reports a record with no image at all as SeedreamImageRequired' {
        [pscustomobject]@{ Prompt = 'no image' } | Invoke-SeedreamEdit -ErrorVariable problems -ErrorAction SilentlyContinue
        @($problems | Get-ErrorId) | Should -Be @('SeedreamImageRequired')
    }
}
