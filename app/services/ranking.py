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

if TYPE_CHECKING:
    from app.store import Library

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

    def score(self, n_asked: int, bits: int) -> float:
        total = ACCESSION_FIRST if self.accession else 0.0
        if n_asked:
            total += W_LABELS * sum(p for _, p in self.labels.values()) / n_asked
        if self.keyword is not None:
            total += W_KEYWORDS * self.keyword[2]
        if self.distance is not None and bits:
            total += W_CODES * (1.0 - self.distance / bits)
        return total


def expand(scheme, label_ids) -> dict[str, set[str]]:
    """Each asked label with the labels that count as having it (itself and descendants)."""
    return {lid: {lid, *scheme.descendants(lid)} for lid in label_ids if lid in scheme.labels}


def label_evidence(lib: Library, model_id: str | None, asked: dict[str, set[str]], allowed: set[int] | None,
                   with_predictions: bool) -> dict[int, Candidate]:
    """Candidates that carry (tagged) or probably show (predicted) any asked label."""
    out: dict[int, Candidate] = {}
    owner = {member: lid for lid, members in asked.items() for member in members}
    if not owner:
        return out
    for item_id, label_id in lib.labels.pairs(label_ids=owner):
        if allowed is None or item_id in allowed:
            _note(out, item_id, owner[label_id], "tagged", 1.0)
    if with_predictions and model_id is not None:
        for item_id, label_id, p in lib.suggestions.confidences(model_id, label_ids=owner):
            if allowed is None or item_id in allowed:
                _note(out, item_id, owner[label_id], "predicted", float(p))
    return out


def _note(out: dict[int, Candidate], item_id: int, asked: str, kind: str, p: float) -> None:
    cand = out.setdefault(item_id, Candidate(item_id))
    known = cand.labels.get(asked)
    if known is None or known[0] != "tagged" and (kind == "tagged" or p > known[1]):
        cand.labels[asked] = (kind, p)


def add_keywords(cands: dict[int, Candidate], hits, text: str) -> None:
    """Fold full-text hits in, their bm25 scores scaled to 0..1 by the best one; an item
    whose accession number is the whole query is marked to come first."""
    typed = text.strip().casefold()
    top = max((h.score for h in hits), default=0.0)
    for hit in hits:
        cand = cands.setdefault(hit.item_id, Candidate(hit.item_id))
        cand.accession = cand.accession or (hit.field == "accession" and hit.term.casefold() == typed)
        norm = hit.score / top if top > 0 else 0.0
        cand.keyword = (hit.field, hit.term, max(0.0, min(1.0, norm)))


def add_distances(cands: dict[int, Candidate], distances: dict[int, int]) -> None:
    """Hamming distances of the index's nearest items (item id → distance); those not yet
    candidates become candidates on their code alone."""
    for item_id, d in distances.items():
        cands.setdefault(item_id, Candidate(item_id)).distance = d


def ranked(cands: dict[int, Candidate], n_asked: int, bits: int, k: int) -> list[Candidate]:
    """The best ``k`` candidates (ties by item id, so results are stable)."""
    order = sorted(cands.values(), key=lambda c: (-c.score(n_asked, bits), c.item_id))
    return order[:k]
