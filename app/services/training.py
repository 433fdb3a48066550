"""Training a model on a library: gather arrays, build the vocabulary, train (PyTorch, via
``app.ml``), export ONNX with a model card, register it, and re-encode the library.

Runs happily on a worker thread: it opens its own connection when given a library path.
"""
from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app import text
from app.core.errors import WenyangError
from app.core.jobs import CancelToken, Progress, ProgressFn, ignore
from app.core.models import ModelCard
from app.media.preprocess import Preprocessing
from app.services.dataset import LibraryArrays, PhotoLoader, library_arrays
from app.services.ops import Changes, Op, OpResult, Restore
from app.store import open_library
from app.store.snapshots import Recorder

if TYPE_CHECKING:
    from app.store import Library

MIN_LABELLED = 10


@dataclass
class TrainOptions:
    bits: int = 32
    mode: str = "ssah"
    epochs: int = 60
    image_size: int | None = None      # None: 224 px on a GPU; on a CPU 256 (two CNNs), 192 (one), 128 pretrained
    backbone: str = "resnet18"
    backbone_weights: str | None = None  # a local weights file the curator names
    stem: str | None = None            # the CNN's first layer; None: app.ml.prepare.default_stem
    twin: bool | None = None           # a second CNN (ResNet-10) beside the first; None: app.ml.prepare.default_twin
    vocab_size: int = 1000
    text_mode: str = "tfidf"
    seed: int = 0
    device: str = "auto"
    activate: bool = True              # make it the active model (unless the active one is better)
    replace_better: bool = False       # activate even when the active model validated better
    resume: bool = False
    items: list[int] | None = None     # train on these items only (benchmarks); None: all
    holdout_fraction: float = 0.1      # labelled items kept out of training, for `evaluate`
    min_holdout_items: int = 50        # below this many labelled items nothing is held out
    overrides: dict = field(default_factory=dict)  # further TrainConfig fields
    net_overrides: dict = field(default_factory=dict)  # further NetConfig fields


@dataclass
class TrainOutcome:
    model_id: str | None
    cancelled: bool
    val_map: float | None = None
    epochs_run: int = 0
    best_epoch: int = 0
    device: str = ""
    wall_s: float = 0.0
    n_train: int = 0
    card: ModelCard = field(default_factory=lambda: ModelCard())
    encode: object | None = None
    history: list[dict] = field(default_factory=list)
    activated: bool = False
    notes: list[str] = field(default_factory=list)  # what the curator must be told (CLI, dialog)


def train_library(library, options: TrainOptions | None = None,
                  progress: ProgressFn | None = None,
                  cancel: threading.Event | None = None, encode: bool = True,
                  record: Recorder | None = None) -> TrainOutcome:
    """Train, export, register and (by default) encode. ``library``: a Library or its path.

    Progress stages: 'text' (the vocabulary), 'features' (caching CNN features, done/total
    photos), 'warmup' (the CNN's first pass, done/total batches), 'train' (done/total steps of
    an epoch; ``data``: kind 'step', 'epoch' or 'done', epoch, epochs, losses, val_map),
    'export', then 'encode'. ``record`` keeps the encoding's rows as they were (the undo of
    ``Train``, which records the models table itself)."""
    options = options or TrainOptions()
    emit = progress or ignore
    cancel = cancel or CancelToken()
    own = not hasattr(library, "db")
    lib = open_library(library) if own else library
    try:
        return _train(lib, options, emit, cancel, encode, record)
    finally:
        if own:
            lib.close()


