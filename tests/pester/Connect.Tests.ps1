#Requires -Version 7.2
# Pester 5. Connect-Seedream, Disconnect-Seedream and Get-SeedreamContext: where the key and the
# proxy come from (parameters, credentials, vaults, environment), and what happens without a key.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-SeedreamModule
    # An id:secret key, so the same emulator accepts -ApiKey, -Credential and FAL_KEY_ID/FAL_KEY_SECRET.
    $script:emulator = Start-TestEmulator -Key 'emu-id:emu-secret' -ProcessingMs 50
    $script:image = (New-TestImage -Path (Join-Path $TestDrive 'connect.png')).FullName
    $script:savedEnvironment = Save-SeedreamEnvironment

    # A stand-in for Microsoft.PowerShell.SecretManagement: the module calls Get-Secret by its qualified name.
    function script:Import-FakeSecretManagement {
        param([hashtable] $Secrets)
        Remove-Module Microsoft.PowerShell.SecretManagement -Force -ErrorAction SilentlyContinue
        $global:SeedreamTestVault = $Secrets
        New-Module -Name Microsoft.PowerShell.SecretManagement -ScriptBlock {
            function Get-Secret {
                [CmdletBinding()]
                param([Parameter(Mandatory)] [string] $Name, [string] $Vault)
                $key = if ($Vault) { "$Vault/$Name" } else { $Name }
                if ($global:SeedreamTestVault.ContainsKey($key)) { return $global:SeedreamTestVault[$key] }
                Write-Error -Message "Secret $Name was not found." -Category ObjectNotFound -ErrorId 'GetSecretNotFound'
            }
            Export-ModuleMember -Function Get-Secret
        } | Import-Module -Global
    }
}

AfterAll {
    Disconnect-Seedream
    Restore-SeedreamEnvironment $savedEnvironment
    Remove-Module Microsoft.PowerShell.SecretManagement -Force -ErrorAction SilentlyContinue
    Remove-Variable -Name SeedreamTestVault -Scope Global -ErrorAction SilentlyContinue
    Stop-TestEmulator $script:emulator
}

Describe 'Connect-Seedream' {
    BeforeEach {
        Clear-SeedreamEnvironment
        Disconnect-Seedream
    }
    AfterEach {
        Disconnect-Seedream
        Restore-SeedreamEnvironment $savedEnvironment
    }

    It 'takes a plain-text key and reports it as a parameter key with -PassThru' {
        $context = Connect-Seedream -ApiKey 'emu-id:emu-secret' -ProxyUrl $emulator.ProxyUrl -PassThru

        $context.PSObject.TypeNames[0] | Should -Be 'Seedream.Context'
        $context.KeySource | Should -Be 'parameter'
        $context.Connected | Should -BeTrue
        $context.ProxyUrl | Should -Be $emulator.ProxyUrl
    }

    It 'writes nothing without -PassThru' {
        Connect-Seedream -ApiKey 'emu-id:emu-secret' -ProxyUrl $emulator.ProxyUrl | Should -BeNullOrEmpty
    }

    It 'takes a SecureString key that the emulator accepts' {
        $secure = ConvertTo-SecureString 'emu-id:emu-secret' -AsPlainText -Force
        Connect-Seedream -ApiKey $secure -ProxyUrl $emulator.ProxyUrl -RetryDelayMilliseconds 10

        (Invoke-SeedreamEdit -Prompt 'secure key' -Image $image).Images | Should -Not -BeNullOrEmpty
    }

    It 'joins a credential as id:secret' {
        $credential = [pscredential]::new('emu-id', (ConvertTo-SecureString 'emu-secret' -AsPlainText -Force))
        $context = Connect-Seedream -Credential $credential -ProxyUrl $emulator.ProxyUrl -RetryDelayMilliseconds 10 -PassThru

        $context.KeySource | Should -Be 'credential'
        (Invoke-SeedreamEdit -Prompt 'credential key' -Image $image).Images | Should -Not -BeNullOrEmpty
    }

    It 'reports a key the server refuses as SeedreamUnauthorized, and sends it nowhere else' {
        $before = (Get-EmulatorStats $emulator).unauthorized
        Connect-Seedream -ApiKey 'wrong-key' -ProxyUrl $emulator.ProxyUrl -RetryDelayMilliseconds 10

        Invoke-SeedreamEdit -Prompt 'refused' -Image $image -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

        @($problems) | Should -HaveCount 1
        $problems[0] | Get-ErrorId | Should -Be 'SeedreamUnauthorized'
        (Get-EmulatorStats $emulator).unauthorized | Should -BeGreaterThan $before
        (Get-EmulatorStats $emulator).directRequestsWithAuthorization | Should -Be 0
    }

    It 'keeps -MaxRetryCount and -TimeoutSec in the context' {
        $context = Connect-Seedream -ApiKey 'x' -ProxyUrl $emulator.ProxyUrl -MaxRetryCount 7 -TimeoutSec 42 -PassThru
        $context.MaxRetryCount | Should -Be 7
        $context.TimeoutSec | Should -Be 42
        (Get-SeedreamContext).MaxRetryCount | Should -Be 7
    }

    It 'refuses a blank key with SeedreamApiKeyMissing' {
        { Connect-Seedream -ApiKey '   ' -ErrorAction Stop } | Should -Throw -ErrorId 'SeedreamApiKeyMissing,*'
    }

    It 'refuses a proxy URL that is not http(s) with SeedreamInvalidProxyUrl' {
        { Connect-Seedream -ApiKey 'x' -ProxyUrl 'ftp://127.0.0.1/proxy' -ErrorAction Stop } | Should -Throw -ErrorId 'SeedreamInvalidProxyUrl,*'
    }

    It 'refuses plain http to a remote proxy with SeedreamInsecureProxyUrl unless -AllowInsecureHttp' {
        { Connect-Seedream -ApiKey 'x' -ProxyUrl 'http://proxy.example.com/api/fal/proxy' -ErrorAction Stop } |
            Should -Throw -ErrorId 'SeedreamInsecureProxyUrl,*'
        $context = Connect-Seedream -ApiKey 'x' -ProxyUrl 'http://proxy.example.com/api/fal/proxy' -AllowInsecureHttp -PassThru
        $context.ProxyUrl | Should -Match 'proxy\.example\.com'
    }

    It 'reads FAL_KEY with -FromEnvironment' {
        $env:FAL_KEY = 'emu-id:emu-secret'
        $context = Connect-Seedream -FromEnvironment -ProxyUrl $emulator.ProxyUrl -RetryDelayMilliseconds 10 -PassThru

        $context.KeySource | Should -Be 'FAL_KEY'
        $context.Connected | Should -BeTrue
        (Invoke-SeedreamEdit -Prompt 'env key' -Image $image).Images | Should -Not -BeNullOrEmpty
    }

    It 'says -FromEnvironment found no key with SeedreamApiKeyMissing' {
        { Connect-Seedream -FromEnvironment -ErrorAction Stop } | Should -Throw -ErrorId 'SeedreamApiKeyMissing,*'
    }
}

