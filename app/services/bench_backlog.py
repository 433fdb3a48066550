"""``wenyang bench backlog``: search quality in the curator's terms (METHOD.md, backlog protocol).

For each seed a library is built with a labelled catalogue and an unlabelled backlog (another
demo draw, or a held-out part of clothing-cc0). Models are trained exactly as a curator would
train them (default ``wenyang train``; the first run's options), and measured only through the
product's search paths: typed label names and phrases over the backlog (graded P@10 beside
chance), photo → photo, re-photographed copies, attribute edits, a dragged region, and tag
suggestions. A plain ResNet-18 classifier, given the label ids (perfect query parsing), is
the baseline the product must not fall below.
"""
from __future__ import annotations

import json
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.core.jobs import Progress
from app.services import backlog_measure as measure
from app.services import backlog_tags as tags
from app.services.backlog_queries import FACETS, TypedQuery, draw_phrases, label_queries, phrase_queries
from app.services.backlog_report import format_table, group_scores, medians, query_groups
from app.services.backlog_scoring import best_possible, chance_rate, precision_at_k, relevance_matrix, truth_matrix
from app.services.backlog_setup import build_clothing_set, build_demo_set, library_truth

if TYPE_CHECKING:
    from app.store import Library

DEFAULTS = {"demo": {"catalogue": 300, "backlog": 200, "baseline_epochs": 25},
            "clothing": {"catalogue": 2000, "backlog": 500, "baseline_epochs": 20}}


@dataclass
class BacklogOptions:
    dataset: str = "demo"                 # "demo" or "clothing"
    seeds: tuple[int, ...] = (0, 1, 2)
    catalogue: int | None = None          # None: 300 demo items / 2,000 clothing photos
    backlog: int | None = None            # None: 200 / 500
    models: tuple[str, ...] = ("default", "firstrun")
    baseline: bool = True
    baseline_epochs: int | None = None    # None: 25 (demo) / 20 (clothing)
    phrases: int = 40                     # label combinations, each typed in zh and en
    rephotos: int = 200
    strangers: int = 100                  # photos left out of the library, asked as queries
    edits: int = 100
    data_dir: Path | None = None          # the folder holding clothing-cc0
    train_overrides: dict = field(default_factory=dict)  # tests only: e.g. {"epochs": 1}

    def value(self, name: str):
        own = getattr(self, name)
        return DEFAULTS[self.dataset][name] if own is None else own


