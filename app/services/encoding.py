"""Encoding the library with a model: image, text and label codes for every item, stored with
the hash of what was encoded so later runs touch only new or changed items; the label heads'
predictions are stored as tag suggestions."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.core.jobs import CancelToken, Progress, ProgressFn, ignore
from app.media.images import THUMBNAIL_SIZE
from app.media.preprocess import Preprocessing
from app.services.dataset import LibraryArrays, PhotoLoader, library_arrays
from app.services.models_runtime import ModelEncoders, active_runtime, pack
from app.services.ops import Changes, Op, OpResult, Restore
from app.store.codes import CodeRow
from app.store.snapshots import Recorder

if TYPE_CHECKING:
    from app.store import Library

SUGGEST_MIN_CONFIDENCE = 0.3
BATCH = 64


@dataclass
class EncodeReport:
    model_id: str
    encoded: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    suggestions: int = 0
    problems: dict[int, str] = field(default_factory=dict)  # item id → why its photo failed
    provider: str = ""
    cancelled: bool = False


def encode_library(lib: Library, model_id: str | None = None, progress: ProgressFn | None = None,
                   cancel: threading.Event | None = None, record: Recorder | None = None) -> EncodeReport:
    """Bring the stored codes of ``model_id`` (default: the active model) up to date; progress
    in stage 'encode', ``detail`` the modality ('label', 'text', 'image', 'signature').
    ``record`` keeps every row as it was before this run wrote it (the ``Encode`` op's undo)."""
    lib.require_writable("store search codes")
    record = record or Recorder.off()
    model = lib.models.get(model_id) if model_id else lib.models.active()
    if model is None:
        from app.services.search import NoModelError
        raise NoModelError("There is no trained model to encode with.")
    runtime = active_runtime(lib, model)
    # first: what changes while this runs is checked next time, and so are the items this run
    # writes suggestions and signatures for (another writer may have changed them meanwhile)
    newest = lib.evidence.mark()
    changed, arrays, jobs = _to_check(lib, model.id, newest)
    report = EncodeReport(model.id, provider=runtime.provider)
    emit = progress or ignore
    cancel = cancel or CancelToken()
    since = lib.codes.since()  # the snapshots are merged from here
    touched: dict[str, set[int]] = {}
    for modality, hashes in jobs:
        todo, gone = _stale_rows(lib, model.id, modality, arrays, hashes, report, record, changed)
        touched[modality] = {int(arrays.ids[r]) for r in todo} | set(gone)
        encoder = _encoder_for(modality, runtime, arrays, lib)
        for start in range(0, len(todo), BATCH):
            if cancel.is_set():
                report.cancelled = True
                return report
            rows = todo[start:start + BATCH]
            _encode_batch(lib, model.id, modality, runtime, encoder, arrays, hashes, rows, report, record)
            emit(Progress("encode", start + len(rows), len(todo), modality))
        report.encoded[modality] = len(todo)
    record.before("code_snapshots", "model_id", (model.id,))
    for modality, _ in jobs:  # so the next opening loads codes at once
        lib.codes.update_snapshot(model.id, modality, touched[modality], since)
    if not _encode_signatures(lib, arrays, emit, cancel, record, changed is not None):
        report.cancelled = True
        return report
    record.before("encode_marks", "model_id", (model.id,))  # an undone run puts the old mark back
    lib.codes.set_encoded_mark(model.id, newest)
    if isinstance(encoder, PhotoLoader):
        report.problems = {int(arrays.ids[i]): why for i, why in encoder.problems.items()}
    return report


CHANGED_SHARE = 0.25  # from this share of the items changed, every item is checked (one pass is cheaper)
LOG_PER_ITEM = 20  # ... and from this many log entries since the mark per item


def _changed_since_encoded(lib: Library, model_id: str, newest: int) -> list[int] | None:
    """The items that may need encoding: those the change log names since the model's encoded
    mark (their text, photos or tags changed, or they came or went); None (check every item)
    when the model was never encoded, or the log no longer reaches back to its mark, or much
    of the library changed. The log (migrations 8 and 11) is written by SQL triggers, so it
    sees every writer, another process and an undo included."""
    mark = lib.codes.encoded_mark(model_id)
    if mark is None or mark > newest:
        return None
    if mark == newest:
        return []
    oldest, items = lib.evidence.oldest(), lib.items.count()
    # pruned past the mark, or so many entries (a tag writes several, a deletion dozens) that
    # reading them costs about what a pass over every item does
    if oldest is None or oldest > mark + 1 or newest - mark > LOG_PER_ITEM * items + 10_000:
        return None
    changed = lib.evidence.changed_since(mark, newest)
    return None if len(changed) > CHANGED_SHARE * items else changed


def _to_check(lib: Library, model_id: str, newest: int):
    """(the items that may have changed or None for all, their arrays, (modality, content
    hashes) per modality): what an encode, and the count of what it would encode, look at."""
    changed = _changed_since_encoded(lib, model_id, newest)
    arrays = library_arrays(lib, changed)
    jobs = (("label", arrays.label_hashes()), ("text", arrays.text_hashes()), ("image", arrays.photo_hashes))
    return changed, arrays, jobs


def _stale_rows(lib: Library, model_id, modality, arrays: LibraryArrays, hashes, report,
                record: Recorder, changed: list[int] | None = None) -> tuple[list[int], list[int]]:
    """(rows whose content changed since they were encoded, item ids whose codes were removed
    because their content is gone). ``changed``: the only items that can have changed
    (``arrays`` holds those of them that exist); None: every item."""
    stored = lib.codes.source_hashes(model_id, modality, changed)
    gone = [int(i) for i, h in zip(arrays.ids, hashes) if not h and int(i) in stored]
    present = {int(i) for i in arrays.ids}
    gone += [i for i in stored if i not in present]
    if gone:
        record.before("codes", "item_id", gone, _codes_of(model_id, modality))
        lib.codes.delete_codes(model_id, modality, gone)
    report.removed[modality] = len(gone)
    return _changed_rows(arrays, hashes, stored), gone


def _changed_rows(arrays: LibraryArrays, hashes, stored: dict[int, str]) -> list[int]:
    """Rows with content whose stored code is missing or was made from other content."""
    return [r for r, (i, h) in enumerate(zip(arrays.ids, hashes)) if h and stored.get(int(i)) != h]


def pending(lib: Library, model_id: str | None = None) -> dict[str, int]:
    """How many items each modality ('label', 'text', 'image') would encode now with
    ``model_id`` (default: the active model); {} when there is no model. Writes nothing."""
    model = lib.models.get(model_id) if model_id else lib.models.active()
    if model is None:
        return {}
    changed, arrays, jobs = _to_check(lib, model.id, lib.evidence.mark())
    return {modality: len(_changed_rows(arrays, hashes, lib.codes.source_hashes(model.id, modality, changed)))
            for modality, hashes in jobs}


def pending_at(root: str, progress=None, cancel=None) -> dict[str, int]:
    """:func:`pending` of the library at ``root`` on a connection of its own: the window runs
    it in a child process (``app.services.isolation``) on a large library, where the count
    reads every item's text, labels and photo hash (seconds of Python at 100,000 items)."""
    from app.store import open_library

    with open_library(root) as lib:
        return pending(lib)


def _encoder_for(modality: str, runtime: ModelEncoders, arrays: LibraryArrays, lib: Library):
    if modality == "image":
        return PhotoLoader(arrays.image_sources(lib, runtime.preprocessing), runtime.preprocessing)
    return None


def _encode_batch(lib: Library, model_id, modality, runtime: ModelEncoders, loader, arrays: LibraryArrays,
                  hashes, rows: list[int], report: EncodeReport, record: Recorder) -> None:
    idx = np.asarray(rows)
    probs = None
    if modality == "image":
        # codes and label probabilities from one run (and one of the mirror image); asking
        # for them separately ran the network four times over the same pixels
        codes, scores, probs = runtime.image_outputs(loader(idx))
    elif modality == "text":
        vectors = runtime.text_vectors([arrays.texts[r] for r in rows])
        codes, scores = runtime.encode_texts(vectors)
    else:
        vectors = np.stack([runtime.label_vector(_row_labels(arrays, r)) for r in rows])
        codes, scores = runtime.encode_labels(vectors)
    packed = pack(codes)
    item_ids = [int(arrays.ids[r]) for r in rows]
    record.before("codes", "item_id", item_ids, _codes_of(model_id, modality))
    lib.codes.put(model_id, modality, [
        CodeRow(item_id, packed[j].tobytes(), np.asarray(scores[j], np.float32).tobytes(), hashes[rows[j]])
        for j, item_id in enumerate(item_ids)])
    if probs is not None:
        record.before("suggestions", "item_id", item_ids, (("model_id", model_id),))
        report.suggestions += _store_suggestions(lib, model_id, runtime, item_ids, probs)


def _codes_of(model_id: str, modality: str) -> tuple:
    return (("model_id", model_id), ("modality", modality))


def _row_labels(arrays: LibraryArrays, row: int) -> list[str]:
    return [arrays.label_ids[j] for j in np.flatnonzero(arrays.labels[row])]


def _store_suggestions(lib: Library, model_id, runtime: ModelEncoders, item_ids, probs) -> int:
    rows = [(item_id, runtime.label_ids[j], float(p))
            for item_id, row in zip(item_ids, probs)
            for j, p in enumerate(row) if p >= SUGGEST_MIN_CONFIDENCE]
    return lib.suggestions.put(model_id, rows)


def _encode_signatures(lib: Library, arrays: LibraryArrays, emit, cancel: threading.Event,
                       record: Recorder, some: bool = False) -> bool:
    """Photo signatures (model-independent) of items whose first photo has none yet or
    changed; from the 256 px thumbnail when there is one. False when cancelled. ``some``:
    ``arrays`` holds only the items that may have changed."""
    from app.media.images import load_rgb
    from app.media.signature import signature

    stored = lib.signatures.hashes_of(arrays.ids.tolist()) if some else lib.signatures.hashes()
    todo = [r for r, (i, h) in enumerate(zip(arrays.ids, arrays.photo_hashes)) if h and stored.get(int(i)) != h]
    sources = arrays.image_sources(lib, Preprocessing(size=THUMBNAIL_SIZE))
    rows = []
    for done, r in enumerate(todo, 1):
        if cancel.is_set():
            return False
        image = _first_readable(sources[r], load_rgb)
        if image is not None:
            rows.append((int(arrays.ids[r]), arrays.photo_hashes[r], signature(image)))
        if len(rows) >= BATCH or done == len(todo):
            record.before("photo_signatures", "item_id", [r[0] for r in rows])
            lib.signatures.put(rows)
            rows = []
            emit(Progress("encode", done, len(todo), "signature"))
    return True


def _first_readable(paths, load):
    for path in paths:
        try:
            return load(path)
        except Exception:  # a missing thumbnail or unreadable photo: try the next source
            continue
    return None


@dataclass
class Encode(Op):
    """Bring a model's codes, suggestions and the photo signatures up to date; the undo puts
    back every row the run wrote as it was."""

    model_id: str | None = None
    progress: ProgressFn | None = field(default=None, repr=False, compare=False)
    cancel: threading.Event | None = field(default=None, repr=False, compare=False)

    @property
    def description(self) -> str:
        return f"Encode the library with {self.model_id or 'the active model'}"

    def run(self, lib: Library) -> OpResult:
        record = lib.snapshots.recorder()
        report = encode_library(lib, self.model_id, self.progress, self.cancel, record)
        changes = Changes(suggestions=True) if record.rows() else Changes()
        return OpResult(self.description, changes, Restore(record.rows(), self.description, changes), report)
