#Requires -Version 7.2
# Pester 5. Batches from CSV files: Import-Csv | Invoke-SeedreamEdit / Submit-SeedreamJob. Empty cells
# mean "not given", several images share one cell separated by '|', and a bad row is one error.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'k' -ProcessingMs 50 -Runners 4
    Connect-TestEmulator $emulator
    $script:work = Join-Path $TestDrive 'csv'
    $null = New-TestImage -Path (Join-Path $work 'a.png')
    $null = New-TestImage -Path (Join-Path $work 'b.png')
    $null = New-TestImage -Path (Join-Path $work 'c.jpg') -Kind jpeg

    function script:Write-Csv {
        param([string] $Name, [string[]] $Lines)
        $path = Join-Path $work $Name
        Set-Content -LiteralPath $path -Value $Lines
        $path
    }

    # The request body the emulator received for a result.
    function script:Get-SentInput { param($Result) (Get-EmulatorJob $emulator $Result.RequestId).input }
}

AfterAll {
    Disconnect-Seedream
    Stop-TestEmulator $script:emulator
}

Describe 'Import-Csv | Invoke-SeedreamEdit' {
    BeforeEach { Push-Location $work }
    AfterEach { Pop-Location }

    It 'treats every empty optional cell as not given, and sends none of them' {
        $csv = Write-Csv 'empty.csv' @(
            'Prompt,Image,NumImages,MaxImages,ImageSize,EnhancePromptMode,Endpoint,Seed,EnableSafetyChecker'
            'Only a prompt,./a.png,,,,,,,'
        )
        $result = Import-Csv $csv | Invoke-SeedreamEdit -ErrorVariable problems

        $problems | Should -BeNullOrEmpty
        $result | Should -HaveCount 1
        $result.Endpoint | Should -Be 'fal-ai/bytedance/seedream/v5/lite/edit'
        $sent = Get-SentInput $result
        foreach ($field in 'num_images', 'max_images', 'image_size', 'enhance_prompt_mode', 'seed', 'enable_safety_checker') {
            $sent.PSObject.Properties.Name | Should -Not -Contain $field -Because "the $field cell was empty"
        }
    }

    It 'does not turn an empty Seed cell into seed 0' {
        $csv = Write-Csv 'seed.csv' @('Prompt,Image,Seed', 'No seed,./a.png,', 'Seed five,./a.png,5')
        $results = Import-Csv $csv | Invoke-SeedreamEdit -Ordered

        $results | Should -HaveCount 2
        (Get-SentInput $results[0]).PSObject.Properties.Name | Should -Not -Contain 'seed'
        $results[0].Seed | Should -Not -Be 0
        $results[1].Seed | Should -Be 5
    }

    It 'reads the API''s own column names' {
        $csv = Write-Csv 'api.csv' @(
            'prompt,image_urls,image_size,num_images,max_images,seed,enhance_prompt_mode,enable_safety_checker'
            'Snake case,./a.png,landscape_16_9,2,1,11,standard,false'
        )
        $result = Import-Csv $csv | Invoke-SeedreamEdit

        $result.Images | Should -HaveCount 2
        $result.Seed | Should -Be 11
        $sent = Get-SentInput $result
        $sent.image_size | Should -Be 'landscape_16_9'
        $sent.num_images | Should -Be 2
        $sent.enhance_prompt_mode | Should -Be 'standard'
        $sent.enable_safety_checker | Should -BeFalse
    }

    It 'accepts true/false, 1/0 and yes/no for EnableSafetyChecker' -ForEach @(
        @{ Text = 'true'; Expected = $true }, @{ Text = '0'; Expected = $false }, @{ Text = 'yes'; Expected = $true }
    ) {
        $csv = Write-Csv "bool-$Text.csv" @('Prompt,Image,EnableSafetyChecker', "Checker $Text,./a.png,$Text")
        $result = Import-Csv $csv | Invoke-SeedreamEdit
        (Get-SentInput $result).enable_safety_checker | Should -Be $Expected
    }

    It 'takes several images from one cell separated by |' {
        $csv = Write-Csv 'multi.csv' @('Prompt,Image', '"Logo from Figure 2 on Figure 1",./a.png|./b.png|./c.jpg')
        $result = Import-Csv $csv | Invoke-SeedreamEdit

        $result | Should -HaveCount 1
        $result.InputImages | Should -HaveCount 3
        (Split-Path -Leaf $result.InputImages[0]) | Should -Be 'a.png'
        (Split-Path -Leaf $result.InputImages[2]) | Should -Be 'c.jpg'
        (Get-SentInput $result).image_urls | Should -HaveCount 3
    }

    It 'resolves relative paths in cells against the current location' {
        $csv = Write-Csv 'relative.csv' @('Prompt,Image', 'Relative,b.png')
        $result = Import-Csv $csv | Invoke-SeedreamEdit
        $result.InputImages | Should -Be @((Join-Path $work 'b.png'))
    }

    It 'runs the good rows and gives each bad row exactly one error of its own' {
        $null = New-Item -ItemType File -Path (Join-Path $work 'zero.png') -Force
        $csv = Write-Csv 'mixed.csv' @(
            'Prompt,Image,NumImages,Seed'
            'Good one,./a.png,,'
            'Missing file,./nope.png,,'
            'Empty file,./zero.png,,'
            'Too many,./a.png,9,'
            'Good two,./b.png,1,3'
        )
        $results = Import-Csv $csv | Invoke-SeedreamEdit -Ordered -ErrorVariable problems -ErrorAction SilentlyContinue

        $results.Prompt | Should -Be @('Good one', 'Good two')
        @($problems | Get-ErrorId) | Should -Be @('SeedreamImageNotFound', 'SeedreamImageEmpty', 'SeedreamNumImagesOutOfRange')
    }

    It 'refuses a Seed cell that is not a number instead of running the row without it' {
        $before = (Get-EmulatorStats $emulator).submitted
        $csv = Write-Csv 'badseed.csv' @('Prompt,Image,Seed', 'Bad seed,./a.png,minus')
        $results = Import-Csv $csv | Invoke-SeedreamEdit -ErrorVariable problems -ErrorAction SilentlyContinue

        $results | Should -BeNullOrEmpty -Because 'the row asked for a seed the module could not read'
        @($problems) | Should -HaveCount 1
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }

    It 'reports a row without a prompt cell value as SeedreamPromptEmpty' {
        $csv = Write-Csv 'noprompt.csv' @('Prompt,Image', ',./a.png')
        Import-Csv $csv | Invoke-SeedreamEdit -ErrorVariable problems -ErrorAction SilentlyContinue
        @($problems | Get-ErrorId) | Should -Be @('SeedreamPromptEmpty')
    }

    It 'says that an Images cell of exported results holds no image, and sends nothing' {
        $exported = Join-Path $TestDrive 'exported-results.csv'
        Invoke-SeedreamEdit -Prompt 'kept in a CSV' -Image (Join-Path $work 'a.png') | Export-Csv -LiteralPath $exported
        $before = (Get-EmulatorStats $emulator).submitted

        $again = Import-Csv -LiteralPath $exported | Invoke-SeedreamEdit -Prompt 'again' -ErrorVariable problems -ErrorAction SilentlyContinue

        $again | Should -BeNullOrEmpty
        @($problems | Get-ErrorId) | Should -Be @('SeedreamImageNotFound')
        $problems[0].Exception.Message | Should -BeLike "*'Seedream.Image``[``]'*Export-Csv*"
        (Get-EmulatorStats $emulator).submitted | Should -Be $before
    }

    It 'takes a -Prompt on the command line for every row' {
        $csv = Write-Csv 'images-only.csv' @('Image', './a.png', './b.png')
        $results = Import-Csv $csv | Invoke-SeedreamEdit -Prompt 'Same for all' -Ordered
        $results | Should -HaveCount 2
        $results.Prompt | Should -Be @('Same for all', 'Same for all')
    }
}

Describe 'Import-Csv | Submit-SeedreamJob' {
    BeforeEach { Push-Location $work }
    AfterEach { Pop-Location }

    It 'queues one job per row, with empty cells not sent' {
        $csv = Write-Csv 'jobs.csv' @('Prompt,Image,NumImages,Seed,ImageSize', 'Job one,./a.png,,,', 'Job two,./b.png|./a.png,2,,auto_2K')
        $jobs = Import-Csv $csv | Submit-SeedreamJob -ErrorVariable problems

        $problems | Should -BeNullOrEmpty
        $jobs | Should -HaveCount 2
        $inputs = $jobs | ForEach-Object { (Get-EmulatorJob $emulator $_.RequestId).input }
        $one = $inputs | Where-Object prompt -EQ 'Job one'
        $two = $inputs | Where-Object prompt -EQ 'Job two'
        $one.PSObject.Properties.Name | Should -Not -Contain 'seed'
        $one.PSObject.Properties.Name | Should -Not -Contain 'num_images'
        $two.image_urls | Should -HaveCount 2
        $two.num_images | Should -Be 2
        $jobs | Wait-SeedreamJob -TimeoutSec 30 | ForEach-Object { $_.IsSucceeded | Should -BeTrue }
    }
}
