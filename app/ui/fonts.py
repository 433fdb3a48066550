"""Can this machine draw Chinese? Without a font that covers it, every Chinese label, title and
menu is a row of empty boxes, and nothing in Qt says why. A fresh Debian without
``fonts-noto-cjk`` is such a machine (seen: the demo's labels read "Robe · □")."""
from __future__ import annotations

from PySide6.QtGui import QFontDatabase

# Not translated on purpose: on a machine that lacks the font, the Chinese text would be boxes too.
NO_CHINESE_FONT = ("Chinese text shows as empty boxes: no Chinese font is installed "
                   "(Debian/Ubuntu: apt-get install fonts-noto-cjk; then restart Wenyang)")


def chinese_font_missing(families: list[str] | None = None) -> bool:
    """True when no installed font family covers Simplified Chinese (``families``: those that do,
    for a test; by default Qt's font database is asked)."""
    if families is None:
        families = QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    return not families
