# Build the Windows one-folder bundle and its setup program.
#
#   powershell -ExecutionPolicy Bypass -File installer\windows\build_windows.ps1 [-Variant viewer|full] [-NoSetup]
#
# Needs the project's virtual environment (.venv, made by `make setup` or
# `py -3.11 -m venv .venv; .venv\Scripts\pip install -c constraints.txt -e .`) and, for the
# setup program, Inno Setup 6.5+ (ISCC.exe on PATH or in its default folder).
# Output: dist\VARIANT\Wenyang\ and dist\installer\Wenyang-VERSION-windows-x64-VARIANT-setup.exe
param(
    [ValidateSet("viewer", "full")][string]$Variant = "viewer",
    [switch]$NoSetup
)
$ErrorActionPreference = "Stop"
$Root = (Resolve-Path "$PSScriptRoot\..\..").Path
$Py = if ($env:PYTHON) { $env:PYTHON } else { "$Root\.venv\Scripts\python.exe" }
if (-not (Test-Path $Py)) { throw "No Python at ${Py}; create the project's .venv first" }

# Which PyInstaller is installed, asked without writing to stderr (PowerShell 5.1 with
# ErrorActionPreference=Stop turns a redirected native stderr line into an exception).
& $Py -c "import importlib.metadata as m, sys; sys.exit([d.version for d in m.distributions() if (d.metadata['Name'] or '').lower() == 'pyinstaller'] != ['6.22.3'])"
if ($LASTEXITCODE -ne 0) { & $Py -m pip install --quiet pyinstaller==6.22.3 pyinstaller-hooks-contrib==2026.9 }

# The demo model for a first run without torch (models\demo\; skipped when up to date).
if ($env:WENYANG_DEMO_MODEL -ne "0") {
    & $Py "$Root\installer\demo_model.py"
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

$env:WENYANG_BUNDLE = $Variant
$clock = [Diagnostics.Stopwatch]::StartNew()
& $Py -m PyInstaller "$Root\installer\wenyang.spec" --noconfirm --clean --log-level WARN `
    --distpath "$Root\dist\$Variant" --workpath "$Root\build\$Variant"
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
$clock.Stop()
$bundle = "$Root\dist\$Variant\Wenyang"
$bytes = (Get-ChildItem $bundle -Recurse -File | Measure-Object -Sum Length).Sum
"Bundle:     $bundle"
"Size:       {0:N0} MB" -f ($bytes / 1MB)
"Build time: {0:N0} s" -f $clock.Elapsed.TotalSeconds
& "$bundle\wenyang.exe" --version
if ($LASTEXITCODE -ne 0) { throw "the bundled wenyang.exe does not start" }

if ($NoSetup) { exit 0 }
$iscc = (Get-Command iscc.exe -ErrorAction SilentlyContinue).Source
if (-not $iscc) {
    foreach ($dir in @("${env:ProgramFiles(x86)}\Inno Setup 6", "$env:ProgramFiles\Inno Setup 6",
                       "$env:LOCALAPPDATA\Programs\Inno Setup 6")) {
        if (Test-Path "$dir\ISCC.exe") { $iscc = "$dir\ISCC.exe"; break }
    }
}
if (-not $iscc) { throw "Inno Setup 6.5+ (ISCC.exe) not found: install it or use -NoSetup" }
& $iscc "/DVariant=$Variant" "$Root\installer\windows\wenyang.iss"
exit $LASTEXITCODE
