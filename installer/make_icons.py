"""Render resources/icons/wenyang.svg to the raster icons the installers need.

    QT_QPA_PLATFORM=offscreen .venv/bin/python installer/make_icons.py

writes ``resources/icons/wenyang.png`` (256 px, the Linux .desktop icon and the source from
which PyInstaller makes the macOS .icns) and ``resources/icons/wenyang.ico`` (16-256 px, the
Windows executables and the Inno Setup wizard). Both are committed, so a build does not need
to run this; run it again after editing the SVG. The SVG is drawn by Qt's own renderer
(QtSvg is part of PySide6-Essentials) and each size is rendered from the vector, not scaled.
"""
from __future__ import annotations

import io
import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(svg: Path, size: int):
    """The SVG drawn at ``size`` × ``size`` pixels, as a Pillow RGBA image."""
    from PIL import Image
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: Qt cannot read this SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(data))).convert("RGBA")


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (keeps Qt alive)
    svg = ICONS / "wenyang.svg"
    big = render(svg, 256)
    big.save(ICONS / "wenyang.png", optimize=True)
    frames = {s: render(svg, s) for s in ICO_SIZES}
    # Pillow writes one ICO entry per size, taking each from the closest given frame.
    big.save(ICONS / "wenyang.ico", sizes=[(s, s) for s in ICO_SIZES],
             append_images=[frames[s] for s in ICO_SIZES if s != 256])
    for name in ("wenyang.png", "wenyang.ico"):
        print(f"{ICONS / name}: {(ICONS / name).stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