def _train(lib: Library, options: TrainOptions, emit, cancel, encode: bool,
           record: Recorder | None) -> TrainOutcome:
    from app.ml.config import NetConfig, TrainConfig
    from app.ml.export import export_model
    from app.ml.prepare import (
        FIRST_SCALE,
        SECOND_BACKBONE,
        default_image_size,
        default_stem,
        default_twin,
        resolve_device,
    )
    from app.ml.train import train

    lib.require_writable("train a model")
    arrays = library_arrays(lib, options.items)
    _check_enough(arrays)
    holdout = _holdout(arrays, options)
    if holdout:
        arrays = library_arrays(lib, [int(i) for i in arrays.ids if int(i) not in holdout])
    emit(Progress("text", detail="Building the vocabulary"))
    vocab, vectors = _text_features(arrays, options)
    device = resolve_device(options.device)
    pretrained = bool(options.backbone_weights)
    stem = options.stem or default_stem(device, pretrained)
    photos = int((arrays.labels.any(axis=1) & arrays.has_photo()).sum())
    twin = default_twin(device, pretrained, stem, options.backbone, photos) if options.twin is None else options.twin
    if twin and pretrained:
        raise WenyangError("A pretrained weights file starts one CNN; train without a second CNN (--one-cnn) "
                           "when you name one.")
    # with two CNNs the photo comes at the second's size; the first sees FIRST_SCALE of it
    size = options.image_size or round(default_image_size(device, pretrained, stem) / (FIRST_SCALE if twin else 1.0))
    prep = Preprocessing(size=size)
    loader = PhotoLoader(arrays.image_sources(lib, prep), prep)
    data = _training_data(arrays, vectors, loader)
    model_id = _new_model_id(options)
    pair = {"second_backbone": SECOND_BACKBONE, "backbone_scale": FIRST_SCALE} if twin else {}
    net = NetConfig(**{"bits": options.bits, "backbone": options.backbone,
                       "backbone_weights": options.backbone_weights, "stem": stem, **pair,
                       **options.net_overrides})
    config = TrainConfig(**{"net": net,
                            "mode": options.mode, "epochs": options.epochs, "seed": options.seed,
                            "device": options.device,
                            # a faceted scheme: nearly every pair shares some label, and the
                            # near-universal ones (Han, silk, Qing) say little (see losses);
                            # models are chosen by how label names rank untagged photos
                            "similarity": "idf", "val_metric": "curator",
                            # curators type a few words, catalogues hold paragraphs: train on both
                            "short_text_share": 0.5, **options.overrides})
    checkpoints = lib.models_dir / ".checkpoints" / f"{options.mode}-{options.bits}"
    result = train(data, config, progress=lambda e: emit(_event(e)), cancel=cancel,
                   checkpoint_dir=checkpoints, resume=options.resume)
    outcome = TrainOutcome(None, result.cancelled, result.val_map, result.epochs_run, result.best_epoch,
                           result.device, result.wall_s, result.n_train, history=result.history)
    if result.networks is None or result.cancelled:
        return outcome
    card = _card(lib, arrays, vocab, options, prep, result) | {"holdout_items": sorted(holdout)}
    emit(Progress("export", detail="Exporting the model to ONNX"))
    outcome.card = export_model(result, lib.models_dir / model_id, card)
    outcome.activated, outcome.notes = _activation(lib, options, outcome)
    lib.models.register(model_id, options.bits, options.mode, outcome.card, activate=outcome.activated)
    outcome.model_id = model_id
    if encode:
        from app.services.encoding import encode_library

        outcome.encode = encode_library(lib, model_id, progress=emit, cancel=cancel, record=record)
    return outcome


@dataclass
class Train(Op):
    """Train a model, register it (active unless the active one validated better) and encode
    the library with it. Its undo forgets the model and everything encoded with it, and makes
    the model active before active again; its files stay on disk until the trash is emptied
    (so that a redo finds them)."""

    options: TrainOptions = field(default_factory=TrainOptions)
    progress: ProgressFn | None = field(default=None, repr=False, compare=False)
    cancel: threading.Event | None = field(default=None, repr=False, compare=False)
    encode: bool = True
    trainer: Callable[..., TrainOutcome] | None = field(default=None, repr=False, compare=False)

    @property
    def description(self) -> str:
        return f"Train a {self.options.bits}-bit {self.options.mode.upper()} model"

    def run(self, lib: Library) -> OpResult:
        record = lib.snapshots.recorder()
        record.before("models")  # the new row, and the active flag it may take from another
        outcome = (self.trainer or train_library)(lib, self.options, progress=self.progress,
                                                  cancel=self.cancel, encode=self.encode, record=record)
        if outcome.model_id is not None:  # whatever the encoding wrote for it was not there
            for table in ("codes", "suggestions", "code_snapshots"):
                record.absent(table, "model_id", (outcome.model_id,))
        changes = Changes(models=True, suggestions=True) if outcome.model_id else Changes()
        return OpResult(self.description, changes, Restore(record.rows(), self.description, changes), outcome)


def train_op(library, options: TrainOptions, progress: ProgressFn | None = None,
             cancel: threading.Event | None = None) -> OpResult:
    """Run ``Train`` on a library or its path (module-level: a spawned process can call it)."""
    own = not hasattr(library, "db")
    lib = open_library(library) if own else library
    try:
        return Train(options, progress, cancel).run(lib)
    finally:
        if own:
            lib.close()


