"""A trained model folder (``card.json`` + one ONNX file per network) opened with ONNX Runtime.

The CUDA provider is asked for first when this ONNX Runtime build has it; whatever the
session really runs on is reported by ``provider``. ORT's own log is kept quiet: a machine
without CUDA libraries is normal for a museum workstation, not an error to print.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import onnxruntime as ort

from app.core.errors import ModelMismatchError, WenyangError
from app.core.models import ModelCard
from app.evaluate.calibration import apply_calibration, logits

CARD = "card.json"
MODALITIES = ("image", "text", "label")
_LOG_LOCK = threading.Lock()
MIRROR_IN_ONE_RUN = 16  # up to this many photos, they and their mirror images make one batch


def _providers() -> list[str]:
    available = ort.get_available_providers()
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]


def _session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    with _LOG_LOCK:
        # A failed CUDA provider load is logged as an error by ORT's default logger before it
        # falls back; keep it quiet while the session is made, then restore the usual level.
        ort.set_default_logger_severity(4)
        try:
            return ort.InferenceSession(str(path), sess_options=options, providers=_providers())
        except Exception as exc:  # ORT raises its own Fail/InvalidProtobuf/... for a bad file
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise ModelMismatchError(
                f"The model file {path} cannot be loaded: it is empty, truncated or damaged ({first}). "
                "Activate another model, or train this one again.") from None
        finally:
            ort.set_default_logger_severity(3)


def _check_shapes(folder: Path, card: ModelCard, modality: str, session: ort.InferenceSession,
                  input_name: str) -> None:
    """The network must be the one its card describes: the input the card names, the outputs
    every query reads (``h``, ``label_probs``), and their widths (code bits, label count,
    vocabulary size)."""
    inputs_named = [i.name for i in session.get_inputs()]
    outputs_named = [o.name for o in session.get_outputs()]
    missing = [name for name in ("h", "label_probs") if name not in outputs_named]
    if input_name not in inputs_named or missing:
        what = (f"has no output {' or '.join(missing)}" if missing else
                f"takes {', '.join(inputs_named) or 'no input'}, not the card's {input_name!r}")
        raise ModelMismatchError(
            f"The model in {folder} does not match its card: the {modality} network {what}. The folder "
            "was mixed up or edited; activate another model, or train again.")
    expected = {"h": int(card["bits"])}
    if card.get("label_ids") is not None:
        expected["label_probs"] = len(card["label_ids"])
    widths = {o.name: o.shape[1] if len(o.shape) > 1 else None for o in session.get_outputs()}
    inputs = {i.name: i.shape for i in session.get_inputs()}
    if modality == "label" and card.get("label_ids") is not None:
        widths.update({name: shape[1] for name, shape in inputs.items() if len(shape) == 2})
        expected.update({name: len(card["label_ids"]) for name in inputs})
    terms = (card.get("vocabulary") or {}).get("terms") if isinstance(card.get("vocabulary"), dict) else None
    if modality == "text" and isinstance(terms, list):
        widths.update({name: shape[1] for name, shape in inputs.items() if len(shape) == 2})
        expected.update({name: len(terms) for name in inputs})
    for name, want in expected.items():
        got = widths.get(name)
        if isinstance(got, int) and got != want:
            raise ModelMismatchError(
                f"The model in {folder} does not match its card: the {modality} network's {name} has "
                f"{got} columns but the card says {want}. The folder was mixed up or edited; "
                "activate another model, or train again.")


def _with_mirror(session: ort.InferenceSession, name: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pre-sign h, label probabilities) of photos, the probabilities averaged (as logits) with
    those of their mirror images.

    A garment and its mirror image show the same labels; averaging the two views steadies
    the prediction (demo backlog, 40-epoch first pass: motif P@10 .712 → .729, colour and
    category unchanged). Codes stay those of the photo as given, so they match training.
    A few photos and their mirror images go through the network as one batch: for one query
    photo at 192 px that took 18 ms against 22 ms for two runs (13.1 against 15.6 ms in a quieter
    rerun), with the same outputs (1M-item bench library's model, this 2-core machine, 2026-12-01).
    """
    n = len(x)
    if n <= MIRROR_IN_ONE_RUN:
        h, both = session.run(["h", "label_probs"], {name: np.concatenate([x, x[..., ::-1]])})
        h, probs, mirrored = h[:n], both[:n], both[n:]
    else:  # an encoding batch: two runs, so the network's peak memory stays that of one batch
        h, probs = session.run(["h", "label_probs"], {name: x})
        mirrored = session.run(["label_probs"], {name: np.ascontiguousarray(x[..., ::-1])})[0]
    logit = (logits(probs) + logits(mirrored)) / 2.0
    return h, (1.0 / (1.0 + np.exp(-logit))).astype(np.float32)


