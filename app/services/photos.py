"""Photo files as the window shows them: decoding for the preview and the grid's thumbnails,
cached thumbnails, and which file names count as photos (the media layer's, named once for
the window)."""
from __future__ import annotations

from app.media.images import IMAGE_SUFFIXES, ImageProblem, load_rgb, scaled_rgb, thumbnail_path

__all__ = ["IMAGE_SUFFIXES", "ImageProblem", "load_rgb", "scaled_rgb", "thumbnail_path"]
