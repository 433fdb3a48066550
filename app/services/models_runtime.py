"""A trained model of a library, ready for queries: ONNX sessions plus the library-side facts
from its card (label order, vocabulary, image preprocessing). Loaded once per model."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.media.preprocess import Preprocessing
from app.runtime import load_model, pack_codes
from app.text import Vocabulary

if TYPE_CHECKING:
    from app.store import Library

_CACHE: dict[tuple[str, str, str], ModelEncoders] = {}
_LOCK = threading.Lock()


def pack(codes: np.ndarray) -> np.ndarray:
    """±1 codes (n, bits) → uint8 (n, bits/8) in the index's byte layout."""
    return pack_codes(codes)


class ModelEncoders:
    """One model's encoders as a library uses them: its ONNX networks (``networks``) with the
    conversions around them (typed text → term vector, labels → label vector, photo → pixels).

    The four kinds of "model": ``ModelRecord`` is a model's row in the library, ``OnnxNetworks``
    its loaded ONNX sessions, ``ModelEncoders`` those with the library's conversions, and
    ``DemoModelInstall`` what installing the shipped demo model did."""

    def __init__(self, folder: Path, scheme_fingerprint: str | None):
        self.folder = folder
        self.networks = load_model(folder, expected_scheme_fingerprint=scheme_fingerprint)
        card = self.networks.card
        self.card = card
        self.bits = int(card["bits"])
        self.label_ids: list[str] = list(card["label_ids"])
        self.preprocessing = Preprocessing.from_dict(card["preprocessing"])
        vocab = card.get("vocabulary")
        self.vocabulary = Vocabulary.from_dict(vocab) if vocab else None
        self.text_mode = card.get("text_mode", "tfidf")
        self._column = {label_id: j for j, label_id in enumerate(self.label_ids)}

    @property
    def provider(self) -> str:
        return self.networks.provider

    # -- inputs ----------------------------------------------------------------------------
    def text_vectors(self, texts: list[str]) -> np.ndarray:
        if self.vocabulary is None:
            return np.zeros((len(texts), 0), np.float32)
        return self.vocabulary.transform(texts, mode=self.text_mode)

    def label_vector(self, label_ids) -> np.ndarray:
        vec = np.zeros(len(self.label_ids), np.float32)
        for label_id in label_ids:
            if label_id in self._column:
                vec[self._column[label_id]] = 1.0
        return vec

    def edit_label_vector(self, probs: np.ndarray, add: set[str], drop: set[str]) -> np.ndarray:
        """Predicted label probabilities, rounded, with ``add`` set and ``drop`` cleared."""
        vec = (np.asarray(probs) >= 0.5).astype(np.float32)
        for label_id in add:
            if label_id in self._column:
                vec[self._column[label_id]] = 1.0
        for label_id in drop:
            if label_id in self._column:
                vec[self._column[label_id]] = 0.0
        return vec

    # -- encoders (delegated) --------------------------------------------------------------
    def encode_images(self, pixels: np.ndarray):
        return self.networks.encode_images(pixels)

    def image_outputs(self, pixels: np.ndarray):
        """(codes, pre-sign h, label probabilities) of photos in ONE network run."""
        h, probs = self.networks.run("image", pixels)
        return np.where(h > 0, 1, -1).astype(np.int8), h, probs

    def text_outputs(self, vectors: np.ndarray):
        h, probs = self.networks.run("text", vectors)
        return np.where(h > 0, 1, -1).astype(np.int8), h, probs

    def encode_texts(self, vectors: np.ndarray):
        return self.networks.encode_texts(vectors)

    def encode_labels(self, vectors: np.ndarray):
        return self.networks.encode_labels(vectors)

    def predict_labels_images(self, pixels: np.ndarray) -> np.ndarray:
        return self.networks.predict_labels_images(pixels)

    def predict_labels_texts(self, vectors: np.ndarray) -> np.ndarray:
        return self.networks.predict_labels_texts(vectors)


def model_folder(lib: Library, model_id: str) -> Path:
    return lib.models_dir / model_id


def active_runtime(lib: Library, model, scheme=None) -> ModelEncoders:
    """The loaded model for ``model`` (a ModelRecord), cached per library and scheme
    (``scheme``: the library's, when the caller has read it already)."""
    fingerprint = (scheme or lib.scheme).fingerprint()
    key = (str(lib.root.resolve()), model.id, fingerprint)
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = ModelEncoders(model_folder(lib, model.id), fingerprint)
        return _CACHE[key]