def read_card(folder: str | Path) -> ModelCard:
    folder = Path(folder)
    try:
        card = json.loads((folder / CARD).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WenyangError(f"{folder} is not a Wenyang model (no {CARD}).") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise WenyangError(f"The model card in {folder} cannot be read: {exc}.") from None
    if card.get("format") != "wenyang-model" or "bits" not in card:
        raise WenyangError(f"{folder / CARD} is not a Wenyang model card.")
    return card


class OnnxNetworks:
    """ONNX Runtime sessions for the networks of one model."""

    def __init__(self, folder: Path, card: ModelCard):
        self.folder, self.card = folder, card
        self.bits = int(card["bits"])
        self._sessions: dict[str, tuple[ort.InferenceSession, str]] = {}
        for modality, spec in card.get("networks", {}).items():
            path = folder / spec["file"]
            if not path.is_file():
                raise WenyangError(f"The model in {folder} is incomplete: {spec['file']} is missing.")
            session = _session(path)
            _check_shapes(folder, card, modality, session, spec["input"])
            self._sessions[modality] = (session, spec["input"])

    @property
    def provider(self) -> str:
        """The execution provider the sessions really use (e.g. 'CPUExecutionProvider')."""
        first = next(iter(self._sessions.values()), None)
        return first[0].get_providers()[0] if first else "none"

    def has(self, modality: str) -> bool:
        return modality in self._sessions

    def input_name(self, modality: str) -> str:
        return self._get(modality)[1]

    def run(self, modality: str, x: np.ndarray, mirror: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(pre-sign h float32 (n, bits), label probabilities float32 (n, c)); photos'
        probabilities also read from their mirror images unless ``mirror`` is False."""
        session, name = self._get(modality)
        x = np.ascontiguousarray(x, dtype=np.float32)
        if len(x) == 0:
            return np.zeros((0, self.bits), np.float32), np.zeros((0, 0), np.float32)
        if mirror and modality == "image" and x.ndim == 4:
            h, probs = _with_mirror(session, name, x)
        else:
            h, probs = session.run(["h", "label_probs"], {name: x})
        return h.astype(np.float32), self._calibrated(modality, probs.astype(np.float32))

    def _calibrated(self, modality: str, probs: np.ndarray) -> np.ndarray:
        """The label head's probabilities with the card's validation calibration applied."""
        branch = "image" if modality == "image_features" else modality
        return apply_calibration(probs, self.card.get("calibration", {}).get(branch))

    def encode(self, modality: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(codes ±1 int8 (n, bits), pre-sign h float32 (n, bits)); +1 where h > 0, as in training.
        The probabilities are dropped, so the mirror image is not run for them."""
        h, _ = self.run(modality, x, mirror=False)
        return np.where(h > 0, 1, -1).astype(np.int8), h

    def encode_images(self, x):
        """Photos as the card's ``image_input`` says: pixels (n,3,H,W) normalised, or features (n,d)."""
        return self.encode("image", x)

    def encode_image_features(self, x):
        """Pooled CNN features (n, 512/2048) of a pixel model, through the heads only."""
        return self.encode("image_features" if self.has("image_features") else "image", x)

    def encode_texts(self, x):
        return self.encode("text", x)

    def encode_labels(self, x):
        return self.encode("label", x)

    def predict_labels_images(self, x) -> np.ndarray:
        return self.run("image", x)[1]

    def predict_labels_texts(self, x) -> np.ndarray:
        return self.run("text", x)[1]

    def predict_labels_labels(self, x) -> np.ndarray:
        """LabNet's reconstruction of (possibly edited) label vectors."""
        return self.run("label", x)[1]

    def _get(self, modality: str):
        if modality not in self._sessions:
            what = {"label": "label network (DCMH models have none)", "text": "text network",
                    "image": "image network",
                    "image_features": "image network for pooled features"}.get(modality, modality)
            raise WenyangError(f"This model has no {what}.")
        return self._sessions[modality]


def load_model(folder: str | Path, expected_scheme_fingerprint: str | None = None) -> OnnxNetworks:
    """Open a model folder; refuse it when it was trained on another label scheme."""
    folder = Path(folder)
    card = read_card(folder)
    trained_on = card.get("scheme_fingerprint")
    if expected_scheme_fingerprint and not trained_on:
        raise ModelMismatchError(
            f"The model {card.get('id', folder.name)} does not say which label scheme it was trained on, "
            f"so it cannot be checked against the library's scheme {expected_scheme_fingerprint}. "
            "Train a new model.")
    if expected_scheme_fingerprint and trained_on != expected_scheme_fingerprint:
        raise ModelMismatchError(
            f"The model {card.get('id', folder.name)} was trained on label scheme {trained_on}, "
            f"but the library's scheme is now {expected_scheme_fingerprint} (labels were added, moved, "
            "merged or deleted since). Train a new model to search with the current labels.")
    return OnnxNetworks(folder, card)
