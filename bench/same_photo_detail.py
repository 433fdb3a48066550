"""The fine-detail check of "same photo" (``app.media.signature.verified_similarity``) on copies
of real and of demo photos, and on demo look-alikes.

    .venv/bin/python bench/same_photo_detail.py [--n 80] [--data ../shared/data]

- *clothing copies*: the first ``--n`` clothing-cc0 photos (mostly 400 × 533), each against its
  library thumbnail (256 px, JPEG 85), copied as ``wenyang bench backlog`` copies (rotated 3–6°,
  cropped to 87–93 %, rescaled, JPEG ~70);
- *demo copies*: the same for ``--n`` photos of demo seed 0 (square);
- *demo look-alikes*: ``--n`` photos of demo seed 500 (not in that library) against the library
  photo they align with best at 24 px, where that alignment passes step 2's bar.
Each row prints step 2's median alignment and the share of the check's scores at or above the
product's bar and a few others. A copy under the bar still goes first, but is not called "same
photo"; a look-alike over it is called one wrongly. No model is trained (about a minute).
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.media.signature import POSES, aligned_query, alignments, verified_similarity  # noqa: E402
from app.services.backlog_queries import rephotograph  # noqa: E402
from app.services.demo import generate_demo  # noqa: E402
from app.services.similar import SAME_PHOTO_MIN, SAME_PHOTO_VERIFIED  # noqa: E402


def thumbnail(img: Image.Image) -> Image.Image:
    small = img.copy()
    small.thumbnail((256, 256), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=85)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def checked(query: Image.Image, rows: np.ndarray, candidate: Image.Image) -> tuple[float, float]:
    """(step 2's best alignment, the fine-detail score from its pose)."""
    fit = rows @ aligned_query(query)
    j = int(np.argmax(fit))
    return float(fit[j]), verified_similarity(query, candidate, POSES[j])


def report(name: str, scores: list[tuple[float, float]]) -> None:
    a = np.array(scores)
    bars = " ".join(f"≥{bar:.2f} {np.mean(a[:, 1] >= bar):.2f}" for bar in (SAME_PHOTO_VERIFIED, 0.85, 0.8))
    print(f"{name:28} n {len(a):3d}  step 2 median {np.median(a[:, 0]):.3f}  detail median "
          f"{np.median(a[:, 1]):.3f}  {bars}  (5th percentile {np.percentile(a[:, 1], 5):.3f})", flush=True)


def copies(photos: list[Image.Image]) -> list[tuple[float, float]]:
    out = []
    for i, img in enumerate(photos):
        stored = thumbnail(img)
        out.append(checked(rephotograph(img, i), alignments(stored), stored))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=80)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = ap.parse_args()
    folder = args.data / "clothing-cc0"
    names = [r["image"] for r in csv.DictReader((folder / "images.csv").open(encoding="utf-8"))]
    clothing = [Image.open(folder / "images" / f"{n}.jpg").convert("RGB") for n in names
                if (folder / "images" / f"{n}.jpg").is_file()][:args.n]
    report("clothing copies", copies(clothing))
    with tempfile.TemporaryDirectory() as tmp:
        library, strangers = Path(tmp) / "library", Path(tmp) / "strangers"
        generate_demo(library, seed=0, count=args.n)
        generate_demo(strangers, seed=500, count=args.n)
        demo = [Image.open(p).convert("RGB") for p in sorted(library.glob("*.jpg"))]
        report("demo copies", copies(demo))
        stored = [thumbnail(img) for img in demo]
        rows = [alignments(img) for img in stored]
        alike = []
        for path in sorted(strangers.glob("*.jpg")):
            query = Image.open(path).convert("RGB")
            q = aligned_query(query)
            best = int(np.argmax([float((r @ q).max()) for r in rows]))
            coarse, detail = checked(query, rows[best], stored[best])
            if coarse >= SAME_PHOTO_MIN:
                alike.append((coarse, detail))
        report(f"demo look-alikes (step 2 ≥ {SAME_PHOTO_MIN})", alike)


if __name__ == "__main__":
    main()
