@{
    RootModule           = 'Seedream.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0f3c1e-7d4a-4c61-9a8e-2f1d6b3c9e47'
    Author               = 'Seedream contributors'
    CompanyName          = 'Seedream'
    Copyright            = '(c) Seedream contributors. MIT licence.'
    Description          = 'Edit and generate images with fal.ai Seedream (5.0 Lite and Pro, 4.5, 4.0, 3.0) from PowerShell: typed results, queue jobs, endpoint profiles with prices, uploads and downloads, with a local fal-compatible emulator for offline work.'
    CompatiblePSEditions = @('Desktop', 'Core')
    PowerShellVersion    = '5.1'
    DotNetFrameworkVersion = '4.7.2'
    FormatsToProcess     = @('Seedream.Format.ps1xml')
    TypesToProcess       = @('Seedream.Types.ps1xml')
    CmdletsToExport      = @(
        'Connect-Seedream'
        'Disconnect-Seedream'
        'Get-SeedreamContext'
        'Invoke-SeedreamEdit'
        'New-SeedreamImage'
        'Submit-SeedreamJob'
        'Get-SeedreamJobStatus'
        'Wait-SeedreamJob'
        'Receive-SeedreamJob'
        'Stop-SeedreamJob'
        'Send-SeedreamFile'
        'Save-SeedreamImage'
        'Test-SeedreamWebhookSignature'
        'Receive-SeedreamWebhook'
        'Get-SeedreamJournal'
        'Get-SeedreamModel'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('fal', 'fal.ai', 'Seedream', 'ByteDance', 'image', 'image-editing', 'AI', 'generative-ai', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS')
            ProjectUri   = 'https://github.com/seedream-ps/Seedream'
            LicenseUri   = 'https://github.com/seedream-ps/Seedream/blob/main/LICENSE'
            ReleaseNotes = 'First release: edits and queue jobs for Seedream 5.0 Lite Edit, uploads and safe downloads, webhook signature checks, an optional SecretManagement key source, full help (Get-Help, about_Seedream), and a local fal-compatible emulator for offline work.'
        }
    }
}
