#!/usr/bin/env bash
# Build the Linux one-folder bundle of Wenyang with PyInstaller, and say how big it is.
#
#   installer/build_linux.sh [viewer|full] [--archive]
#
#   viewer (default)  search, import, labelling, evaluation, export; no torch (no training)
#   full              also torch + CUDA libraries: training works (several GB)
#   --archive         also pack dist/VARIANT/Wenyang-VERSION-linux-ARCH-VARIANT.tar.gz
#
# Output: dist/VARIANT/Wenyang/{wenyang-gui,wenyang,_internal/,desktop/} (git-ignored), work
# files in build/VARIANT/. PYTHON=/path/to/python picks another interpreter (default: the
# project's .venv); PyInstaller is installed into it, pinned, when it is missing.
# First the demo model is trained into models/demo/ (installer/demo_model.py, with that
# Python's torch; skipped when up to date) so a first run without torch can search the demo;
# WENYANG_DEMO_MODEL=0 builds without it.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
PYINSTALLER_PIN="pyinstaller==6.22.3"
HOOKS_PIN="pyinstaller-hooks-contrib==2026.9"

VARIANT="${WENYANG_BUNDLE:-viewer}"
ARCHIVE=0
for arg in "$@"; do
    case "$arg" in
        viewer|full) VARIANT="$arg" ;;
        --archive) ARCHIVE=1 ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build_linux.sh: unknown argument '$arg' (viewer, full, --archive)" >&2; exit 2 ;;
    esac
done

if [ ! -x "$PY" ]; then
    echo "build_linux.sh: no Python at $PY; run 'make setup' first or set PYTHON=" >&2
    exit 1
fi
if ! "$PY" -c "import PyInstaller, sys; sys.exit(PyInstaller.__version__ != '${PYINSTALLER_PIN#*==}')" 2>/dev/null; then
    echo "Installing $PYINSTALLER_PIN into $("$PY" -c 'import sys; print(sys.prefix)')"
    "$PY" -m pip install --quiet "$PYINSTALLER_PIN" "$HOOKS_PIN"
fi
if [ "$VARIANT" = full ] && ! "$PY" -c "import torch" 2>/dev/null; then
    echo "build_linux.sh: the full bundle needs torch in $PY" >&2
    exit 1
fi

DIST="$ROOT/dist/$VARIANT"
WORK="$ROOT/build/$VARIANT"
BUNDLE="$DIST/Wenyang"
VERSION="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$ROOT/app/__init__.py")"

demo_seconds=0
if [ "${WENYANG_DEMO_MODEL:-1}" != 0 ]; then
    t0=$(date +%s)
    "$PY" "$HERE/demo_model.py"
    demo_seconds=$(( $(date +%s) - t0 ))
else
    echo "Demo model: left out (WENYANG_DEMO_MODEL=0); a first run without torch opens the demo without search"
fi

echo "Building the $VARIANT bundle of Wenyang $VERSION into $BUNDLE"
start=$(date +%s.%N)
WENYANG_BUNDLE="$VARIANT" "$PY" -m PyInstaller "$HERE/wenyang.spec" \
    --noconfirm --clean --log-level WARN --distpath "$DIST" --workpath "$WORK"
end=$(date +%s.%N)

# The desktop entry and icons travel with the folder; desktop/install.sh registers them.
mkdir -p "$BUNDLE/desktop"
cp "$HERE/linux/wenyang.desktop" "$HERE/linux/install.sh" "$ROOT/resources/icons/wenyang.png" \
   "$ROOT/resources/icons/wenyang.svg" "$BUNDLE/desktop/"
chmod +x "$BUNDLE/desktop/install.sh"

seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
size_mb=$(du -sm "$BUNDLE" | cut -f1)
files=$(find "$BUNDLE" -type f | wc -l)
echo
echo "Bundle:     $BUNDLE"
echo "Variant:    $VARIANT"
echo "Size:       ${size_mb} MB on disk ($files files)"
echo "Build time: ${seconds} s (PyInstaller, --clean); demo model ${demo_seconds} s"
if [ -f "$BUNDLE/_internal/models/demo/demo.json" ]; then
    echo "Demo model: $(du -sm "$BUNDLE/_internal/models/demo" | cut -f1) MB in _internal/models/demo/"
fi
echo "Largest parts of _internal/:"
du -sm "$BUNDLE/_internal"/* 2>/dev/null | sort -rn | head -8 | awk '{ printf "  %6d MB  %s\n", $1, $2 }'

if [ "$ARCHIVE" = 1 ]; then
    tarball="$DIST/Wenyang-$VERSION-linux-$(uname -m)-$VARIANT.tar.gz"
    t0=$(date +%s)
    tar -C "$DIST" -czf "$tarball" Wenyang
    echo "Archive:    $tarball ($(du -sm "$tarball" | cut -f1) MB, $(( $(date +%s) - t0 )) s)"
fi
