"""How often photo search says "same photo", rightly and wrongly, on the demo.

    .venv/bin/python bench/same_photo_claims.py LIBRARY [--copies 100] [--strangers 120]

LIBRARY is a demo library with an active model (``bench/time_first_run.py`` leaves one, or
``make run``'s home). Three kinds of query photo go through ``SearchService.by_image``:
- *copies*: library photos re-photographed as ``wenyang bench backlog`` does (rotated 3–6° with
  the backdrop's colour in the corners, cropped to 87–93 %, rescaled, JPEG ~70);
- *white corners*: the same, but rotated with ImageMagick's ``-rotate`` semantics, white corners,
  a centred 88 % crop of the grown canvas, 80 % size, JPEG 70 (harsher: the corners are not
  the backdrop);
- *strangers*: demo photos of another seed (new garments, not in the library).
For each it prints the share whose first hit is flagged "same photo" and, of those, how many
name the right item; and the share whose own item comes first (copies only). A stranger
flagged "same photo" is a false claim shown to the curator.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.media.images import load_rgb  # noqa: E402
from app.services.backlog_measure import first_hit  # noqa: E402
from app.services.backlog_queries import rephotograph  # noqa: E402
from app.services.dataset import photo_path  # noqa: E402
from app.services.demo import generate_demo  # noqa: E402
from app.services.search import SearchService  # noqa: E402
from app.store import open_library  # noqa: E402


def white_corner_copy(img: Image.Image, turn: float) -> Image.Image:
    """Rotated clockwise by ``turn``° on a grown white canvas, the centre 88 % kept, 80 % size, JPEG 70."""
    import io

    grown = img.convert("RGB").rotate(-turn, Image.Resampling.BILINEAR, expand=True, fillcolor=(255, 255, 255))
    w, h = round(grown.width * 0.88), round(grown.height * 0.88)
    left, top = (grown.width - w) // 2, (grown.height - h) // 2
    small = grown.crop((left, top, left + w, top + h)).resize((round(w * 0.8), round(h * 0.8)), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=70)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("library", type=Path)
    ap.add_argument("--copies", type=int, default=100)
    ap.add_argument("--strangers", type=int, default=120)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with open_library(args.library) as lib, tempfile.TemporaryDirectory() as tmp:
        service = SearchService(lib)
        photos = {item_id: photo_path(lib, stored) for item_id, (stored, _) in lib.items.first_photos().items()}
        rng = np.random.default_rng(args.seed)
        chosen = [int(i) for i in rng.choice(sorted(photos), size=min(args.copies, len(photos)), replace=False)]
        generate_demo(Path(tmp), seed=args.seed + 500, count=args.strangers)
        strangers = sorted(Path(tmp).glob("*.jpg"))
        kinds = {
            "copies": [(i, rephotograph(load_rgb(photos[i]), args.seed * 100_003 + j)) for j, i in enumerate(chosen)],
            "white corners": [(i, white_corner_copy(load_rgb(photos[i]), 4 + j % 3)) for j, i in enumerate(chosen)],
            "strangers": [(None, load_rgb(p)) for p in strangers],
        }
        service.by_image(kinds["copies"][0][1], k=10)  # warm: model session, signature index
        for name, queries in kinds.items():
            flagged = right = first = 0
            times = []
            for truth, photo in queries:
                started = time.perf_counter()
                top, dup = first_hit(service, photo)
                times.append(time.perf_counter() - started)
                flagged += dup
                right += dup and top == truth
                first += truth is not None and top == truth
            n = len(queries)
            line = f"{name:14s} n={n:4d}  flagged same photo {flagged / n:.3f}  (right {right}, wrong {flagged - right})"
            if name != "strangers":
                line += f"  own item first {first / n:.3f}"
            print(line + f"  median query {1000 * float(np.median(times)):.0f} ms", flush=True)


if __name__ == "__main__":
    main()
