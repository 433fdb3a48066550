"""Grouping the backlog benchmark's per-query scores, medians over seeds, and the table."""
from __future__ import annotations

import numpy as np

from app.services.backlog_queries import FACETS
from app.services.backlog_scoring import RELIABILITY_BINS, median_or_none

FACET_NAMES = {"category": "garment category", "motif": "motif", "colour": "colour", "technique": "technique",
               "material": "material", "era": "era", "region": "region"}
CORE = ("category", "motif", "colour")


def query_groups(queries) -> dict[str, np.ndarray]:
    """Masks over the queries for every row of the report."""
    kind = np.array([q.kind for q in queries])
    lang = np.array([q.lang for q in queries])
    facet = np.array([q.facet for q in queries])
    label = kind == "label"
    groups = {f"facet:{f}": label & (facet == f) for f in FACETS}
    core = label & np.isin(facet, CORE)
    groups.update({"labels zh": label & (lang == "zh"), "labels en": label & (lang == "en"), "all labels": label,
                   "category+motif+colour zh": core & (lang == "zh"), "category+motif+colour en": core & (lang == "en"),
                   "category+motif+colour": core, "motif alone": label & (facet == "motif"),
                   "phrases zh": (kind == "phrase") & (lang == "zh"), "phrases en": (kind == "phrase") & (lang == "en"),
                   "phrases": kind == "phrase"})
    return {name: mask for name, mask in groups.items() if mask.any()}


def group_scores(groups: dict[str, np.ndarray], p: np.ndarray, chance: np.ndarray,
                 best: np.ndarray | None = None) -> dict:
    """Mean P@10 and mean chance of each group, and the mean P@10 of a perfect ranking
    (``best``) where given."""
    out = {name: {"p10": float(p[m].mean()), "chance": float(chance[m].mean()), "n": int(m.sum())}
           for name, m in groups.items()}
    if best is not None:
        for name, m in groups.items():
            out[name]["best"] = float(best[m].mean())
    return out


