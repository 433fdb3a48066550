"""The first photo search after an edit, on a library ``bench_scale.py`` grew: what a curator
waits for when they tag an item and then drop a photo. The search service is opened and
warmed up as the window does; then, ``--rounds`` times, one item is tagged (and the tag taken
off again afterwards, so the library ends as it began) and one photo search is timed, beside
a photo search with nothing changed. With ``--import``, each round instead imports one new
photo (the query photo with one pixel changed) and encodes it, as the window does after an
import, before the search; those items are deleted again at the end (into the trash).

    python bench/bench_search_after_edit.py LIBRARY [--rounds 5] [--import]

Run it from a worktree of another commit (``PYTHONPATH=that/worktree``) to compare the two.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.environ.get("PYTHONPATH") or str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("library", type=Path)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--import", dest="imports", action="store_true", help="import and encode a photo each round")
    args = ap.parse_args()
    from app.services.search import SearchService
    from app.store import open_library

    info = json.loads((args.library / "bench-scale.json").read_text())
    lib = open_library(args.library)
    service = SearchService(lib)
    began = time.perf_counter()
    service.warm()
    service.by_image(info["photo"], k=50)
    print(f"{lib.items.count()} items; warmed up in {time.perf_counter() - began:.1f} s; "
          f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores", flush=True)
    label = "phoenix"
    items = []
    for item_id in lib.items.ids():  # items without the label: taking it off again restores them
        if label not in lib.labels.labels_of(item_id):
            items.append(item_id)
        if len(items) == args.rounds:
            break
    quiet, edited, imported = [], [], []
    folder = Path(tempfile.mkdtemp(prefix="wenyang-after-edit-"))
    try:
        for n, item_id in enumerate(items):
            began = time.perf_counter()
            service.by_image(info["photo"], k=50)
            quiet.append((time.perf_counter() - began) * 1000)
            if args.imports:
                imported.append(import_one(lib, info["photo"], folder / f"after-edit-{os.getpid()}-{n}.jpg", n))
            else:
                lib.labels.tag([item_id], [label])
            began = time.perf_counter()
            service.by_image(info["photo"], k=50)
            edited.append((time.perf_counter() - began) * 1000)
    finally:
        if args.imports:
            lib.trash.move(imported)
        else:
            lib.labels.untag(items, [label])
        lib.close()
        shutil.rmtree(folder, ignore_errors=True)
    edit = "importing and encoding one photo" if args.imports else "tagging one item"
    for name, times in (("photo search, nothing changed", quiet), (f"photo search after {edit}", edited)):
        print(f"{name:36} median {statistics.median(times):8.1f} ms  (min {min(times):.1f}, max {max(times):.1f})",
              flush=True)
    return 0


def import_one(lib, photo: str, path: Path, n: int) -> int:
    """Import a copy of ``photo`` with one pixel changed (a photo of its own) and encode it."""
    from PIL import Image

    from app.services.encoding import encode_library
    from app.services.importing import ImportOptions, import_paths

    with Image.open(photo) as img:
        copy = img.convert("RGB")
    copy.putpixel((n % copy.width, 0), (n % 256, 0, 255 - n % 256))
    copy.save(path, quality=95)
    import_paths(lib, [path], ImportOptions())
    encode_library(lib)
    return lib.items.id_for_accession(path.stem)


if __name__ == "__main__":
    sys.exit(main())
