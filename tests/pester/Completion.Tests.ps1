#Requires -Version 7.2
# Pester 5. Tab completion, through TabExpansion2 as the console uses it.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k' -ProcessingMs 50
    Connect-TestEmulator $emulator
    $script:image = (New-TestImage -Path (Join-Path $TestDrive 'tab.png')).FullName

    function script:Complete { param([string] $Line)
        (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText
    }
}

AfterAll {
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'Tab completion' {
    It 'offers the size presets for -ImageSize' {
        $offered = Complete 'Invoke-SeedreamEdit -ImageSize '
        foreach ($preset in 'auto_2K', 'auto_3K', 'square_hd', 'landscape_16_9', 'portrait_4_3') { $offered | Should -Contain $preset }
    }

    It 'narrows -ImageSize to what was typed' {
        $offered = Complete 'Submit-SeedreamJob -ImageSize land'
        $offered | Should -Contain 'landscape_16_9'
        $offered | Should -Contain 'landscape_4_3'
        $offered | Where-Object { $_ -notlike 'land*' } | Should -BeNullOrEmpty
    }

    It 'offers the Seedream endpoints for -Endpoint' {
        $offered = Complete 'Invoke-SeedreamEdit -Endpoint '
        $offered | Should -Contain 'fal-ai/bytedance/seedream/v5/lite/edit'
        (Complete 'Get-SeedreamJobStatus -Endpoint ') | Should -Contain 'fal-ai/bytedance/seedream/v5/lite/edit'
    }

    It 'offers standard and fast for -EnhancePromptMode' {
        $offered = Complete 'Invoke-SeedreamEdit -EnhancePromptMode '
        $offered | Sort-Object | Should -Be @('fast', 'standard')
    }

    It 'offers the expiry presets for -ExpiresIn' {
        $offered = Complete 'Send-SeedreamFile -ExpiresIn '
        foreach ($preset in 'never', '1h', '1d', '7d', '30d', '1y') { $offered | Should -Contain $preset }
    }

    It 'offers the request ids submitted in this session, newest first' {
        $older = Submit-SeedreamJob -Prompt 'older' -Image $image
        $newer = Submit-SeedreamJob -Prompt 'newer' -Image $image
        $offered = @(Complete 'Get-SeedreamJobStatus -RequestId ')
        $offered | Should -Contain $older.RequestId
        $offered.IndexOf($newer.RequestId) | Should -BeLessThan $offered.IndexOf($older.RequestId)
    }

    It 'narrows -RequestId to the typed prefix, for every job cmdlet' {
        $job = Submit-SeedreamJob -Prompt 'prefix' -Image $image
        $prefix = $job.RequestId.Substring(0, 8)
        foreach ($cmdlet in 'Wait-SeedreamJob', 'Receive-SeedreamJob', 'Stop-SeedreamJob') {
            $offered = @(Complete "$cmdlet -RequestId $prefix")
            $offered | Should -Contain $job.RequestId
            $offered | Where-Object { $_ -notlike "$prefix*" } | Should -BeNullOrEmpty
        }
    }

    It 'offers normal and low for -Priority' {
        (Complete 'Submit-SeedreamJob -Priority ') | Sort-Object | Should -Be @('low', 'normal')
    }
}