def flatten(tree, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of nested dicts as 'a/b/c' → value (lists are left out)."""
    out = {}
    if isinstance(tree, dict):
        for key, value in tree.items():
            out.update(flatten(value, f"{prefix}{key}/"))
    elif isinstance(tree, (int, float)) and not isinstance(tree, bool):
        out[prefix[:-1]] = float(tree)
    return out


def medians(per_seed: list[dict]) -> dict[str, dict]:
    """Every numeric path of the seeds' results: its median and each seed's value."""
    flat = [flatten(s) for s in per_seed]
    paths = sorted({p for f in flat for p in f})
    return {p: {"median": median_or_none([f.get(p) for f in flat]), "seeds": [f.get(p) for f in flat]}
            for p in paths}


def _cell(summary: dict, path: str, width: int = 9) -> str:
    entry = summary.get(path)
    if entry is None or entry["median"] is None:
        return f"{'—':>{width}}"
    whole = all(v is None or float(v).is_integer() for v in entry["seeds"]) and float(entry["median"]).is_integer()
    text = f"{entry['median']:.0f}" if whole else f"{entry['median']:.3f}"
    if len(entry["seeds"]) > 1:
        text += " [" + " ".join("—" if v is None else (f"{v:.0f}" if whole else f"{v:.2f}") for v in entry["seeds"]) + "]"
    return f"{text:>{width}}"


def _row(summary, title: str, paths: list[str], width: int) -> str:
    return f"  {title:30}" + "".join(_cell(summary, p, width) for p in paths)


def format_table(result: dict) -> str:
    """The printed report: medians over seeds (each seed in brackets when there are several)."""
    s, models = result["summary"], result["models"]
    width = 9 if len(result["seeds"]) == 1 else 25
    cols = models + (["baseline"] if result["baseline"] else [])
    lines = [f"Backlog benchmark — {result['dataset']}, seeds {result['seeds']}, commit {result['commit']}"
             f"{' (+ uncommitted changes)' if result.get('dirty') else ''}",
             f"  catalogue {result['n_catalogue']} items, backlog {result['n_backlog']} photos (no labels, no text); "
             "medians over seeds" + (", [each seed]" if len(result["seeds"]) > 1 else ""),
             "", f"  {'typed queries, graded P@10':30}" + "".join(f"{c:>{width}}" for c in cols + ["chance", "best"])
             + f"{'queries':>9}"]
    for group in result["groups"]:
        title = FACET_NAMES.get(group.removeprefix("facet:"), group) if group.startswith("facet:") else group
        paths = [f"models/{m}/typed/{group}/p10" for m in models]
        paths += [f"baseline/typed/{group}/p10"] if result["baseline"] else []
        paths += [f"models/{models[0]}/typed/{group}/chance", f"models/{models[0]}/typed/{group}/best"]
        n = s.get(f"models/{models[0]}/typed/{group}/n", {}).get("median")
        lines.append(_row(s, title, paths, width) + f"{'' if n is None else int(n):>9}")
    lines.append(_row(s, "failed typed queries", [f"models/{m}/typed_failures" for m in models], width))
    lines += _sections(s, models, width, result["baseline"])
    return "\n".join(lines)


def _sections(s, models, width, baseline: bool) -> list[str]:
    m = lambda tail: [f"models/{x}/{tail}" for x in models]  # noqa: E731
    out = ["", f"  {'photo → photo (backlog)':30}" + "".join(f"{x:>{width}}" for x in models + ["chance"])]
    for name in ("same_category", "same_motif"):
        out.append(_row(s, name.replace("_", " ") + " P@10", m(f"photo/{name}/p10") + [f"models/{models[0]}/photo/{name}/chance"], width))
    out.append(_row(s, "region (central half) motif P@10", m("region/p10") + [f"models/{models[0]}/region/chance"], width))
    out += ["", f"  {'re-photographed copy':30}" + "".join(f"{x:>{width}}" for x in models)]
    out += [_row(s, "own item at rank 1", m("rephoto/rank1"), width), _row(s, "own item in top 10", m("rephoto/top10"), width),
            _row(s, "median rank", m("rephoto/median_rank"), width),
            _row(s, "new photo called same photo", m("rephoto/stranger"), width)]
    for scope in ("library", "backlog"):
        out += ["", f"  {'edit +a −b motif, in ' + scope:30}" + "".join(f"{x:>{width}}" for x in models)]
        out += [_row(s, key.replace("_", " "), m(f"edits/{scope}/{key}"), width)
                for key in ("added_label", "kept_category", "top10_accuracy", "ndcg10")]
    threshold = s.get(f"models/{models[0]}/tags/threshold", {}).get("median")
    out += ["", f"  {'tag suggestions shown (≥ ' + ('?' if threshold is None else f'{threshold:.2f}') + ')':30}" + "".join(f"{x:>{width}}" for x in models)]
    out += [_row(s, "mean AP", m("tags/mean_ap"), width), _row(s, "micro-F1 of what is shown", m("tags/micro/f1"), width),
            _row(s, "  precision", m("tags/micro/precision"), width), _row(s, "  recall", m("tags/micro/recall"), width),
            _row(s, "shown per photo", m("tags/shown_per_photo"), width),
            _row(s, "shown at 0.75-0.85: right", m("tags/about_80/correct"), width),
            _row(s, "shown at 0.75-0.85: count", m("tags/about_80/count"), width)]
    for b, (lo, hi) in enumerate(RELIABILITY_BINS):
        span = f"{lo:.1f}-{min(hi, 1.0):.1f}"
        out.append(_row(s, f"shown at {span}: count", m(f"tags/reliability/{b}/count"), width))
        out.append(_row(s, f"shown at {span}: right", m(f"tags/reliability/{b}/correct"), width))
    out += ["", f"  {'wall time, s':30}" + "".join(f"{x:>{width}}" for x in models + (["baseline"] if baseline else []))]
    out.append(_row(s, "training (incl. encoding)", m("train_s") + (["baseline/wall_s"] if baseline else []), width))
    out.append(_row(s, "measuring", m("measure_s"), width))
    out.append(_row(s, "epochs run", m("epochs_run"), width))
    out.append(_row(s, "best epoch (kept)", m("best_epoch"), width))
    return out
