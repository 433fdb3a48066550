"""Photo files as the window shows them: decoding for the preview, cached thumbnails, and
which file names count as photos (the media layer's, named once for the window)."""
from __future__ import annotations

from app.media.images import IMAGE_SUFFIXES, load_rgb, thumbnail_path

__all__ = ["IMAGE_SUFFIXES", "load_rgb", "thumbnail_path"]
