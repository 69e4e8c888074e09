#Requires -Version 7.2
# Pester 5. Downloads with Save-SeedreamImage: names, templates, -Path, -Force, what it accepts.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k' -ProcessingMs 50
    Connect-TestEmulator $emulator
    $script:folder = Join-Path $TestDrive 'inputs'
    $script:source = (New-TestImage -Path (Join-Path $folder 'holiday.png')).FullName
    $script:result = Invoke-SeedreamEdit -Prompt 'Something to save' -Image $source -NumImages 2
}

AfterAll {
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'Save-SeedreamImage' {
    It 'saves every image of a result and returns the files' {
        $out = Join-Path $TestDrive 'save-all'
        $saved = $result | Save-SeedreamImage -Destination $out

        $saved | Should -HaveCount 2
        $saved | ForEach-Object { $_ | Should -BeOfType ([System.IO.FileInfo]); $_.FullName | Should -Exist }
        $saved.Name | Should -Be @("$($result.RequestId)-0.png", "$($result.RequestId)-1.png")
        $saved[0].Length | Should -Be $result.Images[0].FileSize
    }

    It 'returns file items like Get-Item''s, with PSPath, that display like Get-Item''s' {
        $saved = $result.Images[0] | Save-SeedreamImage -Destination (Join-Path $TestDrive 'like-get-item')
        $item = Get-Item -LiteralPath $saved.FullName

        $saved.PSPath | Should -Be $item.PSPath
        $saved.PSProvider.Name | Should -Be 'FileSystem'
        ($saved | Out-String -Width 120) | Should -Be ($item | Out-String -Width 120)
    }

    It 'saves into the current location by default' {
        $here = Join-Path $TestDrive 'here'
        $null = New-Item -ItemType Directory -Path $here
        Push-Location $here
        try { $saved = $result.Images[0] | Save-SeedreamImage }
        finally { Pop-Location }
        $saved.DirectoryName | Should -Be $here
    }

    It 'keeps existing files unless -Force' {
        $out = Join-Path $TestDrive 'save-twice'
        $null = $result | Save-SeedreamImage -Destination $out

        $result | Save-SeedreamImage -Destination $out -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        @($problems | Get-ErrorId) | Should -Be @('SeedreamFileExists', 'SeedreamFileExists')

        $result | Save-SeedreamImage -Destination $out -Force | Should -HaveCount 2
    }

    It 'writes one image to an exact path' {
        $single = $result.Images[0] | Save-SeedreamImage -Path (Join-Path $TestDrive 'cover.png')
        $single.Name | Should -Be 'cover.png'
        $single.Length | Should -BeGreaterThan 0
    }

    It 'writes the first image to -Path and reports SeedreamPathTakesOneImage for the others' {
        $saved = $result | Save-SeedreamImage -Path (Join-Path $TestDrive 'only-one.png') -ErrorVariable problems -ErrorAction SilentlyContinue
        $saved | Should -HaveCount 1
        @($problems | Get-ErrorId) | Should -Be @('SeedreamPathTakesOneImage')
    }

    It 'names files from a template' {
        $named = $result | Save-SeedreamImage -Destination (Join-Path $TestDrive 'named') -NameTemplate 'edit-{Index}.{ext}' |
            Select-Object -ExpandProperty Name
        $named | Should -Be @('edit-0.png', 'edit-1.png')
    }

    It 'names files after the input with {InputName}' {
        $named = $result | Save-SeedreamImage -Destination (Join-Path $TestDrive 'by-input') -NameTemplate '{InputName}-{Index}.{ext}'
        $named.Name | Should -Be @('holiday-0.png', 'holiday-1.png')
    }

    It 'keeps the extension when the template has no {ext}' {
        $named = $result | Save-SeedreamImage -Destination (Join-Path $TestDrive 'no-ext') -NameTemplate '{Seed}-{Index}'
        $named.Name | Should -Be @("$($result.Seed)-0.png", "$($result.Seed)-1.png")
    }

    It 'refuses an unknown placeholder' {
        { $result | Save-SeedreamImage -Destination $TestDrive -NameTemplate '{Colour}.png' -ErrorAction Stop } |
            Should -Throw -ErrorId 'SeedreamNameTemplateInvalid,*'
    }

    It 'saves image URLs given as plain strings and objects with a Url property' {
        $out = Join-Path $TestDrive 'urls'
        $saved = @($result.Images[0].Url, [pscustomobject]@{ Url = $result.Images[1].Url }) | Save-SeedreamImage -Destination $out
        $saved | Should -HaveCount 2
        $saved | ForEach-Object { $_.Length | Should -BeGreaterThan 0 }
    }

    It 'saves inline data URI images from -SyncMode results' {
        $inline = Invoke-SeedreamEdit -Prompt 'inline output' -Image $source -SyncMode
        $inline.Images[0].IsDataUri | Should -BeTrue
        $saved = $inline | Save-SeedreamImage -Destination (Join-Path $TestDrive 'inline')
        $saved | Should -HaveCount 1
        $saved.Length | Should -BeGreaterThan 0
    }

    It 'refuses input that names no image with SeedreamSaveInputInvalid' {
        42, [pscustomobject]@{ Name = 'no url' } | Save-SeedreamImage -Destination (Join-Path $TestDrive 'nothing') -ErrorVariable problems -ErrorAction SilentlyContinue |
            Should -BeNullOrEmpty
        @($problems | Get-ErrorId) | Should -Be @('SeedreamSaveInputInvalid', 'SeedreamSaveInputInvalid')
    }

    It 'needs no key, and never sends one with a download' {
        $saved = Save-SeedreamEnvironment
        Disconnect-Seedream
        Clear-SeedreamEnvironment
        try {
            $files = $result | Save-SeedreamImage -Destination (Join-Path $TestDrive 'keyless') -ErrorVariable problems
        }
        finally {
            Restore-SeedreamEnvironment $saved
            Connect-TestEmulator $emulator
        }
        $problems | Should -BeNullOrEmpty
        $files | Should -HaveCount 2
        (Get-EmulatorStats $emulator).directRequestsWithAuthorization | Should -Be 0
    }

    It 'names images of a result read back from JSON or Clixml as it names the live result''s' -ForEach @(
        @{ Form = 'JSON' }
        @{ Form = 'Clixml' }
    ) {
        $live = Invoke-SeedreamEdit -Prompt 'Seeded' -Image $source -Seed 42
        $copy = if ($Form -eq 'JSON') { $live | ConvertTo-Json -Depth 5 | ConvertFrom-Json }
                else { $xml = Join-Path $TestDrive "live-$Form.xml"; $live | Export-Clixml -LiteralPath $xml; Import-Clixml -LiteralPath $xml }
        $template = '{InputName}-{Seed}-{Index}'

        $fromResult = $copy | Save-SeedreamImage -Destination (Join-Path $TestDrive "copy-$Form") -NameTemplate $template
        $fromImage = $copy.Images[0] | Save-SeedreamImage -Destination (Join-Path $TestDrive "copy-image-$Form") -NameTemplate '{Seed}-{Index}'

        $fromResult.Name | Should -Be 'holiday-42-0.png'
        $fromImage.Name | Should -Be '42-0.png'
    }

    It 'saves the images of results kept with Export-Csv, from the RawJson column (the Images cell holds only a type name)' {
        $csv = Join-Path $TestDrive 'results.csv'
        $result | Export-Csv -LiteralPath $csv
        (Import-Csv -LiteralPath $csv).Images | Should -Be 'Seedream.Image[]'

        $saved = Import-Csv -LiteralPath $csv | Save-SeedreamImage -Destination (Join-Path $TestDrive 'from-results-csv') -NameTemplate '{InputName}-{Index}'

        # The InputImages cell is a type name too: the input is unknown, so {InputName} is the request id.
        $saved.Name | Should -Be @("$($result.RequestId)-0.png", "$($result.RequestId)-1.png")
        $saved[1].Length | Should -Be $result.Images[1].FileSize
    }

    It 'with -WhatIf writes nothing' {
        $out = Join-Path $TestDrive 'whatif'
        $result | Save-SeedreamImage -Destination $out -WhatIf | Should -BeNullOrEmpty
        Get-ChildItem $out -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
