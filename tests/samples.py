"""Real files for tests: good photos in every supported format and each kind of bad one."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

CLOTHING = Path(__file__).resolve().parents[2] / "shared" / "data" / "clothing-cc0"


def clothing_dir() -> Path:
    """The public clothing photos; tests that need them skip when shared/ is absent."""
    return CLOTHING


def photo(path: Path, seed: int, size=(64, 48), fmt: str | None = None, **save) -> Path:
    """A small random RGB photo (different content for each seed)."""
    rng = np.random.default_rng(seed)
    img = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), "RGB")
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, fmt, **save)
    return path


def tiff_16bit(path: Path) -> Path:
    ramp = (np.arange(40 * 30, dtype=np.uint32).reshape(30, 40) * 50).astype(np.uint16)
    Image.fromarray(ramp).save(path, "TIFF")  # uint16 array → mode I;16
    return path


def tiff_multipage(path: Path, pages: int = 3) -> Path:
    frames = [Image.new("RGB", (32, 32), (40 * i, 0, 0)) for i in range(pages)]
    frames[0].save(path, "TIFF", save_all=True, append_images=frames[1:])
    return path


def jpeg_rotated(path: Path) -> Path:
    """A 60×20 JPEG whose EXIF says 'rotate 90°': it should come out 20×60."""
    img = Image.new("RGB", (60, 20), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6
    img.save(path, "JPEG", exif=exif.tobytes())
    return path


def truncated_jpeg(path: Path, seed: int = 99) -> Path:
    full = photo(path.with_suffix(".full.jpg"), seed, size=(200, 150), fmt="JPEG", quality=95)
    data = full.read_bytes()
    full.unlink()
    path.write_bytes(data[: len(data) // 2])
    return path


def huge_png(path: Path, side: int = 20_000) -> Path:
    """A valid PNG header claiming side×side pixels with a tiny compressed body (never decoded)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" + b"\x00" * (side // 8)
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


def bad_folder(root: Path) -> dict[str, str]:
    """A folder with good photos and each kind of bad file. Returns {file name: expected reason}."""
    root.mkdir(parents=True, exist_ok=True)
    photo(root / "good1.jpg", 1, fmt="JPEG")
    photo(root / "sub" / "good2.png", 2)
    truncated_jpeg(root / "truncated.jpg")
    (root / "empty.jpg").write_bytes(b"")
    (root / "notes.jpg").write_text("this is not a picture\n", encoding="utf-8")
    huge_png(root / "huge.png")
    (root / "readme.txt").write_text("hello", encoding="utf-8")
    return {"truncated.jpg": "truncated", "empty.jpg": "empty file", "notes.jpg": "not an image",
            "huge.png": "decompression bomb", "readme.txt": "not a photo file type"}
