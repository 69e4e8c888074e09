#Requires -Version 7.2
# Pester 5. The module as a whole: manifest, help, connection settings and the SecretManagement key source.

BeforeDiscovery {
    # -ForEach data is read during discovery, before BeforeAll runs: the cmdlet list is needed here.
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $cmdletNames = (Get-Command -Module Seedream -CommandType Cmdlet).Name
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    $script:emulator = Start-TestEmulator -Key 'vault-key'
}

AfterAll {
    Disconnect-Seedream
    Remove-Module Microsoft.PowerShell.SecretManagement -Force -ErrorAction SilentlyContinue
    Stop-TestEmulator $script:emulator
}

Describe 'The module' {
    It 'has a valid manifest' {
        { Test-ModuleManifest (Join-Path $RepoRoot 'output/Seedream/Seedream.psd1') -ErrorAction Stop } | Should -Not -Throw
    }

    It 'has full help for <_>' -ForEach $cmdletNames {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.description | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
    }

    It 'has the about_Seedream topic' {
        Get-Help about_Seedream | Out-String | Should -Match 'SEEDREAM_PROXY_URL'
    }
}

Describe 'Connect-Seedream' {
    It 'reads the key from SecretManagement when asked' {
        # A stand-in for Microsoft.PowerShell.SecretManagement: the module calls it by its qualified name.
        $secret = ConvertTo-SecureString 'vault-key' -AsPlainText -Force
        New-Module -Name Microsoft.PowerShell.SecretManagement -ArgumentList $secret -ScriptBlock {
            param($Secret)
            function Get-Secret {
                [CmdletBinding()]
                param([Parameter(Mandatory)] [string] $Name, [string] $Vault)
                if ($Name -eq 'FalKey' -and $Vault -eq 'TestVault') { return $Secret }
                Write-Error -Message "Secret $Name was not found." -Category ObjectNotFound -ErrorId 'GetSecretNotFound'
            }
            Export-ModuleMember -Function Get-Secret
        } | Import-Module

        $context = Connect-Seedream -SecretName FalKey -Vault TestVault -ProxyUrl $emulator.ProxyUrl -PassThru
        $context.KeySource | Should -Be 'SecretManagement:TestVault/FalKey'

        $image = (New-TestImage -Path (Join-Path $TestDrive 'vault.png')).FullName
        (Invoke-SeedreamEdit -Prompt 'Key from a vault' -Image $image).Images | Should -Not -BeNullOrEmpty

        { Connect-Seedream -SecretName Nope -Vault TestVault -ErrorAction Stop } | Should -Throw -ErrorId 'SeedreamSecretNotFound,*'
    }

    It 'never shows the key in the context' {
        Connect-Seedream -ApiKey 'vault-key' -ProxyUrl $emulator.ProxyUrl
        Get-SeedreamContext | Format-List * | Out-String | Should -Not -Match 'vault-key'
    }
}
