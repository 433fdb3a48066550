"""Reading photos safely: every way a file can be bad becomes an ``ImageProblem`` with a reason.

Museum scans can be huge, 16-bit, multi-page or rotated by EXIF; all of that is handled here
so the importer and the encoders see plain 8-bit RGB.
"""
from __future__ import annotations

import hashlib
import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from app.core.errors import WenyangError
from app.core.tempfiles import temp_file

SUPPORTED_FORMATS = {"JPEG", "MPO", "PNG", "TIFF", "WEBP", "BMP"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".webp", ".bmp"}
MAX_PIXELS = 150_000_000  # ~12,000 × 12,000: larger is treated as a decompression bomb
MAX_FILE_BYTES = 1_000_000_000
THUMBNAIL_SIZE = 256

ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file must be reported, not half-shown
Image.MAX_IMAGE_PIXELS = None  # we apply our own limit (MAX_PIXELS) before decoding


class ImageProblem(WenyangError):
    """A file that cannot be used as a photo; ``reason`` is a short category."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class DecodedImage:
    image: Image.Image  # 8-bit RGB, EXIF orientation applied
    sha256: str
    size: int
    width: int
    height: int
    format: str
    note: str = ""


def read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size == 0:
            raise ImageProblem("empty file", "0 bytes")
        if size > MAX_FILE_BYTES:
            raise ImageProblem("too large", f"{size / 1e9:.1f} GB")
        return path.read_bytes()
    except PermissionError:
        raise ImageProblem("unreadable", "permission denied") from None
    except OSError as exc:
        raise ImageProblem("unreadable", exc.strerror or str(exc)) from None


def decode(path: str | Path, data: bytes | None = None, max_pixels: int = MAX_PIXELS) -> DecodedImage:
    """Open, fully decode and normalise one photo. Raises ImageProblem with a reason."""
    path = Path(path)
    data = read_bytes(path) if data is None else data
    digest = hashlib.sha256(data).hexdigest()
    img = _open(data)
    fmt = img.format or "?"
    if fmt not in SUPPORTED_FORMATS:
        raise ImageProblem("unsupported format", fmt)
    width, height = img.size
    if width * height > max_pixels:
        raise ImageProblem("decompression bomb", f"{width}×{height} pixels is over the limit of "
                                                 f"{max_pixels:,}")
    note = ""
    frames = getattr(img, "n_frames", 1)
    if frames > 1 and fmt != "MPO":  # a multi-page TIFF, an animated PNG (APNG) or WebP; a
        # camera's MPO holds previews beside the photo, the first picture is the photo itself
        what = "multi-page TIFF: first of {} pages used" if fmt == "TIFF" else \
            f"animated {fmt}: first of {{}} frames used"
        note = what.format(frames)
    _load(img)
    rgb = to_rgb(ImageOps.exif_transpose(img))
    return DecodedImage(rgb, digest, len(data), rgb.width, rgb.height, fmt, note)


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImageProblem("not an image", "the format is not recognised") from None
    except Image.DecompressionBombError as exc:
        raise ImageProblem("decompression bomb", str(exc)) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageProblem("corrupt", str(exc)) from None


def _load(img: Image.Image) -> None:
    try:
        img.load()
    except OSError as exc:
        text = str(exc)
        if "truncated" in text or "premature end" in text.lower():
            raise ImageProblem("truncated", text) from None
        raise ImageProblem("corrupt", text) from None
    except (ValueError, SyntaxError, MemoryError, Image.DecompressionBombError) as exc:
        raise ImageProblem("corrupt", str(exc) or type(exc).__name__) from None


def to_rgb(img: Image.Image) -> Image.Image:
    """8-bit RGB from any mode: 16-bit greys are scaled, transparency goes onto white."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        img = Image.fromarray(np.clip(arr * (255.0 / top), 0, 255).astype(np.uint8), "L")
    elif img.mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        span = max(float(arr.max() - arr.min()), 1e-9)
        img = Image.fromarray(((arr - arr.min()) * 255.0 / span).astype(np.uint8), "L")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB") if img.mode != "RGB" else img


def thumbnail_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / f"{sha256}.jpg"


def write_thumbnail(img: Image.Image, dest: Path, size: int = THUMBNAIL_SIZE) -> Path:
    """Write a JPEG thumbnail once (atomically: a killed process leaves no half file)."""
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    thumb = img.copy()
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
    fd, tmp = temp_file(dest.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            thumb.save(handle, "JPEG", quality=85)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def load_rgb(path: str | Path, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """A photo as 8-bit RGB with EXIF orientation, for encoding and previews."""
    return decode(path, max_pixels=max_pixels).image


def scaled_rgb(path: str | Path, side: int, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """A photo reduced to fit ``side``×``side``: 8-bit RGB, EXIF orientation applied. A JPEG is
    decoded at 1/2, 1/4 or 1/8 of its size directly (``draft``), so a full-size photo stands in
    for a missing thumbnail at little cost. Raises ImageProblem with a reason."""
    img = _open(read_bytes(Path(path)))
    if img.width * img.height > max_pixels:
        raise ImageProblem("decompression bomb", f"{img.width}×{img.height} pixels is over the limit of "
                                                 f"{max_pixels:,}")
    try:
        img.draft("RGB", (side, side))
        rgb = to_rgb(ImageOps.exif_transpose(img))
        rgb.thumbnail((side, side))
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageProblem("corrupt", str(exc)) from None
    return rgb
