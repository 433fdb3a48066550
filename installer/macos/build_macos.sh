#!/usr/bin/env bash
# Build Wenyang.app (and optionally a .dmg) on a Mac.
#
#   installer/macos/build_macos.sh [viewer|full] [--dmg]
#
# The spec's BUNDLE step (installer/wenyang.spec, macOS branch) wraps the one-folder build in
# dist/VARIANT/Wenyang.app: Contents/MacOS/wenyang-gui (the app) and Contents/MacOS/wenyang
# (the command line), bundle id org.wenyang.Wenyang, version from app/__init__.py, the icon
# made from resources/icons/wenyang.png. PyInstaller signs it ad hoc; for distribution set
# WENYANG_CODESIGN_IDENTITY="Developer ID Application: ..." and notarize (installer/README.md).
# Build on the oldest macOS and the architecture you ship for (arm64 or x86_64): the bundle
# runs where its Python and Qt wheels run, not on older systems.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
VARIANT="${WENYANG_BUNDLE:-viewer}"
DMG=0
for arg in "$@"; do
    case "$arg" in
        viewer|full) VARIANT="$arg" ;;
        --dmg) DMG=1 ;;
        *) echo "build_macos.sh: unknown argument '$arg' (viewer, full, --dmg)" >&2; exit 2 ;;
    esac
done
[ "$(uname -s)" = Darwin ] || { echo "build_macos.sh: run this on macOS" >&2; exit 2; }
[ -x "$PY" ] || { echo "build_macos.sh: no Python at $PY; run 'make setup' first" >&2; exit 1; }
if ! "$PY" -c "import PyInstaller, sys; sys.exit(PyInstaller.__version__ != '6.22.3')" 2>/dev/null; then
    "$PY" -m pip install --quiet "pyinstaller==6.22.3" "pyinstaller-hooks-contrib==2026.9"
fi

DIST="$ROOT/dist/$VARIANT"
APP="$DIST/Wenyang.app"
VERSION="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$ROOT/app/__init__.py")"
# The demo model for a first run without torch (models/demo/; skipped when up to date).
[ "${WENYANG_DEMO_MODEL:-1}" = 0 ] || "$PY" "$ROOT/installer/demo_model.py"
start=$SECONDS
WENYANG_BUNDLE="$VARIANT" "$PY" -m PyInstaller "$ROOT/installer/wenyang.spec" \
    --noconfirm --clean --log-level WARN --distpath "$DIST" --workpath "$ROOT/build/$VARIANT"
seconds=$((SECONDS - start))

"$APP/Contents/MacOS/wenyang" --version
plutil -lint -s "$APP/Contents/Info.plist"
plist() { /usr/libexec/PlistBuddy -c "Print :$1" "$APP/Contents/Info.plist"; }
echo "App:        $APP ($(plist CFBundleIdentifier) $(plist CFBundleShortVersionString), runs $(plist CFBundleExecutable))"
echo "Size:       $(du -sm "$APP" | cut -f1) MB"
echo "Build time: ${seconds} s"

if [ "$DMG" = 1 ]; then
    stage="$(mktemp -d)"
    cp -R "$APP" "$stage/"
    ln -s /Applications "$stage/Applications"     # drag-to-install window
    dmg="$DIST/Wenyang-$VERSION-macos-$(uname -m)-$VARIANT.dmg"
    hdiutil create -volname "Wenyang $VERSION" -srcfolder "$stage" -ov -format UDZO "$dmg" >/dev/null
    rm -rf "$stage"
    echo "Disk image: $dmg ($(du -sm "$dmg" | cut -f1) MB)"
fi
