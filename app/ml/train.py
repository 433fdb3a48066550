"""The training service: ``train(data, config, progress, cancel, checkpoint_dir, resume)``.

Runs SSAH (or DCMH) epochs with early stopping on validation MAP, reports progress
events, honours a cancel event between optimiser steps, checkpoints every epoch and
resumes from the last one.  Returns a ``TrainResult`` holding the best networks (on the
CPU) and the codes of every item.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

from app.core.jobs import Cancelled
from app.evaluate.calibration import fit_platt
from app.ml.checkpoint import Tracker, check_compatible, load_checkpoint, restore_session, save_checkpoint
from app.ml.config import TrainConfig, as_config, need
from app.ml.data import TrainingData, as_training_data, split_items
from app.ml.encode import Encoder, signs
from app.ml.events import TrainEvent, TrainResult, steps_per_epoch
from app.ml.nets import build_networks
from app.ml.prepare import prepare_images, resolve_device, resolve_dims, seed_everything
from app.ml.session import TrainingSession
from app.ml.steps import dcmh_epoch, init_buffers, ssah_epoch
from app.ml.validation import validation_map
from app.ml.warmup import resolve_precision

ProgressFn = Callable[[TrainEvent], None]


def train(data: TrainingData | dict, config: TrainConfig | dict | None = None,
          progress: ProgressFn | None = None, cancel=None, checkpoint_dir: str | Path | None = None,
          resume: bool = False) -> TrainResult:
    """Train hashing networks on a collection; see the module docstring.

    ``cancel`` is a ``threading.Event``; when set, the run stops after the current step
    and returns a result with ``cancelled=True`` (the last epoch's checkpoint stays).
    """
    started = time.perf_counter()
    data, cfg = as_training_data(data), as_config(config)
    device = resolve_device(cfg.device)
    seed_everything(cfg.seed)
    cfg = resolve_precision(resolve_dims(cfg, data), device)
    split = split_items(data, cfg.val_fraction, cfg.seed)
    nets = build_networks(cfg.net, cfg.mode).to(device)
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else None
    payload = load_checkpoint(folder) if (resume and folder is not None) else None
    if payload is not None:
        check_compatible(payload, cfg, split)
    emit = progress or (lambda event: None)
    if payload is not None:  # the checkpoint's (warmed) CNN, should its features need recomputing
        nets.load_state_dict(payload["nets"])
    images = prepare_images(cfg, data, nets, device, cancel, _feature_progress(emit, cfg), folder, payload is not None,
                            train_items=None if payload is not None else split.train,
                            warmup_progress=_warmup_progress(emit))
    if images is False:
        return TrainResult.cancelled_early(cfg, split, str(device), time.perf_counter() - started)
    session = TrainingSession(cfg, data, split, nets, images, device)
    tracker = restore_session(session, payload) if payload is not None else _fresh_start(session)
    cancelled = _run_epochs(session, tracker, emit, cancel, folder)
    return _finish(session, tracker, cancelled, started, emit)


def _fresh_start(session: TrainingSession) -> Tracker:
    init_buffers(session)
    return Tracker()


def _feature_progress(emit: ProgressFn, cfg: TrainConfig):
    def report(done: int, total: int) -> None:
        emit(TrainEvent("features", 0, cfg.epochs, done, total, message=f"CNN features {done}/{total}"))
    return report


def _warmup_progress(emit: ProgressFn):
    def report(epoch: int, epochs: int, batch: int, batches: int, loss: float, accuracy: float) -> None:
        emit(TrainEvent("warmup", epoch, epochs, batch, batches, {"cnn": loss},
                        message=f"Training the CNN (first pass): epoch {epoch} of {epochs}, "
                                f"batch {batch} of {batches}, accuracy {accuracy:.0%}"))
    return report


def _run_epochs(s: TrainingSession, tracker: Tracker, emit: ProgressFn, cancel, folder: Path | None) -> bool:
    """Epoch loop; returns True when cancelled."""
    cfg, total_steps = s.cfg, steps_per_epoch(s)
    run_epoch = ssah_epoch if cfg.mode == "ssah" else dcmh_epoch
    while s.epoch < cfg.epochs and not tracker.should_stop(cfg, s.epoch):
        epoch, counter = s.epoch + 1, [0]

        def hook(network: str, loss: float, epoch=epoch, counter=counter) -> None:
            counter[0] += 1
            emit(TrainEvent("step", epoch, cfg.epochs, counter[0], total_steps, {network: loss}))
            if cancel is not None and cancel.is_set():
                raise Cancelled

        try:
            run_epoch(s, hook)
        except Cancelled:
            return True
        s.epoch = epoch
        s.decay_learning_rates()
        _end_of_epoch(s, tracker, emit)
        if folder is not None:
            save_checkpoint(folder, s, tracker)
    return False


def _end_of_epoch(s: TrainingSession, tracker: Tracker, emit: ProgressFn) -> None:
    losses = s.epoch_losses()
    val_map, detail = math.nan, {}  # type: tuple[float, dict[str, float]]
    if s.epoch % s.cfg.eval_every == 0 or s.epoch == s.cfg.epochs:
        val_map, detail = validation_map(_encoder(s), s.data, s.split, s.codes.cpu().numpy(), s.cfg.val_protocol,
                                        s.cfg.val_metric)
        tracker.update(s.epoch, val_map, s.nets.state_dict())
    tracker.history.append({"epoch": s.epoch, "losses": losses, "val_map": val_map, "val_detail": detail})
    emit(TrainEvent("epoch", s.epoch, s.cfg.epochs, losses=losses, val_map=val_map, val_detail=detail))


def _encoder(s: TrainingSession) -> Encoder:
    return Encoder(s.nets, s.device, labels=s.data.labels, texts=s.texts, images=s.images)


def _finish(s: TrainingSession, tracker: Tracker, cancelled: bool, started: float, emit: ProgressFn) -> TrainResult:
    if tracker.best_state is not None:
        s.nets.load_state_dict(tracker.best_state)
    codes = scores = None
    if tracker.best_state is not None:
        masks = {"label": s.data.labelled, "image": s.data.image_mask, "text": s.data.text_mask}
        scores = _encoder(s).item_scores(s.data.n, masks, s.cfg.label_code_weight)
        codes = signs(scores)
    for _, module in s.nets.items():
        module.eval()
    # on the training device: the encoder sends its inputs there (on a GPU, moving the
    # networks to the CPU first made every CUDA training fail here)
    calibration = _calibrate(s) if tracker.best_state is not None else {}
    s.nets.to("cpu")
    best = tracker.best_map if math.isfinite(tracker.best_map) else None
    detail: dict[str, float] = next((h["val_detail"] for h in tracker.history if h["epoch"] == tracker.best_epoch), {})
    result = TrainResult(
        config=s.cfg, networks=s.nets if tracker.best_state is not None else None, codes=codes,
        code_scores=scores,
        split=s.split, best_epoch=tracker.best_epoch, epochs_run=s.epoch, val_map=best, val_detail=detail,
        history=tracker.history, cancelled=cancelled, calibration=calibration,
        stopped_early=s.epoch < s.cfg.epochs and not cancelled,
        device=str(s.device), wall_s=time.perf_counter() - started,
        image_features=None if s.images is None or s.images.live_pixels or s.data.image_features is not None
        else need(s.images.features, "the cached features").cpu().numpy())
    emit(TrainEvent("done", s.epoch, s.cfg.epochs, val_map=best,
                    message="cancelled" if cancelled else f"best epoch {tracker.best_epoch}"))
    return result



def _calibrate(s: TrainingSession) -> dict[str, dict]:
    """Platt scale and shift of the image and text label heads on the validation items (see
    ``app.evaluate.calibration``); the networks are already the best epoch's, in eval mode."""
    encoder, out = _encoder(s), {}
    for modality, mask in (("image", s.data.image_mask), ("text", s.data.text_mask)):
        if mask is None or not encoder.has(modality):
            continue
        items = s.split.val[mask[s.split.val]]
        if len(items):
            scale, shift = fit_platt(encoder.encode(modality, items)[1], s.data.labels[items])
            out[modality] = {"scale": scale, "shift": shift}
    return out
