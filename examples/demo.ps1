<#
.SYNOPSIS
    Offline tour of the Seedream module: edits the sample images in examples/images and saves the
    results as PNG files.

.DESCRIPTION
    Runs against whatever fal endpoint the session is configured for. The README's demo command
    starts the local fal emulator and points FAL_KEY and SEEDREAM_PROXY_URL at it, so nothing
    leaves the machine. Works in pwsh and in the repository's small script host (which has only
    PowerShell's core cmdlets, hence no Get-ChildItem or Select-Object below).
#>
param(
    # Where the edited images are written.
    [string] $OutFolder = "$PSScriptRoot/output"
)

$ErrorActionPreference = 'Stop'
Import-Module "$PSScriptRoot/../output/Seedream/Seedream.psd1" -Force

if (-not $env:SEEDREAM_PROXY_URL) {
    Write-Warning 'SEEDREAM_PROXY_URL is not set: this demo will call the real fal API (and cost money).'
}
Get-SeedreamContext | Out-Default

$images = "$PSScriptRoot/images"
$landscape = "$images/landscape.png"
$logo = "$images/logo.png"

# 1. One edit from two local images (uploaded to fal storage first), saved as it completes.
"== 1. Two input images, one edit, saved with -OutFolder" | Out-Default
$edit = Invoke-SeedreamEdit -Prompt 'Place the sun logo from Figure 2 in the sky of Figure 1, as a glowing emblem' `
    -Image $landscape, $logo -ImageSize landscape_16_9 -Seed 42 -OutFolder $OutFolder
$edit | Out-Default
$edit.Images | Out-Default

# 2. A batch: every PNG in the folder piped in, one edit each (FileInfo objects bind to -Image).
"== 2. A batch from the pipeline" | Out-Default
$files = [System.IO.Directory]::GetFiles($images, '*.png') | ForEach-Object { [System.IO.FileInfo]::new($_) }
$batch = $files | Invoke-SeedreamEdit -Prompt 'Repaint this as a soft watercolour' -ImageSize auto_2K -OutFolder $OutFolder
$batch | Out-Default

# 3. The queue workflow: submit now, wait and download later (e.g. in another runbook step).
"== 3. Submit, wait, receive, save" | Out-Default
$job = Submit-SeedreamJob -Prompt 'Night-time version with stars' -Image $edit.Images[0] -NumImages 2
$job | Out-Default
$saved = $job | Wait-SeedreamJob | Receive-SeedreamJob | Save-SeedreamImage -Destination $OutFolder -NameTemplate 'night-{Index}.{ext}' -Force
$saved | ForEach-Object { "saved {0} ({1:N0} bytes)" -f $_.FullName, $_.Length } | Out-Default

# What was written, with the size the model produced.
"== Results" | Out-Default
@($edit) + @($batch) | ForEach-Object { $_.Images } | ForEach-Object {
    "{0}x{1}  {2}" -f $_.Width, $_.Height, $_.LocalPath
} | Out-Default
