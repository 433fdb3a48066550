"""README.txt of a research data set: what every array in dataset.npz is, and how to use it."""
from __future__ import annotations

import numpy as np

import app
from app.core.models import now_iso

DESCRIPTIONS = {
    "accessions": "accession number of each item (row i of every per-item array is item i)",
    "item_ids": "the item's id in the exporting Wenyang library (provenance only)",
    "images": "path of the item's first photo, relative to this folder ('' if it has none)",
    "texts": "title and description joined by a newline (the text modality)",
    "labels": "multi-hot label matrix, 1 = the item carries the label; tagging a child label "
              "implies its ancestors, so ancestor columns are set too",
    "label_ids": "stable label id of each column of `labels` (scheme order: facet by facet, "
                 "depth first)",
    "label_paths_en": "English keyword path of each label column (Facet>Parent>Child)",
    "label_paths_zh": "Chinese keyword path of each label column",
    "bow": "bag-of-words term counts of `texts` over `vocabulary` (float32)",
    "vocabulary": "the term of each `bow` column (see vocabulary.json for df and idf)",
    "query_idx": "row indices of the query set (sorted)",
    "database_idx": "row indices of the retrieval database: every row not in query_idx",
    "train_idx": "row indices of the training set, drawn from database_idx",
    "split_seed": "seed of numpy.random.default_rng that drew the split",
    "scheme_fingerprint": "fingerprint of the label scheme's structure (ids, facets, parents)",
    "distances": "Hamming distance of each item to the search query it was exported from",
}


def array_lines(arrays: dict[str, np.ndarray]) -> list[str]:
    """One line per array: name, shape, dtype and meaning."""
    lines = []
    for name, value in arrays.items():
        shape = "×".join(str(d) for d in value.shape) or "scalar"
        lines.append(f"  {name:<19} {shape:<12} {value.dtype.str:<6} {DESCRIPTIONS.get(name, '')}")
    return lines


def readme_text(arrays: dict[str, np.ndarray], vocab, selection, sizes, max_side) -> str:
    """The complete README of the data set."""
    n, c = arrays["labels"].shape
    split = (f"{len(arrays['query_idx'])} query, {len(arrays['database_idx'])} database, "
             f"{len(arrays['train_idx'])} train (seed {sizes.seed})")
    return "\n".join([
        "Wenyang research data set (纹样 研究数据集)",
        "",
        f"Exported by wenyang {app.__version__} on {now_iso()} from {selection.description}.",
        f"{n} items, {c} labels, {len(vocab)} vocabulary terms; split: {split}.",
        "Images: " + (f"resized so the longer side is at most {max_side} px (JPEG)."
                      if max_side else "the original files."),
        "",
        "Files",
        "  dataset.npz      the arrays below (numpy.load(path); no pickle needed)",
        "  vocabulary.json  the vocabulary: terms, document frequencies, idf, tokenizer version",
        "  scheme.json      the label scheme (bilingual names, hierarchy, stable ids)",
        "  images/          one photo per item, named in the `images` array",
        "",
        "Arrays in dataset.npz (name, shape, dtype, meaning)",
        *array_lines(arrays),
        "",
        "The split follows the MIRFLICKR-25K protocol of the cross-modal hashing papers:",
        "queries are held out, the database is everything else, and the training set is a",
        "subset of the database. Retrieval ground truth: two items are relevant to each other",
        "when they share at least one label (labels[q] @ labels[d].T > 0).",
        f"The vocabulary was chosen from the training texts only ({vocab.selection} ranking",
        "against the training labels), so the query items do not shape the features.",
        "Tokenizer: " + (vocab.tokenizer or "unknown") + ".",
        "",
        "Python:",
        "  import numpy as np",
        "  d = np.load('dataset.npz')",
        "  X_txt, Y = d['bow'], d['labels']",
        "  q, db, tr = d['query_idx'], d['database_idx'], d['train_idx']",
        "  relevant = (Y[q] @ Y[db].T) > 0",
        "",
    ])