Describe 'Connect-Seedream -SecretName' {
    BeforeEach { Disconnect-Seedream }
    AfterEach {
        Disconnect-Seedream
        Remove-Module Microsoft.PowerShell.SecretManagement -Force -ErrorAction SilentlyContinue
    }

    It 'reads a SecureString secret from the named vault' {
        Import-FakeSecretManagement @{ 'TestVault/FalKey' = (ConvertTo-SecureString 'emu-id:emu-secret' -AsPlainText -Force) }

        $context = Connect-Seedream -SecretName FalKey -Vault TestVault -ProxyUrl $emulator.ProxyUrl -RetryDelayMilliseconds 10 -PassThru

        $context.KeySource | Should -Be 'SecretManagement:TestVault/FalKey'
        (Invoke-SeedreamEdit -Prompt 'Key from a vault' -Image $image).Images | Should -Not -BeNullOrEmpty
    }

    It 'reads a PSCredential secret as id:secret, and searches all vaults without -Vault' {
        Import-FakeSecretManagement @{ 'FalCred' = [pscredential]::new('emu-id', (ConvertTo-SecureString 'emu-secret' -AsPlainText -Force)) }

        $context = Connect-Seedream -SecretName FalCred -ProxyUrl $emulator.ProxyUrl -RetryDelayMilliseconds 10 -PassThru

        $context.KeySource | Should -Be 'SecretManagement:FalCred'
        (Invoke-SeedreamEdit -Prompt 'Credential from a vault' -Image $image).Images | Should -Not -BeNullOrEmpty
    }

    It 'reports a missing secret as SeedreamSecretNotFound' {
        Import-FakeSecretManagement @{}
        { Connect-Seedream -SecretName Nope -Vault TestVault -ErrorAction Stop } | Should -Throw -ErrorId 'SeedreamSecretNotFound,*'
    }

    It 'reports a secret of another type as SeedreamSecretInvalidType without showing its value' {
        Import-FakeSecretManagement @{ 'V/Odd' = @{ value = 'do-not-print-me' } }
        $err = { Connect-Seedream -SecretName Odd -Vault V -ErrorAction Stop } | Should -Throw -ErrorId 'SeedreamSecretInvalidType,*' -PassThru
        $err.Exception.Message | Should -Not -Match 'do-not-print-me'
    }

    It 'says SecretManagement is unavailable when Get-Secret does not exist' {
        if (Get-Module Microsoft.PowerShell.SecretManagement -ListAvailable) {
            Set-ItResult -Skipped -Because 'SecretManagement is installed on this machine'
        }
        { Connect-Seedream -SecretName FalKey -ErrorAction Stop } | Should -Throw -ErrorId 'SeedreamSecretManagementUnavailable,*'
    }
}

