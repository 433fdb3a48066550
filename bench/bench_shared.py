"""Two curators on one library at once: processes that tag, edit titles, rename labels, import
photos and fill collections on the same library for a while, then an integrity check.

    python bench/bench_shared.py LIBRARY [--seconds 120] [--workers 2] [--photos DIR]

LIBRARY is a library on a PostgreSQL server (``postgresql://…``, made with ``wenyang init``) or
a folder. Each worker is a process of its own with its own connections. In a loop it picks one
of: tag or untag a random item; edit a random item's title from the version it just read
(another worker may have edited it in between: the store then refuses the edit, StaleEdit,
counted as a conflict); rename a label from the version it just read (refused the same way);
import a photo that every worker imports in the same order (so the same photo reaches the
library from two workstations); add items to a shared collection. At the end it prints, per worker, the operations done and the conflicts, the
throughput, and the checks: no photo twice (by content hash), every item's version equal to one
plus the title edits that succeeded on it and every label's version its first plus the renames
that succeeded on it (no edit lost, none counted twice), every tag naming a live item and label.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def worker(location: str, number: int, seconds: float, photos: list[str], out) -> None:
    from app.core.errors import StaleEdit, WenyangError
    from app.services.importing import import_paths
    from app.services.library import open_library

    rng = random.Random(number)
    done, conflicts, errors = Counter(), Counter(), Counter()
    edits: Counter = Counter()  # item id -> title edits that succeeded
    renames: Counter = Counter()  # label id -> renames that succeeded
    with open_library(location) as lib:
        labels = ["dragon", "phoenix", "peony", "lotus", "cloud", "bat"]
        end = time.perf_counter() + seconds
        next_photo = 0
        while time.perf_counter() < end:
            ids = lib.items.ids()
            kind = rng.choice(["tag", "untag", "edit", "edit", "rename", "import", "collect"])
            try:
                if kind in ("tag", "untag") and ids:
                    getattr(lib.labels, kind)([rng.choice(ids)], [rng.choice(labels)])
                elif kind == "edit" and ids:
                    item_id = rng.choice(ids)
                    seen = lib.items.get(item_id)
                    time.sleep(rng.random() * 0.01)  # a curator reads before typing
                    lib.items.update(item_id, expected_version=seen.version, title=f"edit {number}-{done['edit']}")
                    edits[item_id] += 1
                elif kind == "rename":  # from the version just read, as the rename dialog does
                    label = rng.choice(labels)
                    seen_label = lib.scheme.label_versions[label]
                    time.sleep(rng.random() * 0.01)
                    lib.labels.rename(label, name_en=f"{label.title()} {number}-{done['rename']}",
                                      expected_version=seen_label)
                    renames[label] += 1
                elif kind == "import" and next_photo < len(photos):
                    import_paths(lib, [Path(photos[next_photo])])
                    next_photo += 1
                elif kind == "collect" and ids:
                    if not lib.collections.exists("Shared"):
                        try:
                            lib.collections.create("Shared")
                        except WenyangError:
                            conflicts["collect (made meanwhile)"] += 1
                    lib.collections.add("Shared", rng.sample(ids, min(3, len(ids))))
                else:
                    continue
                done[kind] += 1
            except StaleEdit:
                conflicts[kind] += 1
            except WenyangError as exc:
                errors[f"{kind}: {str(exc)[:60]}"] += 1
    out.put({"worker": number, "done": dict(done), "conflicts": dict(conflicts), "errors": dict(errors),
             "edits": {str(k): v for k, v in edits.items()}, "renames": dict(renames)})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("library")
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--photos", type=Path, help="demo photos to import (default: 40 made in a temporary folder)")
    args = ap.parse_args()
    from app.services.demo import generate_demo
    from app.services.library import open_library

    folder = args.photos or Path(tempfile.mkdtemp(prefix="wenyang-shared-"))
    if not any(folder.glob("*.jpg")):
        generate_demo(folder, seed=11, count=40)
    photos = [str(p) for p in sorted(folder.glob("*.jpg"))]
    with open_library(args.library) as lib:
        if lib.items.count() < 10:
            from app.services.importing import import_paths

            import_paths(lib, [Path(p) for p in photos[:10]])
        before = {i: lib.items.get(i).version for i in lib.items.ids()}
        labels_before = dict(lib.scheme.label_versions)
    print(f"{args.workers} workers for {args.seconds:.0f} s on {lib.location if not lib.dsn else 'a server library'}; "
          f"load {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores", flush=True)
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    procs = [context.Process(target=worker, args=(args.library, n, args.seconds, photos[10:], out))
             for n in range(args.workers)]
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    results = [out.get(timeout=args.seconds + 300) for _ in procs]
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - started
    total = Counter()
    edits: Counter = Counter()
    renames: Counter = Counter()
    for r in sorted(results, key=lambda r: r["worker"]):
        print(f"worker {r['worker']}: done {r['done']}, conflicts {r['conflicts']}, errors {r['errors']}")
        total.update(r["done"])
        edits.update({int(k): v for k, v in r["edits"].items()})
        renames.update(r["renames"])
    print(f"{sum(total.values())} operations in {elapsed:.1f} s: {sum(total.values()) / elapsed:.1f} per second; "
          f"conflicts refused: {sum(sum(r['conflicts'].values()) for r in results)}")
    with open_library(args.library) as lib:
        hashes = Counter(p.sha256 for i in lib.items.ids() for p in lib.items.get(i).photos)
        twice = [h for h, n in hashes.items() if n > 1]
        lost = {i: (lib.items.get(i).version, before.get(i, 1) + edits.get(i, 0))
                for i in lib.items.ids() if lib.items.get(i).version != before.get(i, 1) + edits.get(i, 0)}
        orphans = lib.labels.pairs()
        live, known = set(lib.items.ids()), set(lib.scheme.labels)
        bad_tags = [(i, label) for i, label in orphans if i not in live or label not in known]
        versions = lib.scheme.label_versions
        lost_renames = [l for l, v in labels_before.items() if versions.get(l) != v + renames.get(l, 0)]
    print(json.dumps({"photos_twice": len(twice), "items_whose_version_disagrees": len(lost),
                      "labels_whose_version_disagrees": len(lost_renames),
                      "tags_naming_nothing": len(bad_tags)}), flush=True)
    return 0 if not twice and not lost and not lost_renames and not bad_tags else 1


if __name__ == "__main__":
    sys.exit(main())
