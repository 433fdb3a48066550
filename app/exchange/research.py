"""Export a research data set: label matrix, bag-of-words, image list and a seeded split,
so an experiment on the collection (e.g. cross-modal hashing MAP) can be rerun elsewhere.

The output folder holds ``dataset.npz`` (no pickled objects: ``np.load`` works without
``allow_pickle``), ``vocabulary.json``, ``scheme.json``, ``README.txt`` describing every
array, and ``images/`` with each item's first photo.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.core.jobs import ProgressFn
from app.core.models import item_text  # noqa: F401  (re-exported)
from app.exchange.common import ExportError, ExportResult, Job, Selection, atomic_dir
from app.exchange.photos import PhotoOut, write_all, write_photo
from app.exchange.research_readme import readme_text
from app.text import Vocabulary, default_tokenizer, tokenize_all

if TYPE_CHECKING:
    from app.store import Library

IMAGES = "images/"
DATASET = "dataset.npz"


@dataclass
class SplitSizes:
    """How many items go to the query set and to the training set (drawn from the database).
    ``None`` means "scaled to the collection" (see ``default_sizes``)."""
    query: int | None = None
    train: int | None = None
    seed: int = 0
    vocabulary: int = 1000


def default_sizes(n: int) -> tuple[int, int]:
    """10 % queries (at most 2,000) and half the collection for training (at most 10,000),
    the proportions of the MIRFLICKR-25K protocol the seed papers use."""
    query = min(2000, max(1, n // 10))
    train = min(10000, n - query, max(1, n // 2))
    return query, train


def split(n: int, sizes: SplitSizes) -> dict[str, np.ndarray]:
    """Seeded query / database / train indices (sorted; train is a subset of database)."""
    query, train = default_sizes(n) if n > 1 else (0, 0)
    query = sizes.query if sizes.query is not None else query
    train = sizes.train if sizes.train is not None else train
    if n < 2 or not 1 <= query < n:
        raise ExportError(f"A research split needs at least 2 items and 1 ≤ query < {n} "
                          f"(asked for {query} queries from {n} items).")
    if not 1 <= train <= n - query:
        raise ExportError(f"The training set is drawn from the {n - query} database items: "
                          f"ask for between 1 and {n - query} (asked for {train}).")
    rng = np.random.default_rng(sizes.seed)
    order = rng.permutation(n)
    database = np.sort(order[query:])
    return {"query_idx": np.sort(order[:query]), "database_idx": database,
            "train_idx": np.sort(rng.choice(database, size=train, replace=False))}


def export_research(lib: Library, selection: Selection, out: str | Path, sizes: SplitSizes | None = None,
                    max_side: int | None = None, progress: ProgressFn | None = None,
                    cancel: threading.Event | None = None, workers: int = 2) -> ExportResult:
    """Write the research data set into the new folder ``out`` (atomically)."""
    job, out, sizes = Job(progress, cancel), Path(out), sizes or SplitSizes()
    result = ExportResult(out, "research")
    indices = split(len(selection.item_ids), sizes)  # refuse bad sizes before any work
    scheme = lib.scheme
    with atomic_dir(out) as tmp:
        (tmp / IMAGES).mkdir()

        def writer(photo: PhotoOut):
            with open(tmp / IMAGES / photo.name, "wb") as handle:
                return write_photo(photo, handle)

        records = write_all(lib, selection, job, result, writer, max_side, IMAGES, workers,
                            first_only=True)
        job.step(result.items, result.items, "writing", "bag-of-words")
        arrays, vocab = dataset_arrays(records, selection, scheme, indices, sizes)
        np.savez_compressed(tmp / DATASET, **arrays)  # type: ignore[arg-type]  # numpy's stub types the first keyword
        vocab.save(tmp / "vocabulary.json")
        (tmp / "scheme.json").write_text(json.dumps(scheme.to_dict(), ensure_ascii=False, indent=1),
                                         encoding="utf-8")
        (tmp / "README.txt").write_text(readme_text(arrays, vocab, selection, sizes, max_side),
                                        encoding="utf-8")
    result.bytes = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    result.seconds = job.seconds()
    return result


def dataset_arrays(records: list[dict], selection: Selection, scheme, indices: dict,
                   sizes: SplitSizes) -> tuple[dict[str, np.ndarray], Vocabulary]:
    """Every array of dataset.npz, from the exported item records."""
    ordered = scheme.ordered()
    column = {label.id: j for j, label in enumerate(ordered)}
    labels = np.zeros((len(records), len(ordered)), np.uint8)
    for i, record in enumerate(records):
        for entry in record["labels"] + record["implied_labels"]:
            if entry["id"] in column:
                labels[i, column[entry["id"]]] = 1
    texts = [item_text(r["title"], r["description"]) for r in records]
    bow, vocab = bag_of_words(texts, labels, indices["train_idx"], sizes.vocabulary)
    arrays = {
        "accessions": np.array([r["accession"] for r in records], dtype=str),
        "item_ids": np.array(selection.item_ids, np.int64),
        "images": np.array([r["photos"][0]["file"] if r["photos"] else "" for r in records], dtype=str),
        "texts": np.array(texts, dtype=str),
        "labels": labels,
        "label_ids": np.array([l.id for l in ordered], dtype=str),
        "label_paths_en": np.array([scheme.keyword_path(l.id, "en") for l in ordered], dtype=str),
        "label_paths_zh": np.array([scheme.keyword_path(l.id, "zh") for l in ordered], dtype=str),
        "bow": bow,
        "vocabulary": np.array(vocab.terms, dtype=str),
        **indices,
        "split_seed": np.array(sizes.seed, np.int64),
        "scheme_fingerprint": np.array(scheme.fingerprint()),
    }
    if selection.distances is not None:
        arrays["distances"] = np.array(selection.distances, np.float64)
    return arrays, vocab


def bag_of_words(texts: list[str], labels: np.ndarray, train_idx: np.ndarray,
                 size: int) -> tuple[np.ndarray, Vocabulary]:
    """Term counts (float32, n × v) over a vocabulary chosen from the *training* texts and
    labels only, so nothing about the query items leaks into the features."""
    tokenizer = default_tokenizer()
    docs = tokenize_all(texts, tokenizer)
    train_docs = [docs[i] for i in train_idx]
    vocab = Vocabulary.build_from_tokens(train_docs, size=size, labels=labels[train_idx],
                                         tokenizer_id=tokenizer.identity())
    return vocab.transform_tokens(docs, mode="bow"), vocab
