"""The backlog protocol on a library's own held-out items: "if I type a label's name, are the
photos I get the ones that show it?" — precision@10 per facet beside chance.

The held-out items are catalogued, so their tags and text would answer a typed query by
themselves; here their photos are treated as an uncatalogued backlog and ranked the way search
ranks a photo nobody has tagged: the typed text is read against the label scheme, and photos
are ordered by the model's calibrated probability that they show those labels (the stored tag
suggestions), the Hamming distance of the text's code breaking ties.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.search import HammingIndex
from app.services.backlog_queries import FACETS, label_queries
from app.services.backlog_report import FACET_NAMES, group_scores, query_groups
from app.services.backlog_scoring import chance_rate, precision_at_k, rankings_array, relevance_matrix, truth_matrix
from app.services.models_runtime import active_runtime, pack

if TYPE_CHECKING:
    from app.store import Library

K = 10


def typed_label_precision(lib: Library, model, k: int = K) -> dict:
    """Per facet and language: P@k of every label name typed as a query over the held-out
    photos, the chance rate, and how many queries the model could not read."""
    holdout = sorted(int(i) for i in model.card.get("holdout_items", []))
    ids, packed, scores = lib.codes.load(model.id, "image", scores=True)
    keep = np.isin(ids, holdout)
    if keep.sum() < k:
        return {}
    index = HammingIndex.from_codes(packed[keep], ids=ids[keep], scores=None if scores is None else scores[keep])
    rows = {int(i): r for r, i in enumerate(ids[keep])}
    scheme = lib.scheme
    label_ids = [l.id for l in scheme.ordered()]
    truth = truth_matrix(scheme, label_ids, [lib.labels.labels_of(i) for i in rows])
    queries = [q for q in label_queries(scheme, FACETS) if truth[:, label_ids.index(q.labels[0])].any()]
    relevance = relevance_matrix(truth, [[label_ids.index(q.labels[0])] for q in queries])
    ranked, failed = _rank(lib, model, active_runtime(lib, model), index, [q.text for q in queries], rows, k)
    p = precision_at_k(relevance, ranked, k)
    by_lang = {}
    for facet in FACETS:
        for lang in ("zh", "en"):
            mask = np.array([q.facet == facet and q.lang == lang for q in queries], bool)
            if mask.any():
                by_lang[f"{facet}:{lang}"] = float(p[mask].mean())
    groups = query_groups(queries)
    summary = group_scores(groups, p, chance_rate(relevance))
    # the best any order could do: few held-out photos may show a label fewer than k times
    best = np.sort(relevance, axis=0)[::-1][:k].sum(axis=0) / k
    for name, mask in groups.items():
        summary[name]["best"] = float(best[mask].mean())
    return {"n_photos": len(rows), "failed": failed, "k": k, "by_lang": by_lang, "groups": summary}


def _rank(lib: Library, model, runtime, index: HammingIndex, texts: list[str], rows: dict[int, int], k: int):
    """Top-k held-out rows per typed text; a text naming no label and unknown to the model
    ranks nothing (and is counted)."""
    from app.search.understanding import understand

    ranked: list = []
    failed = 0
    for text in texts:
        asked = understand(text, lib.scheme).labels
        order = _by_predicted_labels(lib, model, asked, rows) if asked else []
        vector = runtime.text_vectors([text])
        if not order and not vector.any():
            ranked.append([])
            failed += 1
            continue
        if len(order) < k and vector.any():
            codes, scores, _ = runtime.text_outputs(vector)
            _, hit_ids = index.search(pack(codes), k, query_scores=scores)
            order += [int(i) for i in hit_ids[0] if i >= 0 and int(i) not in order]
        ranked.append([rows[i] for i in order[:k]])
    return rankings_array(ranked, k), failed


def _by_predicted_labels(lib: Library, model, asked: list[str], rows: dict[int, int]) -> list[int]:
    """Held-out items by the mean stored probability of the asked labels (or a descendant)."""
    scheme = lib.scheme
    scores = {i: 0.0 for i in rows}
    for label in asked:
        members = [label, *scheme.descendants(label)]
        best: dict[int, float] = {}
        for item_id, _, p in lib.suggestions.confidences(model.id, label_ids=members, with_rejected=True):
            if item_id in scores:
                best[item_id] = max(best.get(item_id, 0.0), float(p))
        for item_id, p in best.items():
            scores[item_id] += p / len(asked)
    return [i for i, p in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])) if p > 0]


def typed_table(result: dict) -> str:
    """The typed-query rows of ``wenyang evaluate``'s report."""
    if not result:
        return "Typed label names: too few held-out photos with codes to measure."
    g = result["groups"]
    lines = [f"Typed label names → {result['n_photos']} held-out photos (backlog protocol; the model alone, "
             f"tags and text of these items ignored), graded P@{result['k']}:",
             f"  {'facet':20} {'zh':>6} {'en':>6} {'both':>6} {'chance':>7}"]
    for facet in FACETS:
        both = g.get(f"facet:{facet}")
        if both is None:
            continue
        zh, en = _lang(result, facet, "zh"), _lang(result, facet, "en")
        lines.append(f"  {FACET_NAMES[facet]:20} {zh:>6} {en:>6} {both['p10']:6.3f} {both['chance']:7.3f}")
    lines.append(f"  {result['failed']} of {g['all labels']['n']} names were not known to the model (counted as 0).")
    return "\n".join(lines)


def _lang(result: dict, facet: str, lang: str) -> str:
    got = result.get("by_lang", {}).get(f"{facet}:{lang}")
    return "—" if got is None else f"{got:.3f}"
