#Requires -Version 7.2
# Pester 5. Get-SeedreamModel: the endpoint profiles as objects, their filters, view and pipeline binding.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
}

Describe 'Get-SeedreamModel' {
    It 'lists every profiled Seedream endpoint as a typed Seedream.Model' {
        $models = @(Get-SeedreamModel)
        $models | Should -HaveCount 9
        $models | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be 'Seedream.Model' }
        $models.Endpoint | Should -Contain 'fal-ai/bytedance/seedream/v5/lite/edit'
        $models.Endpoint | Should -Contain 'bytedance/seedream/v5/pro/edit'
        $models.Endpoint | Should -Contain 'fal-ai/bytedance/seedream/v3/text-to-image'
        @($models | Where-Object Kind -eq 'Edit') | Should -HaveCount 4
        @($models | Where-Object Kind -eq 'TextToImage') | Should -HaveCount 5
        foreach ($m in $models) {
            $m.SchemaSource | Should -Not -BeNullOrEmpty
            $m.SchemaDate | Should -Match '^20\d\d-\d\d'
        }
    }

    It 'carries each endpoint''s limits and price with its source' {
        $pro = Get-SeedreamModel -Endpoint bytedance/seedream/v5/pro/edit
        $pro.Name | Should -Be 'Seedream 5.0 Pro Edit'
        $pro.Aliases | Should -Be @('fal-ai/bytedance/seedream/v5/pro/edit')
        $pro.MaxMaxImages | Should -BeNullOrEmpty
        $pro.OutputFormats | Should -Be @('jpeg', 'png')
        $pro.SizePresets | Should -Contain 'auto_1K'
        $pro.SizePresets | Should -Not -Contain 'auto_4K'
        $pro.MinPixels | Should -Be (1024 * 1024)
        $pro.MaxPixels | Should -Be (2048 * 2048)
        $pro.MaxAspectRatio | Should -Be 16
        $pro.Fields | Should -Not -Contain 'seed'
        $pro.PricePerImage | Should -Be 0.0675
        $pro.PriceIsThirdParty | Should -BeTrue
        $pro.PriceNote | Should -Match 'third-party'

        $v4 = Get-SeedreamModel -Endpoint fal-ai/bytedance/seedream/v4/edit
        $v4.MaxInputsPlusOutputs | Should -Be 15
        $v4.EnhancePromptModes | Should -Be @('standard', 'fast')
        $v4.PricePerImage | Should -Be 0.03

        $lite = Get-SeedreamModel -Endpoint fal-ai/bytedance/seedream/v5/lite/text-to-image
        $lite.PricePerImage | Should -Be 0.035
        $lite.MaxInputImages | Should -Be 0
        (Get-SeedreamModel -Endpoint fal-ai/bytedance/seedream/v3/text-to-image).PricePerImage | Should -BeNullOrEmpty
    }

    It 'filters by -Kind and by -Endpoint with wildcards, matching any of a model''s ids' {
        @(Get-SeedreamModel -Kind TextToImage).Kind | Sort-Object -Unique | Should -Be 'TextToImage'
        @(Get-SeedreamModel -Kind Edit) | Should -HaveCount 4
        @(Get-SeedreamModel -Endpoint '*v5*').Endpoint | Should -HaveCount 4
        @(Get-SeedreamModel -Endpoint '*text-to-image' -Kind Edit) | Should -HaveCount 0
        # The short id finds the model whose canonical id has the prefix (and the other way round).
        (Get-SeedreamModel -Endpoint bytedance/seedream/v5/lite/edit).Endpoint | Should -Be 'fal-ai/bytedance/seedream/v5/lite/edit'
        (Get-SeedreamModel -Endpoint fal-ai/bytedance/seedream/v5/pro/edit).Endpoint | Should -Be 'bytedance/seedream/v5/pro/edit'
        # Several patterns that match the same model emit it once.
        @(Get-SeedreamModel -Endpoint '*lite/edit', 'fal-ai/bytedance/seedream/v5/lite/edit') | Should -HaveCount 1
    }

    It 'reports an id without wildcards that names no profile, and one of the wrong kind' {
        Get-SeedreamModel -Endpoint fal-ai/flux/dev -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems | Get-ErrorId | Should -Be 'SeedreamModelNotFound'
        $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Get-SeedreamModel -Endpoint fal-ai/bytedance/seedream/v4/edit -Kind TextToImage -ErrorVariable wrongKind -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        "$wrongKind" | Should -Match 'edit endpoint'
        Get-SeedreamModel -Endpoint 'fal-ai/flux*' -ErrorVariable none | Should -BeNullOrEmpty
        $none | Should -BeNullOrEmpty
    }

    It 'binds by property name to -Endpoint of the request cmdlets' {
        $env:FAL_KEY = 'not-used'   # -WhatIf sends nothing
        try {
            $text = Get-HostText { Get-SeedreamModel -Endpoint fal-ai/bytedance/seedream/v4/edit | Invoke-SeedreamEdit -Prompt 'p' -Image 'https://example.com/a.png' -WhatIf }
            $text | Should -Match 'fal-ai/bytedance/seedream/v4/edit'
            $text | Should -Match '\$0\.03'
            $text = Get-HostText { Get-SeedreamModel -Kind TextToImage | Select-Object -First 1 | New-SeedreamImage -Prompt 'p' -WhatIf }
            $text | Should -Match 'fal-ai/bytedance/seedream/v5/lite/text-to-image'
            # Only Endpoint binds: a model has no property named like another request parameter.
            $parameters = (Get-Command Invoke-SeedreamEdit).Parameters.Values | ForEach-Object { @($_.Name) + @($_.Aliases) }
            $bound = (Get-SeedreamModel)[0].PSObject.Properties.Name | Where-Object { $_ -in $parameters }
            $bound | Should -Be 'Endpoint'
        }
        finally { Remove-Item Env:FAL_KEY -ErrorAction SilentlyContinue }
    }

    It 'has a default table within 80 columns and a list with the details' {
        $table = Get-SeedreamModel | Out-String -Width 80
        foreach ($line in $table -split "`r?`n") { $line.TrimEnd().Length | Should -BeLessOrEqual 80 }
        $table | Should -Match 'fal-ai/bytedance/seedream/v5/lite/text-to-image\s+TextToImage\s+\$0\.035'
        $table | Should -Match 'bytedance/seedream/v5/pro/edit\s+Edit\s+\$0\.0675\*'
        $table | Should -Match 'v3/text-to-image\s+TextToImage\s+unknown'
        $list = Get-SeedreamModel -Endpoint *v4.5/edit | Format-List | Out-String -Width 80
        $list | Should -Match 'SizeBounds\s+: sides 1920\.\.4096 or 2560x1440\.\.4096x4096 px'
        $list | Should -Match 'MaxInputsPlusOutputs\s+: 15'
        $list | Should -Match 'SchemaDate\s+: 2026-08-02'
    }

    It 'completes -Endpoint with every profiled endpoint of the command''s kind, with name and price' {
        $t2i = (TabExpansion2 'New-SeedreamImage x -Endpoint ' 30).CompletionMatches
        $t2i.CompletionText | Should -Contain 'fal-ai/bytedance/seedream/v3/text-to-image'
        $t2i.CompletionText | Should -Not -Contain 'fal-ai/bytedance/seedream/v4/edit'
        ($t2i | Where-Object CompletionText -eq 'bytedance/seedream/v5/pro/text-to-image').ToolTip | Should -Match 'cost unknown'
        $edit = (TabExpansion2 'Invoke-SeedreamEdit x -Endpoint ' 32).CompletionMatches
        $edit.CompletionText | Should -Contain 'bytedance/seedream/v5/pro/edit'
        $edit.CompletionText | Should -Not -Contain 'fal-ai/bytedance/seedream/v4/text-to-image'
        ($edit | Where-Object CompletionText -eq 'fal-ai/bytedance/seedream/v4/edit').ToolTip | Should -Be 'Seedream 4.0 Edit ($0.03 per image)'
        ($edit | Where-Object CompletionText -eq 'bytedance/seedream/v5/pro/edit').ToolTip | Should -Match 'third-party'
        # Submit-SeedreamJob queues both kinds.
        $submit = (TabExpansion2 'Submit-SeedreamJob x -Endpoint ' 31).CompletionMatches.CompletionText
        $submit | Should -Contain 'fal-ai/bytedance/seedream/v4/edit'
        $submit | Should -Contain 'fal-ai/bytedance/seedream/v4/text-to-image'
    }

    It 'completes -ImageSize and -OutputFormat with the bound endpoint''s values' {
        $line = 'Invoke-SeedreamEdit x -Endpoint bytedance/seedream/v5/pro/edit -ImageSize '
        $pro = (TabExpansion2 $line $line.Length).CompletionMatches.CompletionText
        $pro | Should -Contain 'auto_1K'
        $pro | Should -Not -Contain 'auto_4K'
        $pro | Should -Not -Contain '3072x3072'
        $line = 'Invoke-SeedreamEdit x -ImageSize '
        $lite = (TabExpansion2 $line $line.Length).CompletionMatches.CompletionText
        $lite | Should -Contain 'auto_4K'
        $lite | Should -Not -Contain 'auto_1K'
        $line = 'New-SeedreamImage x -Endpoint fal-ai/bytedance/seedream/v4/text-to-image -ImageSize au'
        (TabExpansion2 $line $line.Length).CompletionMatches.CompletionText | Should -Be @('auto', 'auto_2K', 'auto_4K')
        $line = 'New-SeedreamImage x -Endpoint bytedance/seedream/v5/pro/text-to-image -OutputFormat '
        (TabExpansion2 $line $line.Length).CompletionMatches.CompletionText | Should -Be @('jpeg', 'png')
    }
}