def run_backlog_benchmark(options: BacklogOptions, json_out=None, progress=print) -> dict:
    """Run every seed, print the table and (optionally) write the JSON; returns the result."""
    say = progress or (lambda m: None)
    commit, dirty = _commit()
    per_seed = [_run_seed(options, seed, say) for seed in options.seeds]
    first = per_seed[0]
    result = {"dataset": options.dataset, "commit": commit, "dirty": dirty, "seeds": list(options.seeds),
              "models": list(options.models), "baseline": options.baseline,
              "n_catalogue": first["n_catalogue"], "n_backlog": first["n_backlog"],
              "groups": list(first["models"][options.models[0]]["typed"]) if options.models else [],
              "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(options).items()},
              "summary": medians([{k: v for k, v in s.items() if k != "queries"} for s in per_seed]),
              "per_seed": per_seed}
    say(format_table(result))
    if json_out:
        Path(json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(json_out).write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    return result


def _commit() -> tuple[str, bool]:
    """The code measured: git commit, and whether app/ had uncommitted changes."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "log", "-1", "--format=%h"], cwd=root, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "app"], cwd=root, capture_output=True,
                               text=True, timeout=10).stdout.strip()
        return head or "unknown", bool(dirty)
    except (OSError, subprocess.SubprocessError):
        return "unknown", False


def _run_seed(options: BacklogOptions, seed: int, say) -> dict:
    from app.store import open_library

    with tempfile.TemporaryDirectory(prefix="wenyang-backlog-") as tmp:
        started = time.perf_counter()
        bset = _build(options, Path(tmp) / "library", seed)
        out = {"seed": seed, "setup_s": round(time.perf_counter() - started, 1), "notes": bset.notes,
               "n_catalogue": len(bset.catalogue_ids), "n_backlog": len(bset.backlog_ids), "models": {}}
        say(f"seed {seed}: library with {out['n_catalogue']} catalogue items and {out['n_backlog']} backlog "
            f"photos in {out['setup_s']:.0f} s")
        with open_library(bset.root) as lib:
            ctx = _Context(lib, bset, options, seed)
            out["queries"] = [{"text": q.text, "labels": list(q.labels), "kind": q.kind, "lang": q.lang}
                              for q in ctx.queries]
            out["skipped_queries"] = ctx.skipped
            for name in options.models:
                out["models"][name] = _measure_model(ctx, name, say)
            if options.baseline:
                out["baseline"] = _baseline(ctx, say)
        return out


def _build(options: BacklogOptions, root: Path, seed: int):
    if options.dataset == "demo":
        return build_demo_set(root, seed, options.value("catalogue"), options.value("backlog"), options.strangers)
    data = Path(options.data_dir or "../shared/data")
    data = data / "clothing-cc0" if (data / "clothing-cc0").is_dir() else data
    return build_clothing_set(root, data, seed, options.value("catalogue"), options.value("backlog"),
                              options.strangers)


class _Context:
    """What every model of one seed is measured against: truth, queries, relevance."""

    def __init__(self, lib: Library, bset, options: BacklogOptions, seed: int):
        self.lib, self.bset, self.options, self.seed = lib, bset, options, seed
        scheme = lib.scheme
        self.label_ids = [l.id for l in scheme.ordered()]
        self.column = {l: j for j, l in enumerate(self.label_ids)}
        self.truth = truth_matrix(scheme, self.label_ids, bset.backlog_labels)
        queries = self._queries(scheme)
        cols = [[self.column[l] for l in q.labels] for q in queries]
        # A label no backlog photo has cannot be found: such queries are skipped and counted.
        keep = [bool(self.truth[:, c].any(axis=0).all()) for c in cols]
        self.skipped = [q.text for q, k in zip(queries, keep) if not k]
        self.queries = [q for q, k in zip(queries, keep) if k]
        self.cols = [c for c, k in zip(cols, keep) if k]
        self.relevance = relevance_matrix(self.truth, self.cols)
        self.chance = chance_rate(self.relevance)
        self.best = best_possible(self.relevance)  # what a perfect ranking would score
        self.groups = query_groups(self.queries)
        all_ids = bset.catalogue_ids + bset.backlog_ids
        self.truth_all = truth_matrix(scheme, self.label_ids, [library_truth(lib, bset)[i] for i in all_ids])
        self.row_all = {item_id: r for r, item_id in enumerate(all_ids)}

    def _queries(self, scheme) -> list[TypedQuery]:
        if self.bset.dataset == "clothing":  # its class names, as typed (English only)
            present = {l for labels in self.bset.backlog_labels for l in labels}
            return [TypedQuery(scheme.labels[l].name_en, (l,), "label", "en", "category") for l in sorted(present)]
        combos = draw_phrases(scheme, self.bset.backlog_labels, self.options.phrases, self.seed)
        return label_queries(scheme, FACETS) + phrase_queries(scheme, combos)


# the models a run can train, by name: their TrainOptions fields (given the first run's)
MODEL_OPTIONS = {
    "default": lambda first_run: {},
    "firstrun": lambda first_run: dict(first_run),
    "onecnn": lambda first_run: {"twin": False},  # one CNN where the default trains two (a CPU)
    "twocnns": lambda first_run: {"twin": True},  # two CNNs where the default trains one (a large collection)
}


def _train(ctx: _Context, name: str, say):
    from app.services.demo import DEMO_TRAINING
    from app.services.training import TrainOptions, train_library

    fields = MODEL_OPTIONS[name](DEMO_TRAINING) | ctx.options.train_overrides
    started = time.perf_counter()
    outcome = train_library(ctx.lib, TrainOptions(**fields), progress=_epoch_printer(say, name))
    return outcome, round(time.perf_counter() - started, 1), fields


def _epoch_printer(say, name: str):
    def show(event: Progress) -> None:
        if event.data.get("kind") == "epoch":
            say(f"  {name} epoch {event.data['epoch']}: validation {event.data.get('val_map')}")
    return show


def _measure_model(ctx: _Context, name: str, say) -> dict:
    """Train one model as a curator would, make it active, and measure it."""
    from app.services.search import SearchService

    outcome, train_s, fields = _train(ctx, name, say)
    out = {"options": fields, "train_s": train_s, "epochs_run": outcome.epochs_run, "best_epoch": outcome.best_epoch,
           "model_id": outcome.model_id}
    if outcome.model_id is None:
        return out | {"error": "training produced no model"}
    out |= _ensure_active_and_encoded(ctx, outcome.model_id)
    started = time.perf_counter()
    service = SearchService(ctx.lib)
    out |= _typed(ctx, service)
    out |= _photos(ctx, service)
    out["measure_s"] = round(time.perf_counter() - started, 1)
    say(f"  {name}: trained in {train_s:.0f} s, measured in {out['measure_s']:.0f} s")
    return out


def _ensure_active_and_encoded(ctx: _Context, model_id: str) -> dict:
    """Measure the model just trained even if the product kept another one active, and check
    that encoding after training gave every backlog photo its codes."""
    from app.services.encoding import encode_library

    lib, active = ctx.lib, ctx.lib.models.active()
    was_active = active is not None and active.id == model_id
    if not was_active:
        lib.models.activate(model_id)
    ids, _, _ = lib.codes.load(model_id, "image", scores=False)
    missing = sorted(set(ctx.bset.backlog_ids) - {int(i) for i in ids})
    if missing:
        encode_library(lib, model_id)
    return {"activated_by_training": was_active, "backlog_without_codes_after_training": len(missing)}


def _typed(ctx: _Context, service) -> dict:
    row_of = {item_id: r for r, item_id in enumerate(ctx.bset.backlog_ids)}
    rankings, failures = measure.typed_rankings(service, [q.text for q in ctx.queries], row_of)
    p = precision_at_k(ctx.relevance, rankings)
    return {"typed": group_scores(ctx.groups, p, ctx.chance, ctx.best), "typed_failures": len(failures),
            "failures": failures[:20],
            "per_query": [{"text": q.text, "p10": round(float(v), 3), "chance": round(float(c), 3)}
                          for q, v, c in zip(ctx.queries, p, ctx.chance)]}


def _photos(ctx: _Context, service) -> dict:
    scheme, truth = ctx.lib.scheme, ctx.truth
    cat_cols = np.array([scheme.labels[l].facet == "category" for l in ctx.label_ids])
    leaf_cols = np.array([scheme.labels[l].facet == "motif" and not scheme.descendants(l) for l in ctx.label_ids])
    same_cat, same_motif = measure.same_category_and_motif(truth, cat_cols, leaf_cols)
    rankings = measure.photo_rankings(service, ctx.bset)
    out = {"photo": {"same_category": measure.photo_scores(rankings, same_cat)},
           "rephoto": measure.rephotographed_ranks(service, ctx.bset.photos, ctx.options.rephotos, ctx.seed)
           | {"stranger": measure.stranger_claims(service, ctx.bset.strangers)["claimed_same_photo"]}}
    if not leaf_cols.any() or ctx.bset.dataset != "demo":
        return out
    out["photo"]["same_motif"] = measure.photo_scores(rankings, same_motif)
    has_motif = (truth & leaf_cols).any(axis=1)
    region = measure.photo_rankings(service, ctx.bset, region=True)
    out["region"] = _region_scores(region, same_motif, has_motif)
    out["edits"] = _edits(ctx, service)
    out["tags"] = _tags(ctx, service)
    return out


def _region_scores(rankings, same_motif, has_motif) -> dict:
    """Motif P@10 of the dragged regions, over the photos that have a motif."""
    others = same_motif & ~np.eye(len(same_motif), dtype=bool)
    p = precision_at_k(others.T.astype(np.float32), rankings)
    chance = others.sum(axis=1) / max(1, len(others) - 1)
    return {"p10": float(p[has_motif].mean()), "chance": float(chance[has_motif].mean()), "n": int(has_motif.sum())}


def _edits(ctx: _Context, service) -> dict:
    edits = measure.draw_edits(ctx.lib.scheme, ctx.label_ids, ctx.bset, ctx.seed, ctx.options.edits)
    backlog_rows = np.array([ctx.row_all[i] for i in ctx.bset.backlog_ids])
    every_row = np.arange(len(ctx.row_all))
    return {"library": measure.edit_scores(service, edits, ctx.truth_all, ctx.row_all, every_row, None),
            "backlog": measure.edit_scores(service, edits, ctx.truth_all, ctx.row_all, backlog_rows, measure.IN_BACKLOG)}


def _tags(ctx: _Context, service) -> dict:
    photos = [ctx.bset.photos[i] for i in ctx.bset.backlog_ids]
    probs = tags.model_probabilities(service.runtime(), photos, ctx.label_ids)
    shown = tags.stored_suggestions(ctx.lib, ctx.bset.backlog_ids, ctx.label_ids)
    names = [ctx.lib.scheme.labels[l].name_en for l in ctx.label_ids]
    return tags.suggestion_scores(probs, shown, ctx.truth, names)


def _baseline(ctx: _Context, say) -> dict:
    """The plain classifier trained on the catalogue's photos, ranking the backlog."""
    cat_ids = ctx.bset.catalogue_ids
    cat_truth = ctx.truth_all[[ctx.row_all[i] for i in cat_ids]]
    probs, info = tags.baseline_probabilities([ctx.bset.photos[i] for i in cat_ids], cat_truth,
                                              [ctx.bset.photos[i] for i in ctx.bset.backlog_ids],
                                              ctx.options.value("baseline_epochs"), ctx.seed, say=say)
    p = precision_at_k(ctx.relevance, tags.rank_by_probabilities(probs, ctx.cols))
    say(f"  baseline: {info['wall_s']:.0f} s")
    return info | {"typed": group_scores(ctx.groups, p, ctx.chance, ctx.best)}
