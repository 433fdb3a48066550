"""Per-epoch checkpoints and the early-stopping record, so a run can resume exactly.

A checkpoint holds the networks, optimisers, buffers, codes B, the shuffling and dropout
random states and the early-stopping record; resuming reproduces the uninterrupted run.
It is written to a temporary file and renamed, so a crash never leaves half a checkpoint.
"""
from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from app.ml.config import TrainConfig
from app.ml.data import Split
from app.ml.session import TrainingSession

CHECKPOINT_NAME = "checkpoint.pt"
FORMAT_VERSION = 1
# Options that may change between a run and its resumption (they do not alter the maths, or
# only that of the CNN's first pass, which a checkpoint holds done).
RESUMABLE_CHANGES = {"epochs", "patience", "min_epochs", "eval_every", "device", "image_batch_size",
                     "warmup_precision"}


@dataclass
class Tracker:
    """Best validation MAP so far, the weights that reached it, and the history."""

    best_map: float = -math.inf
    best_epoch: int = 0
    best_state: dict | None = None
    bad_epochs: int = 0
    history: list[dict] = field(default_factory=list)

    def update(self, epoch: int, val_map: float, state: dict) -> bool:
        """Record an evaluated epoch; True when it is the new best (NaN: no validation set,
        so the latest epoch always counts as best)."""
        if math.isnan(val_map) or val_map > self.best_map:
            self.best_map = val_map if not math.isnan(val_map) else self.best_map
            self.best_epoch, self.best_state, self.bad_epochs = epoch, _cpu_copy(state), 0
            return True
        self.bad_epochs += 1
        return False

    def should_stop(self, cfg: TrainConfig, epoch: int) -> bool:
        return epoch >= cfg.min_epochs and self.bad_epochs >= cfg.patience

    def to_dict(self) -> dict:
        return {"best_map": self.best_map, "best_epoch": self.best_epoch, "best_state": self.best_state,
                "bad_epochs": self.bad_epochs, "history": self.history}


def _cpu_copy(state: dict) -> dict:
    return {net: {k: v.detach().to("cpu", copy=True) for k, v in sd.items()} for net, sd in state.items()}


def save_checkpoint(folder: Path, s: TrainingSession, tracker: Tracker) -> Path:
    """Write the session after a completed epoch to ``folder/checkpoint.pt`` (atomically)."""
    folder.mkdir(parents=True, exist_ok=True)
    payload = {
        "version": FORMAT_VERSION, "config": s.cfg.to_dict(), "epoch": s.epoch,
        "split": {"train": torch.as_tensor(s.split.train), "val": torch.as_tensor(s.split.val)},
        "nets": _cpu_copy(s.nets.state_dict()),
        "optimizers": {k: copy.deepcopy(o.state_dict()) for k, o in s.optimizers.items()},
        "feats": s.feats, "hashes": s.hashes, "codes": s.codes,
        "generator": s.generator.get_state(), "torch_rng": torch.get_rng_state(),
        "tracker": tracker.to_dict(),
    }
    target = folder / CHECKPOINT_NAME
    tmp = target.with_suffix(".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, target)
    return target


def load_checkpoint(folder: Path) -> dict | None:
    """The saved payload, or None when the folder has no checkpoint."""
    path = Path(folder) / CHECKPOINT_NAME
    if not path.is_file():
        return None
    return torch.load(path, map_location="cpu", weights_only=True)


def check_compatible(payload: dict, cfg: TrainConfig, split: Split) -> None:
    """Refuse to resume a checkpoint written for other options or other data."""
    saved, now = dict(payload["config"]), cfg.to_dict()
    differing = sorted(k for k in set(saved) | set(now)
                       if k not in RESUMABLE_CHANGES and _jsonish(saved.get(k)) != _jsonish(now.get(k)))
    if differing:
        raise ValueError(f"The checkpoint was written with different training options ({', '.join(differing)}); "
                         "start a new run instead of resuming.")
    same_split = (np.array_equal(payload["split"]["train"].numpy(), split.train)
                  and np.array_equal(payload["split"]["val"].numpy(), split.val))
    if not same_split:
        raise ValueError("The checkpoint was written for a different set of items; start a new run.")


def _jsonish(value):
    """Compare tuples and lists alike (configs round-trip through JSON-like containers)."""
    if isinstance(value, (list, tuple)):
        return [_jsonish(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonish(v) for k, v in value.items()}
    return value


def restore_session(s: TrainingSession, payload: dict) -> Tracker:
    """Load a payload into a freshly built session; return the early-stopping record."""
    s.nets.load_state_dict(payload["nets"])
    for name, opt in s.optimizers.items():
        opt.load_state_dict(payload["optimizers"][name])
    for store in ("feats", "hashes"):
        for k, v in payload[store].items():
            getattr(s, store)[k] = v.to(s.device)
    s.codes = payload["codes"].to(s.device)
    s.generator.set_state(payload["generator"])
    torch.set_rng_state(payload["torch_rng"])
    s.epoch = int(payload["epoch"])
    return Tracker(**payload["tracker"])