Describe 'Get-SeedreamContext' {
    BeforeEach {
        Clear-SeedreamEnvironment
        Disconnect-Seedream
    }
    AfterEach {
        Disconnect-Seedream
        Restore-SeedreamEnvironment $savedEnvironment
    }

    It 'with no key anywhere returns a context with KeySource none instead of throwing' {
        $context = Get-SeedreamContext -ErrorAction Stop -ErrorVariable problems

        $problems | Should -BeNullOrEmpty
        $context.PSObject.TypeNames[0] | Should -Be 'Seedream.Context'
        $context.KeySource | Should -Be 'none'
        $context.Connected | Should -BeFalse
        $context.ProxyUrl | Should -BeNullOrEmpty
    }

    It 'with no key shows the proxy from SEEDREAM_PROXY_URL' {
        $env:SEEDREAM_PROXY_URL = $emulator.ProxyUrl
        (Get-SeedreamContext).ProxyUrl | Should -Be $emulator.ProxyUrl
    }

    It 'names FAL_KEY as the key source when only the environment is set' {
        $env:FAL_KEY = 'emu-id:emu-secret'
        $env:SEEDREAM_PROXY_URL = $emulator.ProxyUrl
        $context = Get-SeedreamContext
        $context.KeySource | Should -Be 'FAL_KEY'
        $context.Connected | Should -BeFalse
        $context.ProxyUrl | Should -Be $emulator.ProxyUrl
    }

    It 'uses FAL_KEY_ID and FAL_KEY_SECRET together' {
        $env:FAL_KEY_ID = 'emu-id'
        $env:FAL_KEY_SECRET = 'emu-secret'
        $env:SEEDREAM_PROXY_URL = $emulator.ProxyUrl

        (Get-SeedreamContext).KeySource | Should -Be 'FAL_KEY_ID/FAL_KEY_SECRET'
        (Invoke-SeedreamEdit -Prompt 'id and secret' -Image $image).Images | Should -Not -BeNullOrEmpty
    }

    It 'names FAL_KEY_SECRET in the error when only FAL_KEY_ID is set' {
        $env:FAL_KEY_ID = 'emu-id'
        $env:SEEDREAM_PROXY_URL = $emulator.ProxyUrl

        $err = { Invoke-SeedreamEdit -Prompt 'half a key' -Image $image -ErrorAction Stop } |
            Should -Throw -ErrorId 'SeedreamApiKeyMissing,*' -PassThru
        $err.Exception.Message | Should -Match 'FAL_KEY_SECRET'
    }

    It 'reports a bad SEEDREAM_PROXY_URL as SeedreamInvalidProxyUrl' {
        $env:FAL_KEY = 'emu-id:emu-secret'
        $env:SEEDREAM_PROXY_URL = 'ftp://127.0.0.1/nope'
        Get-SeedreamContext -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems | Get-ErrorId | Should -Be 'SeedreamInvalidProxyUrl'
    }

    It 'never shows the key, in any view' {
        Connect-Seedream -ApiKey 'emu-id:emu-secret' -ProxyUrl $emulator.ProxyUrl
        $context = Get-SeedreamContext
        $text = @(
            $context | Format-List * | Out-String
            $context | Format-Table * | Out-String
            $context | ConvertTo-Json
            [System.Management.Automation.PSSerializer]::Serialize($context)
        ) -join "`n"
        $text | Should -Not -Match 'emu-secret'
    }
}

Describe 'Disconnect-Seedream' {
    AfterEach {
        Disconnect-Seedream
        Restore-SeedreamEnvironment $savedEnvironment
    }

    It 'returns to the environment settings' {
        Clear-SeedreamEnvironment
        $env:FAL_KEY = 'emu-id:emu-secret'
        Connect-Seedream -ApiKey 'some-other-key' -ProxyUrl 'http://127.0.0.1:9/api/fal/proxy'
        (Get-SeedreamContext).KeySource | Should -Be 'parameter'

        Disconnect-Seedream

        $context = Get-SeedreamContext
        $context.KeySource | Should -Be 'FAL_KEY'
        $context.Connected | Should -BeFalse
        $context.ProxyUrl | Should -BeNullOrEmpty
    }

    It 'leaves no key behind: with no environment the next edit says the key is missing' {
        Clear-SeedreamEnvironment
        Connect-Seedream -ApiKey 'emu-id:emu-secret' -ProxyUrl $emulator.ProxyUrl
        Disconnect-Seedream

        (Get-SeedreamContext).KeySource | Should -Be 'none'
        { Invoke-SeedreamEdit -Prompt 'p' -Image $image -ErrorAction Stop } | Should -Throw -ErrorId 'SeedreamApiKeyMissing,*'
    }

    It 'is harmless when not connected' {
        Disconnect-Seedream
        { Disconnect-Seedream -ErrorAction Stop } | Should -Not -Throw
        Disconnect-Seedream -Verbose 4>&1 | Out-String | Should -Match 'nothing to forget'
    }
}
