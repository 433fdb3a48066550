"""The JSON model card written beside the ONNX files.

Keys (the runtime and the services read them):
  format, format_version, id, bits, mode, created (UTC ISO date), networks {name: {file, input}},
  image_input, backbone, preprocessing {size, mean, std}, code {sign, packing},
  label_predictions (False for DCMH, whose label heads are not trained), config,
  versions {torch, onnx, opset, exporter}; from the training run: training_size,
  validation_size, validation {map, per-direction MAPs, best_epoch, epochs_run}, device,
  wall_s; from the caller: label_ids (label order), scheme_fingerprint, vocabulary, ...
"""
from __future__ import annotations

import datetime as _dt

import torch

from app.ml.config import TrainConfig
from app.ml.events import TrainResult
from app.ml.prepare import IMAGENET_MEAN, IMAGENET_STD, default_image_size

FORMAT = "wenyang-model"
FORMAT_VERSION = 1
CODE_SIGN = "code bit = +1 where h > 0, else -1"
CODE_PACKING = ("app.runtime.pack_codes: numpy.packbits big-endian, bit j in byte j//8 at "
                "position 7 - j%8, +1 -> 1 (FAISS IndexBinary layout)")


def card_for(cfg: TrainConfig, model_id: str, files: dict, exporter: str, opset: int) -> dict:
    """The card's network-side facts."""
    import onnx

    pixels = cfg.net.image_input == "pixels"
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "id": model_id,
        "bits": cfg.net.bits,
        "mode": cfg.mode,
        "networks": files,
        "image_input": cfg.net.image_input,
        "backbone": cfg.net.backbone if pixels else None,
        "preprocessing": _default_preprocessing() if pixels else None,
        "code": {"sign": CODE_SIGN, "packing": CODE_PACKING},
        "label_predictions": cfg.mode == "ssah",
        "config": cfg.to_dict(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": {"torch": torch.__version__, "onnx": onnx.__version__, "opset": opset,
                     "exporter": exporter},
    }


def _default_preprocessing() -> dict:
    """What photos are assumed to look like when the caller does not say (ImageNet statistics)."""
    return {"size": default_image_size("cpu"), "mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)}


def training_facts(result: TrainResult) -> dict:
    """The card's facts about the training run."""
    return {
        "training_size": result.n_train,
        "validation_size": len(result.split.val),
        "validation": {"map": result.val_map, **result.val_detail,
                       "protocol": result.config.val_protocol, "metric": result.config.val_metric,
                       "best_epoch": result.best_epoch, "epochs_run": result.epochs_run},
        "device": result.device,
        "wall_s": round(result.wall_s, 1),
        "calibration": {m: {k: round(float(v), 4) for k, v in c.items()} for m, c in result.calibration.items()},
    }
