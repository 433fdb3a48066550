"""How good is my model? Metrics of a library's model on its own held-out items.

First the curator's measure (METHOD.md's backlog protocol, ``evaluation_typed``): every label
name typed as a query over the held-out photos, precision@10 per facet beside chance. Then
the published protocol's numbers, for comparison with papers only: queries are the held-out
items, the database every other item, relevance "shares at least one label" (graded by the
number shared, for NDCG) — on a faceted scheme nearly every pair shares a label, so these
read high even for a model that separates nothing. Writes a table and PNG plots.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.core.errors import WenyangError
from app.evaluate import mean_average_precision, ndcg_at_k, pr_curve_by_radius, precision_at_k, recall_at_k
from app.runtime import unpack_codes
from app.services.dataset import library_arrays

if TYPE_CHECKING:
    from app.store import Library

DIRECTIONS = {"i2t": ("image", "text"), "t2i": ("text", "image"),
              "i2i": ("image", "image"), "t2t": ("text", "text")}


@dataclass
class EvalRow:
    model_id: str
    bits: int
    direction: str
    map_all: float
    map_at_k: float
    precision_at_k: float
    recall_at_k: float
    ndcg_at_k: float
    n_queries: int
    n_skipped: int


@dataclass
class EvalReport:
    rows: list[EvalRow]
    k: int
    definitions: list[str]
    plots: list[str] = field(default_factory=list)
    typed: dict = field(default_factory=dict)  # the backlog protocol on held-out photos

    def table(self) -> str:
        from app.services.evaluation_typed import typed_table

        published = ["", "Published protocol (relevant = shares at least one label; for comparison with papers "
                         "only, it cannot see whether motifs or garments are told apart):"]
        head = f"{'model':32} {'bits':>4} {'dir':>4} {'MAP@all':>8} {'MAP@' + str(self.k):>8} " \
               f"{'P@' + str(self.k):>7} {'R@' + str(self.k):>7} {'NDCG@' + str(self.k):>8} {'queries':>8}"
        lines = [head] + [f"{r.model_id:32} {r.bits:>4} {r.direction:>4} {r.map_all:8.4f} {r.map_at_k:8.4f} "
                          f"{r.precision_at_k:7.4f} {r.recall_at_k:7.4f} {r.ndcg_at_k:8.4f} "
                          f"{r.n_queries:>5}+{r.n_skipped}" for r in self.rows]
        return "\n".join([typed_table(self.typed)] + published + lines + ["", "Definitions:"]
                         + [f"  {d}" for d in self.definitions])


def _codes(lib: Library, model_id: str, modality: str, ids: np.ndarray, bits: int):
    stored_ids, packed, _ = lib.codes.load(model_id, modality, scores=False)
    where = {int(i): j for j, i in enumerate(stored_ids)}
    rows = [where.get(int(i), -1) for i in ids]
    keep = np.array([r >= 0 for r in rows], bool)
    codes = unpack_codes(packed[[r for r in rows if r >= 0]], bits) if keep.any() else np.zeros((0, bits), np.int8)
    return codes, keep


def evaluate_model(lib: Library, model, k: int = 50, curves: dict | None = None) -> tuple[list[EvalRow], list[str]]:
    """Metrics of one model in every direction it supports."""
    holdout = set(model.card.get("holdout_items", []))
    if not holdout:
        raise WenyangError(f"Model {model.id} kept no items out of training, so it cannot be evaluated "
                           "honestly. Train again on at least 50 labelled items.")
    arrays = library_arrays(lib)
    is_query = np.array([int(i) in holdout for i in arrays.ids])
    rows, definitions = [], []
    for direction, (q_mod, d_mod) in DIRECTIONS.items():
        qc, qkeep = _codes(lib, model.id, q_mod, arrays.ids[is_query], model.bits)
        dc, dkeep = _codes(lib, model.id, d_mod, arrays.ids[~is_query], model.bits)
        if len(qc) == 0 or len(dc) == 0:
            continue
        ql, dl = arrays.labels[is_query][qkeep], arrays.labels[~is_query][dkeep]
        args = (qc, dc, ql, dl)
        m_all, m_k = mean_average_precision(*args), mean_average_precision(*args, k=k)
        p, r, n = precision_at_k(*args, k=k), recall_at_k(*args, k=k), ndcg_at_k(*args, k=k)
        rows.append(EvalRow(model.id, model.bits, direction, m_all.map, m_k.map, p.value, r.value,
                            n.value, m_all.n_queries, m_all.n_skipped))
        definitions = [m_all.definition, m_k.definition, p.definition, r.definition, n.definition]
        if curves is not None:
            curves[f"{direction} {model.bits} bits"] = pr_curve_by_radius(*args)
    return rows, definitions


def evaluate_library(lib: Library, model_id: str | None = None, out_dir: str | Path | None = None,
                     k: int = 50, all_models: bool = True) -> EvalReport:
    """Evaluate the active (or named) model — and, for the by-bits plot, every model."""
    chosen = lib.models.get(model_id) if model_id else lib.models.active()
    if chosen is None:
        raise WenyangError("There is no trained model to evaluate.")
    models = [chosen] + ([m for m in lib.models.all() if m.id != chosen.id] if all_models else [])
    rows: list = []
    definitions: list = []
    curves: dict = {}
    for model in models:
        try:
            got, defs = evaluate_model(lib, model, k, curves if model.id == chosen.id else None)
        except WenyangError:
            if model.id == chosen.id:
                raise
            continue
        rows += got
        definitions = definitions or defs
    from app.services.evaluation_typed import typed_label_precision

    report = EvalReport(rows, k, definitions, typed=typed_label_precision(lib, chosen))
    if out_dir is not None:
        _write(report, curves, Path(out_dir))
    return report


def _write(report: EvalReport, curves: dict, out: Path) -> None:
    from app.evaluate.plots import plot_map_by_bits, plot_pr_curves

    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.txt").write_text(report.table() + "\n", encoding="utf-8")
    (out / "metrics.json").write_text(json.dumps({"k": report.k, "definitions": report.definitions,
                                                  "typed_label_names": report.typed,
                                                  "rows_protocol": "published: relevant = shares at least one label",
                                                  "rows": [asdict(r) for r in report.rows]},
                                                 indent=1, ensure_ascii=False), encoding="utf-8")
    if curves:
        report.plots.append(str(plot_pr_curves(curves, out / "pr_curves.png")))
    by_bits: dict[str, dict[int, float]] = {}
    for row in report.rows:
        by_bits.setdefault(row.direction, {})[row.bits] = max(row.map_all, by_bits.get(row.direction, {}).get(row.bits, 0))
    if by_bits:
        report.plots.append(str(plot_map_by_bits(by_bits, out / "map_by_bits.png")))
