#Requires -Version 7.2
# Pester 5. Uploads with Send-SeedreamFile: paths, wildcards, file items, expiry, content types.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k' -ProcessingMs 50
    Connect-TestEmulator $emulator
    $script:folder = Join-Path $TestDrive 'uploads'
    1..3 | ForEach-Object { $null = New-TestImage -Path (Join-Path $folder "file-$_.png") }
    $script:odd = Join-Path $TestDrive 'odd'
    $null = New-Item -ItemType Directory -Path $odd
    Set-Content -LiteralPath (Join-Path $odd 'readme.txt') -Value 'plain text'
    $null = New-Item -ItemType File -Path (Join-Path $odd 'empty.png')
    $null = New-TestImage -Path (Join-Path $odd 'page[1].png')
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
            $_.FileSize | Should -Be 73
        }
        ($files.SourcePath | Sort-Object) | Should -Be ((Get-ChildItem $folder -Filter *.png).FullName | Sort-Object)
    }

    It 'uploads what Get-Item gives' {
        $file = Get-Item (Join-Path $folder 'file-1.png') | Send-SeedreamFile
        $file.FileName | Should -Be 'file-1.png'
    }

    It 'serves back exactly the bytes uploaded' {
        $file = Send-SeedreamFile -LiteralPath (Join-Path $folder 'file-2.png')
        $downloaded = Join-Path $TestDrive 'roundtrip.png'
        Invoke-WebRequest -Uri $file.Url -OutFile $downloaded
        (Get-FileHash $downloaded).Hash | Should -Be (Get-FileHash (Join-Path $folder 'file-2.png')).Hash
    }

    It 'expands wildcards in -Path and keeps files for a set time' {
        $before = (Get-EmulatorStats $emulator).uploadsWithLifecycle
        $files = Send-SeedreamFile -Path (Join-Path $folder 'file-*.png') -ExpiresIn 1h

        $files | Should -HaveCount 3
        $files | ForEach-Object { $_.ExpiresAt | Should -Not -BeNullOrEmpty }
        (Get-EmulatorStats $emulator).uploadsWithLifecycle - $before | Should -Be 3
    }

    It 'takes -ExpiresIn as a number of seconds' {
        $file = Send-SeedreamFile -LiteralPath (Join-Path $folder 'file-1.png') -ExpiresIn 7200
        ([datetimeoffset]$file.ExpiresAt - [datetimeoffset]::UtcNow).TotalMinutes | Should -BeGreaterThan 100
    }

    It 'refuses an unknown -ExpiresIn before uploading' {
        $before = (Get-EmulatorStats $emulator).uploads
        { Send-SeedreamFile -LiteralPath (Join-Path $folder 'file-1.png') -ExpiresIn 'fortnight' -ErrorAction Stop } |
            Should -Throw -ErrorId 'SeedreamExpiresInInvalid,*'
        (Get-EmulatorStats $emulator).uploads | Should -Be $before
    }

    It 'takes brackets literally with -LiteralPath' {
        $file = Send-SeedreamFile -LiteralPath (Join-Path $odd 'page[1].png')
        $file.FileName | Should -Be 'page[1].png'
    }

    It 'uses an uploaded file as an edit input' {
        $file = Send-SeedreamFile -LiteralPath (Join-Path $folder 'file-1.png')
        $before = (Get-EmulatorStats $emulator).uploads
        $result = Invoke-SeedreamEdit -Prompt 'From storage' -Image $file

        $result.Images | Should -Not -BeNullOrEmpty
        $result.InputImages | Should -Be @($file.Url)
        (Get-EmulatorStats $emulator).uploads | Should -Be $before
    }

    It 'warns when a file is not an image, and uploads it anyway' {
        $file = Send-SeedreamFile -LiteralPath (Join-Path $odd 'readme.txt') -WarningVariable warnings -WarningAction SilentlyContinue
        "$warnings" | Should -Match 'not an image'
        $file | Should -HaveCount 1
    }

    It 'does not warn when -ContentType is given' {
        $file = Send-SeedreamFile -LiteralPath (Join-Path $odd 'readme.txt') -ContentType 'text/plain' -WarningVariable warnings -WarningAction SilentlyContinue
        $warnings | Should -BeNullOrEmpty
        $file.ContentType | Should -Be 'text/plain'
    }

    It 'refuses a malformed -ContentType' {
        { Send-SeedreamFile -LiteralPath (Join-Path $folder 'file-1.png') -ContentType 'png' -ErrorAction Stop } |
            Should -Throw -ErrorId 'SeedreamContentTypeInvalid,*'
    }

    It 'reports <Name> as <Id> and uploads the rest' -ForEach @(
        @{ Name = 'a missing file'; Leaf = 'nope.png'; Id = 'SeedreamFileNotFound' }
        @{ Name = 'a folder'; Leaf = '.'; Id = 'SeedreamFileIsDirectory' }
        @{ Name = 'an empty file'; Leaf = 'empty.png'; Id = 'SeedreamFileEmpty' }
    ) {
        $paths = @((Join-Path $folder 'file-1.png'), (Join-Path $odd $Leaf))
        $files = Send-SeedreamFile -LiteralPath $paths -ErrorVariable problems -ErrorAction SilentlyContinue

        $files | Should -HaveCount 1
        @($problems | Get-ErrorId) | Should -Be @($Id)
    }

    It 'refuses a path on another provider' {
        Send-SeedreamFile -LiteralPath 'Env:PATH' -ErrorVariable problems -ErrorAction SilentlyContinue
        @($problems | Get-ErrorId) | Should -Be @('SeedreamPathNotFileSystem')
    }

    It 'with -WhatIf uploads nothing' {
        $before = (Get-EmulatorStats $emulator).uploads

        Get-ChildItem $folder -Filter *.png | Send-SeedreamFile -WhatIf | Should -BeNullOrEmpty

        (Get-EmulatorStats $emulator).uploads | Should -Be $before
    }
}