def _activation(lib: Library, options: TrainOptions, outcome: TrainOutcome) -> tuple[bool, list[str]]:
    """Whether the new model becomes the active one, and what to tell the curator.

    A run whose validation never improved after its first epoch has learnt little: it is said.
    A new model never silently replaces an active one that validated better on the same
    measure; it is kept beside it, and the curator can activate it by hand.
    """
    notes = []
    if outcome.best_epoch == 1 and outcome.epochs_run > 1:
        notes.append(f"The validation score never improved after the first epoch (of {outcome.epochs_run}): "
                     "this model has learnt little. Tag more items, or train longer with more data.")
    if not options.activate:
        return False, notes
    active = lib.models.active()
    ours, theirs = _validation(outcome.card), _validation(active.card) if active else None
    if active is None or options.replace_better or theirs is None or ours is None or ours[0] != theirs[0]:
        return True, notes
    if theirs[1] > ours[1]:
        notes.append(f"The active model {active.id} validated better ({theirs[1]:.3f} against {ours[1]:.3f}), "
                     f"so search keeps using it. To use the new one: wenyang models activate <new id>.")
        return False, notes
    return True, notes


def _validation(card: ModelCard) -> tuple[str, float] | None:
    """(measure, score) of a model card's validation, None when it has none."""
    val = card.get("validation") or {}
    if val.get("map") is None or not val.get("metric"):
        return None
    return str(val["metric"]), float(val["map"])


@dataclass
class Readiness:
    """What a training run would learn from, for the curator to read before starting."""
    items: int        # in the library
    tagged: int       # with at least one label
    with_photo: int   # tagged and with a photo: what the image network learns from
    held_out: int     # tagged items a new run keeps aside to measure itself (``evaluate``)
    needed: int

    @property
    def enough(self) -> bool:
        return self.tagged >= self.needed


def training_readiness(lib: Library, options: TrainOptions | None = None) -> Readiness:
    """Counts for the training dialog; the held-out share follows ``_holdout``'s rule."""
    options = options or TrainOptions()
    tagged, with_photo = lib.items.tagged_counts()
    return Readiness(lib.items.count(), tagged, with_photo, _holdout_size(tagged, options), MIN_LABELLED)


def _check_enough(arrays: LibraryArrays) -> None:
    labelled = int(arrays.labels.any(axis=1).sum())
    if labelled < MIN_LABELLED:
        raise WenyangError(f"Training needs at least {MIN_LABELLED} labelled items; this library has "
                           f"{labelled}. Tag more items first.")


def _holdout(arrays: LibraryArrays, options: TrainOptions) -> set[int]:
    """A seeded sample of labelled items the model never sees, so `evaluate` is honest."""
    labelled = arrays.ids[arrays.labels.any(axis=1)]
    n = _holdout_size(len(labelled), options)
    if not n:
        return set()
    rng = np.random.default_rng(options.seed + 1_000_003)
    return {int(i) for i in rng.choice(labelled, size=n, replace=False)}


def _holdout_size(labelled: int, options: TrainOptions) -> int:
    """How many of ``labelled`` items a run keeps aside (none below ``min_holdout_items``)."""
    if labelled < options.min_holdout_items or options.holdout_fraction <= 0:
        return 0
    return max(1, int(round(labelled * options.holdout_fraction)))


def _text_features(arrays: LibraryArrays, options: TrainOptions):
    if not any(t.strip() for t in arrays.texts):
        return None, None
    text.warm_up()
    vocab = text.Vocabulary.build(arrays.texts, size=options.vocab_size, labels=arrays.labels)
    if len(vocab) == 0:
        return None, None
    return vocab, vocab.transform(arrays.texts, mode=options.text_mode)


def _training_data(arrays: LibraryArrays, vectors, loader: PhotoLoader):
    from app.ml.data import TrainingData

    has_photo = arrays.has_photo()
    return TrainingData(labels=arrays.labels, texts=vectors,
                        load_images=loader if has_photo.any() else None,
                        image_mask=has_photo if has_photo.any() else None)


def _new_model_id(options: TrainOptions) -> str:
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{options.mode}-{options.bits}b-{stamp}"


def _card(lib: Library, arrays: LibraryArrays, vocab, options: TrainOptions, prep: Preprocessing, result) -> dict:
    """Library-side facts the model card must carry (the exporter adds the network facts)."""
    scheme = lib.scheme
    return {
        "label_ids": arrays.label_ids,
        "label_names": {l.id: {"en": l.name_en, "zh": l.name_zh} for l in scheme.labels.values()},
        "scheme_fingerprint": scheme.fingerprint(),
        "scheme_version": scheme.version,
        "vocabulary": vocab.to_dict() if vocab is not None else None,
        "text_mode": options.text_mode,
        "preprocessing": prep.to_dict(),
        "training_items": int(arrays.labels.any(axis=1).sum()),
        "library": str(lib.root),
    }


def _event(e) -> Progress:
    """The ml layer's training event as the one progress event the window and the CLI read."""
    stage = e.kind if e.kind in ("features", "warmup") else "train"
    return Progress(stage, e.step, e.steps, e.message,
                    {"kind": e.kind, "epoch": e.epoch, "epochs": e.epochs, "losses": dict(e.losses),
                     "val_map": e.val_map})
