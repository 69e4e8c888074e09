#Requires -Version 7.2
# Pester 5. Uploads and downloads: Get-ChildItem | Send-SeedreamFile, Save-SeedreamImage.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k'
    Connect-Seedream -ApiKey $emulator.Key -ProxyUrl $emulator.ProxyUrl -RetryDelayMilliseconds 10
    $script:folder = Join-Path $TestDrive 'uploads'
    1..3 | ForEach-Object { $null = New-TestImage -Path (Join-Path $folder "file-$_.png") }
}

AfterAll {
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'Send-SeedreamFile' {
    It 'uploads the files piped from Get-ChildItem' {
        $files = Get-ChildItem $folder -Filter *.png | Send-SeedreamFile

        $files | Should -HaveCount 3
        $files | ForEach-Object {
            $_.PSObject.TypeNames[0] | Should -Be 'Seedream.File'
            $_.Url | Should -Match '^https?://'
            $_.ContentType | Should -Be 'image/png'
        }
        ($files.SourcePath | Sort-Object) | Should -Be ((Get-ChildItem $folder -Filter *.png).FullName | Sort-Object)
    }

    It 'expands wildcards in -Path and keeps files for a set time' {
        $files = Send-SeedreamFile -Path (Join-Path $folder 'file-*.png') -ExpiresIn 1h

        $files | Should -HaveCount 3
        $files | ForEach-Object { $_.ExpiresAt | Should -Not -BeNullOrEmpty }
    }

    It 'uses an uploaded file as an edit input' {
        $file = Send-SeedreamFile -LiteralPath (Join-Path $folder 'file-1.png')
        $result = Invoke-SeedreamEdit -Prompt 'From storage' -Image $file

        $result.Images | Should -Not -BeNullOrEmpty
    }

    It 'reports a missing file with its own error id and uploads the rest' {
        $paths = @((Join-Path $folder 'file-1.png'), (Join-Path $folder 'nope.png'))
        $files = Send-SeedreamFile -LiteralPath $paths -ErrorVariable problems -ErrorAction SilentlyContinue

        $files | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'SeedreamFileNotFound*'
    }

    It 'with -WhatIf uploads nothing' {
        $before = (Get-EmulatorStats $emulator).uploads

        Get-ChildItem $folder -Filter *.png | Send-SeedreamFile -WhatIf | Should -BeNullOrEmpty

        (Get-EmulatorStats $emulator).uploads | Should -Be $before
    }
}

Describe 'Save-SeedreamImage' {
    BeforeAll {
        $script:result = Invoke-SeedreamEdit -Prompt 'Something to save' -Image (Join-Path $folder 'file-2.png') -NumImages 2
    }

    It 'saves every image of a result and returns the files' {
        $out = Join-Path $TestDrive 'save-all'
        $saved = $result | Save-SeedreamImage -Destination $out

        $saved | Should -HaveCount 2
        $saved | ForEach-Object { $_ | Should -BeOfType ([System.IO.FileInfo]); $_.FullName | Should -Exist }
        $saved[0].Name | Should -BeLike "$($result.RequestId)-*"
    }

    It 'keeps existing files unless -Force' {
        $out = Join-Path $TestDrive 'save-twice'
        $null = $result | Save-SeedreamImage -Destination $out

        $result | Save-SeedreamImage -Destination $out -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'SeedreamFileExists*'

        $result | Save-SeedreamImage -Destination $out -Force | Should -HaveCount 2
    }

    It 'writes one image to an exact path and names files from a template' {
        $single = $result.Images[0] | Save-SeedreamImage -Path (Join-Path $TestDrive 'cover.png')
        $single.Name | Should -Be 'cover.png'

        $named = $result | Save-SeedreamImage -Destination (Join-Path $TestDrive 'named') -NameTemplate 'edit-{Index}.{ext}' |
            Select-Object -ExpandProperty Name
        $named | Should -Be @('edit-0.png', 'edit-1.png')
    }

    It 'with -WhatIf writes nothing' {
        $out = Join-Path $TestDrive 'whatif'
        $result | Save-SeedreamImage -Destination $out -WhatIf | Should -BeNullOrEmpty
        Get-ChildItem $out -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
