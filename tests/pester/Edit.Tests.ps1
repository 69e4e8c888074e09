#Requires -Version 7.2
# Pester 5. Editing as a PowerShell user writes it, against the local emulator.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k'
    Connect-Seedream -ApiKey $emulator.Key -ProxyUrl $emulator.ProxyUrl -RetryDelayMilliseconds 10
    $script:inputs = Join-Path $TestDrive 'in'
    1..3 | ForEach-Object { $null = New-TestImage -Path (Join-Path $inputs "photo-$_.png") }
}

AfterAll {
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'Invoke-SeedreamEdit' {
    It 'edits one local image and saves the output with -OutFolder' {
        $out = Join-Path $TestDrive 'single'
        $result = Invoke-SeedreamEdit -Prompt 'Make the sky purple' -Image (Join-Path $inputs 'photo-1.png') -OutFolder $out

        $result | Should -HaveCount 1
        $result.PSObject.TypeNames[0] | Should -Be 'Seedream.EditResult'
        $result.Prompt | Should -Be 'Make the sky purple'
        $result.Images | Should -Not -BeNullOrEmpty
        $result.Images[0].LocalPath | Should -Exist
        $result.Images[0].LocalPath | Should -BeLike "$out*"
    }

    It 'runs one edit per file piped from Get-ChildItem' {
        $results = Get-ChildItem $inputs -Filter *.png | Invoke-SeedreamEdit -Prompt 'Add snow' -Ordered

        $results | Should -HaveCount 3
        $results.RequestId | Select-Object -Unique | Should -HaveCount 3
    }

    It 'runs one edit per CSV row, with columns named like the parameters or the API fields' {
        $csv = Join-Path $TestDrive 'edits.csv'
        @(
            [pscustomobject]@{ Prompt = 'Row one'; Image = (Join-Path $inputs 'photo-1.png'); ImageSize = 'landscape_16_9'; Seed = 7 }
            [pscustomobject]@{ Prompt = 'Row two'; Image = (Join-Path $inputs 'photo-2.png'); ImageSize = 'auto_2K'; Seed = 8 }
        ) | Export-Csv -Path $csv -NoTypeInformation

        $results = Import-Csv $csv | Invoke-SeedreamEdit -Ordered

        $results | Should -HaveCount 2
        $results.Prompt | Should -Be @('Row one', 'Row two')
        $results[0].Seed | Should -Be 7
    }

    It 'pipes results to Save-SeedreamImage and on to Select-Object' {
        $out = Join-Path $TestDrive 'saved'
        $files = Invoke-SeedreamEdit -Prompt 'Two versions' -Image (Join-Path $inputs 'photo-3.png') -NumImages 2 |
            Save-SeedreamImage -Destination $out |
            Select-Object Name, Length, FullName

        $files | Should -HaveCount 2
        $files | ForEach-Object { $_.FullName | Should -Exist; $_.Length | Should -BeGreaterThan 0 }
    }

    It 'refuses bad input with specific error ids and sends nothing' {
        $before = (Get-EmulatorStats $emulator).submitted

        Invoke-SeedreamEdit -Prompt '' -Image (Join-Path $inputs 'photo-1.png') -ErrorVariable problems -ErrorAction SilentlyContinue
        Invoke-SeedreamEdit -Prompt 'p' -Image (Join-Path $inputs 'photo-1.png') -NumImages 9 -ErrorVariable +problems -ErrorAction SilentlyContinue
        Invoke-SeedreamEdit -Prompt 'p' -Image (Join-Path $inputs 'missing.png') -ErrorVariable +problems -ErrorAction SilentlyContinue
        Invoke-SeedreamEdit -Prompt 'p' -Image (Join-Path $inputs 'photo-1.png') -ImageSize 'enormous' -ErrorVariable +problems -ErrorAction SilentlyContinue

        $ids = $problems | ForEach-Object { $_.FullyQualifiedErrorId.Split(',')[0] }
        $ids | Should -Contain 'SeedreamPromptEmpty'
        $ids | Should -Contain 'SeedreamNumImagesOutOfRange'
        $ids | Should -Contain 'SeedreamImageNotFound'
        $ids | Should -Contain 'SeedreamImageSizeInvalid'
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }

    It 'with -WhatIf sends nothing and returns nothing' {
        $before = (Get-EmulatorStats $emulator).submitted

        $result = Invoke-SeedreamEdit -Prompt 'Costly' -Image (Join-Path $inputs 'photo-1.png') -NumImages 2 -MaxImages 3 -WhatIf

        $result | Should -BeNullOrEmpty
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }

    It 'stops a whole script on a missing key when asked to' {
        Disconnect-Seedream
        $saved = @{}
        foreach ($name in 'FAL_KEY', 'FAL_KEY_ID', 'FAL_KEY_SECRET') {
            $saved[$name] = [Environment]::GetEnvironmentVariable($name)
            [Environment]::SetEnvironmentVariable($name, $null)
        }
        try {
            # Pester 5 compares -ErrorId with the whole FullyQualifiedErrorId ('Id,Command'): match its start.
            { Invoke-SeedreamEdit -Prompt 'p' -Image (Join-Path $inputs 'photo-1.png') -ErrorAction Stop } |
                Should -Throw -ErrorId 'SeedreamApiKeyMissing,*'
        }
        finally {
            foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
            Connect-Seedream -ApiKey $emulator.Key -ProxyUrl $emulator.ProxyUrl -RetryDelayMilliseconds 10
        }
    }
}
