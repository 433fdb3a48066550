"""One ranking per tab for a typed (or label) query: the evidence fused, each hit with its reasons.

Evidence, strongest first:
- an exact accession number (always first);
- labels: the query's labels (typed text read against the scheme, or chosen) that an item is
  *tagged* with count 1; for an item nobody tagged, the model's calibrated probability that
  its photo shows the label (the stored tag suggestions: seed 004's classify-then-search);
- keywords: the full-text index (title, description, metadata, label names, accession);
- the learned Hamming distance between the query's code and the item's code, a small term
  that orders what the rest leaves tied and carries free text the scheme cannot read.

The label score of an item is the mean, over the asked labels, of its evidence for each
(a label admits its descendants: asking for "Animal" finds items tagged "Dragon").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.search import _compiled, parallel
from app.services.similar import best_first

if TYPE_CHECKING:
    from app.services.evidence import EvidenceMatrix

W_LABELS = 2.0
W_KEYWORDS = 1.0
W_CODES = 0.25
ACCESSION_FIRST = 100.0
PREDICTED_FLOOR = 0.5  # a predicted label is named among a hit's reasons from this probability


@dataclass
class Candidate:
    """What is known about one item for one query."""

    item_id: int
    labels: dict[str, tuple[str, float]] = field(default_factory=dict)  # asked label → ("tagged"|"predicted", p)
    keyword: tuple[str, str, float] | None = None  # (field, term, normalised score)
    accession: bool = False
    distance: int | None = None


def expand(scheme, label_ids) -> dict[str, set[str]]:
    """Each asked label with the labels that count as having it (itself and descendants)."""
    return {lid: {lid, *scheme.descendants(lid)} for lid in label_ids if lid in scheme.labels}


@dataclass
class Evidence:
    """The asked labels' evidence of every candidate that has some (rows: ``ids``)."""

    asked: list[str]
    ids: np.ndarray       # int64 (n,), sorted
    p: np.ndarray         # float (n, asked): 1 tagged, else the best predicted probability, else 0
    tagged: np.ndarray    # bool (n, asked)
    present: np.ndarray   # bool (n, asked): tagged, or predicted at all

    def label_score(self) -> np.ndarray:
        """Per row, the mean of its evidence over the asked labels, weighted."""
        return W_LABELS * self.p.sum(axis=1) / max(len(self.asked), 1)


def label_evidence(matrix: EvidenceMatrix, asked: dict[str, set[str]], members: np.ndarray | None,
                   with_predictions: bool) -> Evidence:
    """Items among ``members`` (bool over the matrix's rows, ``EvidenceMatrix.member_rows``;
    None: all) that carry (tagged) or probably show (predicted) any asked label, with their
    evidence for each."""
    names = list(asked)
    n = len(matrix)
    if _compiled.AVAILABLE and n:
        return _compiled_evidence(matrix, asked, members, with_predictions)
    p = np.zeros((n, len(names)), np.float64)
    tagged = np.zeros((n, len(names)), bool)
    present = np.zeros((n, len(names)), bool)
    for a, label in enumerate(names):
        cols = matrix.columns(sorted(asked[label]))
        cols = cols[cols >= 0]
        if len(cols) == 0 or n == 0:
            continue
        tagged[:, a] = matrix.tagged[:, cols].any(axis=1)
        best = matrix.values[:, cols].max(axis=1).astype(np.float64) if with_predictions else np.zeros(n)
        p[:, a] = np.where(tagged[:, a], 1.0, best)
        present[:, a] = tagged[:, a] | (best > 0)
    keep = present.any(axis=1)
    if members is not None:
        keep &= members
    return Evidence(names, matrix.ids[keep], p[keep], tagged[keep], present[keep])


