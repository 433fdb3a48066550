#!/usr/bin/env bash
# Register this Wenyang folder with the desktop, for the current user only (no root needed):
#
#   ./desktop/install.sh             # from the unpacked Wenyang/ folder
#   ./desktop/install.sh --uninstall
#
# Links wenyang and wenyang-gui into ~/.local/bin, installs the menu entry (XDG
# ~/.local/share/applications) and the icon (hicolor theme). The folder itself stays where it
# is: move it first (e.g. to ~/.local/opt/Wenyang), then run this. Nothing is copied into it.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
APPDIR="$(cd "$HERE/.." && pwd)"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
BIN="$HOME/.local/bin"
ENTRY="$DATA/applications/wenyang.desktop"
ICONS="$DATA/icons/hicolor"

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$BIN/wenyang" "$BIN/wenyang-gui" "$ENTRY" \
          "$ICONS/256x256/apps/wenyang.png" "$ICONS/scalable/apps/wenyang.svg"
    echo "Removed the menu entry, icon and links (the Wenyang folder and libraries are kept)."
    exit 0
fi
[ -x "$APPDIR/wenyang-gui" ] || { echo "install.sh: $APPDIR/wenyang-gui not found" >&2; exit 1; }

mkdir -p "$BIN" "$DATA/applications" "$ICONS/256x256/apps" "$ICONS/scalable/apps"
ln -sfn "$APPDIR/wenyang" "$BIN/wenyang"
ln -sfn "$APPDIR/wenyang-gui" "$BIN/wenyang-gui"
cp "$HERE/wenyang.png" "$ICONS/256x256/apps/wenyang.png"
cp "$HERE/wenyang.svg" "$ICONS/scalable/apps/wenyang.svg"
# Exec and TryExec get the absolute path: ~/.local/bin is not on every desktop's PATH.
sed -e "s|^Exec=wenyang-gui|Exec=\"$APPDIR/wenyang-gui\"|" \
    -e "s|^TryExec=wenyang-gui|TryExec=$APPDIR/wenyang-gui|" "$HERE/wenyang.desktop" > "$ENTRY"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$DATA/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$ICONS" 2>/dev/null || true
# Chinese text needs a CJK font from the system (the bundle carries none): say so when missing.
if command -v fc-list >/dev/null && [ -z "$(fc-list :lang=zh family 2>/dev/null | head -1)" ]; then
    echo "Note: no Chinese font is installed, so Chinese text will show as boxes. Install Noto Sans CJK:"
    echo "  Debian/Ubuntu: sudo apt install fonts-noto-cjk   Fedora: sudo dnf install google-noto-sans-cjk-fonts"
    echo "  Arch: sudo pacman -S noto-fonts-cjk              openSUSE: sudo zypper install noto-sans-cjk-fonts"
fi
echo "Installed: $ENTRY, icon 'wenyang', $BIN/wenyang and $BIN/wenyang-gui -> $APPDIR"
