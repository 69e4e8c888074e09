#Requires -Version 7.2
# Pester 5. build.ps1 as a user runs it, on a copy of this working tree: -Task Package makes a Release
# build and the nupkg the README describes, and -Task Pester runs on a tree built only in Release.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    # A copy of the working tree (tracked and new files, nothing ignored), so the build cannot touch
    # the module the other test files import.
    $script:copy = Join-Path $TestDrive 'repo'
    $files = git -C $RepoRoot ls-files --cached --others --exclude-standard
    foreach ($f in $files) {
        $from = Join-Path $RepoRoot $f
        if (-not (Test-Path -LiteralPath $from -PathType Leaf)) { continue }
        $to = Join-Path $copy $f
        $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $to)
        Copy-Item -LiteralPath $from -Destination $to
    }
    $script:packageLog = & pwsh -NoProfile -File (Join-Path $copy 'build.ps1') -Task Package 2>&1 | Out-String
    $script:packageExit = $LASTEXITCODE
    $script:manifest = Import-PowerShellDataFile (Join-Path $copy 'Seedream.psd1')
    $script:nupkg = Join-Path $copy "output/Seedream.$($manifest.ModuleVersion).nupkg"
}

Describe './build.ps1 -Task Package' {
    It 'succeeds and says it packed a Release build' {
        $packageExit | Should -Be 0 -Because $packageLog
        $packageLog | Should -Match 'Package: .*\(Release\)'
    }

    It 'leaves the Release module in output/, not a Debug one' {
        $module = Get-FileHash (Join-Path $copy 'output/Seedream/Seedream.dll')
        $release = Get-FileHash (Join-Path $copy 'src/Seedream/bin/Release/netstandard2.0/Seedream.dll')
        $module.Hash | Should -Be $release.Hash
        Join-Path $copy 'src/Seedream/bin/Debug' | Should -Not -Exist
    }

    It 'packs the package the README describes: licence, manifest metadata, PSCommand tags' {
        $nupkg | Should -Exist
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($nupkg)
        try {
            $names = $zip.Entries.FullName
            $names | Should -Contain 'LICENSE'
            $names | Should -Contain 'Seedream.psd1'
            $names | Should -Contain 'Seedream.Types.ps1xml'
            $names | Should -Contain 'en-US/Seedream.dll-Help.xml'
            $reader = [IO.StreamReader]::new(($zip.Entries | Where-Object FullName -eq 'Seedream.nuspec').Open())
            $nuspec = $reader.ReadToEnd()
            $reader.Dispose()
        }
        finally { $zip.Dispose() }
        $nuspec | Should -Match '<license type="expression">MIT</license>'
        $nuspec | Should -Match 'PSCommand_Invoke-SeedreamEdit'
        $nuspec | Should -Match 'PSCmdlet_Send-SeedreamFile'
        $nuspec | Should -Match ([regex]::Escape("<version>$($manifest.ModuleVersion)</version>"))
    }
}

Describe './build.ps1 -Task Pester on a tree built only in Release' {
    It 'finds the Release emulator and module and runs the tests it is given' {
        $log = & pwsh -NoProfile -File (Join-Path $copy 'build.ps1') -Task Pester -PesterPath 'tests/pester/Connect.Tests.ps1' 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $log
        $log | Should -Match 'Pester: [1-9][0-9]* passed, 0 failed'
    }
}