def _compiled_evidence(matrix: EvidenceMatrix, asked: dict[str, set[str]], members: np.ndarray | None,
                       with_predictions: bool) -> Evidence:
    """``label_evidence`` in one compiled pass over the matrix, its rows split over the cores
    (the NumPy passes took 61-69 ms per tab for 龙袍, two asked labels, on the 1,000,500-item bench
    library; this 15-17 ms, most rows dropped, and 56-58 against 13-14 ms in a quieter rerun:
    2026-12-01, this 2-core machine)."""
    names = list(asked)
    per_label = []
    for label in names:
        cols = matrix.columns(sorted(asked[label]))
        per_label.append(cols[cols >= 0])
    cols = np.concatenate(per_label + [np.zeros(0, np.int64)]).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum([len(c) for c in per_label])]).astype(np.int64)
    n, width = len(matrix), len(names)
    out_ids, p = np.empty(n, np.int64), np.empty((n, width), np.float64)
    tagged, present = np.empty((n, width), bool), np.empty((n, width), bool)
    values, held, ids = np.asarray(matrix.values), np.asarray(matrix.tagged), np.asarray(matrix.ids)
    use_members = members is not None
    rows = members if members is not None else np.ones(1, bool)  # not read without members
    kept: dict[int, int] = {}  # block start -> rows kept at its front

    def block(a: int, b: int) -> None:
        kept[a] = _compiled.label_evidence(
            values[a:b], held[a:b], ids[a:b], rows[a:b] if use_members else rows, use_members, cols, starts,
            with_predictions, out_ids[a:b], p[a:b], tagged[a:b], present[a:b])

    parallel.run_blocks(block, n)
    parts = [slice(a, a + kept[a]) for a in sorted(kept)]
    return Evidence(names, *(np.concatenate([array[part] for part in parts])
                             for array in (out_ids, p, tagged, present)))


def with_ids(ids: np.ndarray, more) -> np.ndarray:
    """Sorted ``ids`` with the few ``more`` ids they lack put in their places."""
    more = np.array(sorted(set(more)), np.int64)
    if len(ids) == 0:
        return more
    at = np.minimum(np.searchsorted(ids, more), len(ids) - 1)
    new = more[ids[at] != more]
    return np.insert(ids, np.searchsorted(ids, new), new) if len(new) else ids


def fused(evidence: Evidence, keyword_hits, text: str, distances: dict[int, int], bits: int,
          k: int) -> list[Candidate]:
    """The best ``k`` candidates by labels, keywords and codes (ties by item id, so results are
    stable). Keyword hits' scores (bm25, or field weights for a common word) are scaled to
    0..1 by the best one; an item whose accession number is the whole query comes first;
    items that only the Hamming index found are candidates on their code alone."""
    typed = text.strip().casefold()
    top = max((h.score for h in keyword_hits), default=0.0)
    keyword: dict[int, tuple[str, str, float]] = {}
    accession: set[int] = set()
    for hit in keyword_hits:
        norm = hit.score / top if top > 0 else 0.0
        keyword[hit.item_id] = (hit.field, hit.term, max(0.0, min(1.0, norm)))
        if hit.field == "accession" and hit.term.casefold() == typed:
            accession.add(hit.item_id)
    extra = np.array(sorted(set(keyword) | set(distances)), np.int64)
    ids = with_ids(evidence.ids, extra.tolist())
    at = np.searchsorted(evidence.ids, ids)
    found = (at < len(evidence.ids)) & (evidence.ids[np.minimum(at, max(len(evidence.ids) - 1, 0))] == ids) \
        if len(evidence.ids) else np.zeros(len(ids), bool)
    score = np.zeros(len(ids), np.float64)
    if len(evidence.asked):
        score[found] = evidence.label_score()[at[found]]
    for item_id, j in zip(extra.tolist(), np.searchsorted(ids, extra).tolist()):
        if item_id in accession:
            score[j] += ACCESSION_FIRST
        if item_id in keyword:
            score[j] += W_KEYWORDS * keyword[item_id][2]
        d = distances.get(item_id)
        if d is not None and bits:
            score[j] += W_CODES * (1.0 - d / bits)
    best = best_first(score, ids, k)
    out = []
    for j in best.tolist():
        item_id = int(ids[j])
        cand = Candidate(item_id, keyword=keyword.get(item_id), accession=item_id in accession,
                         distance=distances.get(item_id))
        if found[j]:
            r = at[j]
            for a, label in enumerate(evidence.asked):
                if evidence.present[r, a]:
                    cand.labels[label] = ("tagged" if evidence.tagged[r, a] else "predicted", float(evidence.p[r, a]))
        out.append(cand)
    return out
