"""The CNN's first pass: a short supervised training of the backbone before it is frozen.

On a CPU the image network trains in cached-feature mode: the ResNet runs once over the
photos and only the heads train on its pooled features. A ResNet that was never trained
gives features that barely separate the classes (clothing-cc0: I→I MAP 0.11, the same as
random codes), so a backbone from scratch first learns from the training items' labels for
a few epochs at the (small) training resolution, then is frozen and its features cached.

Measured on clothing-cc0 (3,600 photos, 64 px, 2-core CPU, ResNet-18 from scratch): six
epochs take about 150 s and lift the cosine-feature I→I MAP@all from 0.11 to 0.55.

The objective is cross-entropy against the normalised multi-hot label vector (for
single-label data exactly the usual softmax cross-entropy), with random flips and shifts.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from app.ml.config import TrainConfig, need
from app.ml.data import TrainingData

MIN_EPOCHS, MAX_EPOCHS = 6, 40
PASS_BUDGET = 36_000  # photo passes of the first pass by default (the demo's 300 items stop at 40 epochs)
# (epoch, epochs, batch, batches, mean loss so far, training accuracy so far)
WarmupProgress = Callable[[int, int, int, int, float, float], None]


def warmup_epochs(cfg: TrainConfig, n_items: int | None = None) -> int:
    """How many first-pass epochs to run: the configured number; by default none for a
    backbone initialised from a weights file, and for one trained from scratch as many as
    fit ``PASS_BUDGET`` photo passes, between 6 and 40 (a small collection needs more epochs
    to learn; a large one learns as much from fewer, and must not take hours).

    Demo backlog (300 items, 96 px, batch 32), typed names P@10 garment category / motif, seed
    0, epochs set by hand: 12 epochs .58 / .45, 25 epochs .93 / .65, 40 epochs .95 / .71. With
    the default, ``wenyang bench backlog --seeds 0 1 2`` gave medians .936 / .656 at 96 px (9efbafb)
    and .936 / .688 at 192 px with the space-to-depth stem (f78acb1; ``app.ml.backbone``).
    clothing-cc0 backlog (1,800 training photos; ``wenyang bench backlog --dataset clothing
    --seeds 0``): 6 epochs (a budget of 12,000 passes, at 2ccb662) typed class names P@10 .512,
    photo → same class .452; 20 epochs (36,000, with the first pass's weight average too) .594
    and .546, beside the plain ResNet-18's .582."""
    if cfg.warmup_epochs is not None:
        return max(0, int(cfg.warmup_epochs))
    if cfg.net.backbone_weights:
        return 0
    if not n_items:
        return MAX_EPOCHS
    return int(min(MAX_EPOCHS, max(MIN_EPOCHS, PASS_BUDGET // n_items)))


def bfloat16_units() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AVX-512 BF16 or AMX tiles)."""
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    for name in probes:
        probe = getattr(torch.cpu, name, None)
        try:
            if probe is not None and probe():
                return True
        except RuntimeError:
            continue
    return False


def first_pass_dtype(cfg: TrainConfig, device: torch.device) -> torch.dtype:
    """The arithmetic of the first pass's forward and backward passes (the weights, the
    optimiser and batch-norm statistics stay float32 either way).

    "auto" takes bfloat16 autocast on a CPU with bfloat16 units, where the pass takes about two
    thirds of the time at the same quality: demo backlog, first pass alone, seed 0, 192 px with
    the space-to-depth stem and the weight average, 2 torch threads (``bench/sweep_first_pass.py
    --variants s2d192ema,s2d192ema-amp``): float32 104.6 s, garment+motif+colour P@10 .809, motif
    .653; bfloat16 73.5 s (71.1 s in a rerun), .814 and .671; a later rerun, 118.2 s against
    59.3 s with the same P@10 (the times vary with the machine's load). A whole first run (``python
    bench/time_first_run.py``, this 2-core AMD EPYC with AVX-512 BF16, alone, three runs alternating
    with the float32 code, 2026-12-03): training, export and encoding 69, 75 and 79 s against 108,
    105 and 121 s. The whole product, ``wenyang bench backlog --seeds 0 1 2 --no-baseline`` (1 thread each,
    the float32 code beside it at the same time, medians): garment+motif+colour .810 against .807,
    motif .668 against .682, phrases .638 against .644 (per-seed differences either way), training
    146 s against 238 s. Elsewhere float32: a CPU without those units would emulate bfloat16, and a GPU's
    first pass takes seconds and was not measured in it."""
    if cfg.warmup_precision == "bfloat16":
        return torch.bfloat16
    if cfg.warmup_precision == "auto" and device.type == "cpu" and bfloat16_units():
        return torch.bfloat16
    return torch.float32


def resolve_precision(cfg: TrainConfig, device: torch.device) -> TrainConfig:
    """``cfg`` with "auto" replaced by the precision it takes on ``device`` (the model card
    then says which arithmetic trained the CNN)."""
    name = "bfloat16" if first_pass_dtype(cfg, device) == torch.bfloat16 else "float32"
    return replace(cfg, warmup_precision=name)


def geometric_augment(x: torch.Tensor, generator: torch.Generator, max_rotation: float = 10.0,
                      min_zoom: float = 0.85) -> torch.Tensor:
    """Random flips, rotations up to ±``max_rotation`` degrees and zoom-in crops keeping
    ``min_zoom``–100 % of each side, placed anywhere in the photo, as one affine warp (edges
    reflected). The first pass, the plain baseline and the sweep all augment with this.

    Geometry only: colour is a label (a "yellow" robe must stay yellow), so no colour jitter.
    A photo of a garment is taken at any angle and framing; a network that sees only the
    framing of the training photos matches framing and colour instead of shape and motif.
    """
    n = x.shape[0]
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(max_rotation)
    zoom = min_zoom + torch.rand(n, generator=generator) * (1 - min_zoom)
    flip = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
    shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * (1 - zoom)[:, None]
    cos, sin = torch.cos(angle) * zoom, torch.sin(angle) * zoom
    theta = torch.stack([torch.stack([cos * flip, -sin, shift[:, 0]], 1),
                         torch.stack([sin * flip, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta.to(x.device, x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, padding_mode="reflection", align_corners=False)


# _lone: a batch of one photo is skipped. At small sizes (under 64 px) the ResNet's last feature
# map is a single pixel, and batch norm cannot train on one value per channel.


def _load_pixels(data: TrainingData, items: np.ndarray, batch_size: int, cancel) -> torch.Tensor | None:
    """The training photos once, as float16 (half the memory; the CNN sees float32)."""
    parts = []
    for start in range(0, len(items), batch_size):
        if cancel is not None and cancel.is_set():
            return None
        load = need(data.load_images, "the photo loader")
        parts.append(torch.from_numpy(np.asarray(load(items[start:start + batch_size]), dtype=np.float32)).half())
    return torch.cat(parts)


def warmup_items(data: TrainingData, items: np.ndarray) -> np.ndarray:
    """The items the first pass trains on: those with a photo and at least one label."""
    if not len(items):
        return items
    return items[need(data.image_mask, "the photo mask")[items] & (data.labels[items].sum(axis=1) > 0)]


def _objective(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Multi-label: one sigmoid cross-entropy per label, summed over labels, mean over items.

    For single-label data a softmax over the classes is the natural choice, and the first
    version used one against the normalised multi-hot vector; on a faceted scheme that makes
    the labels of one item compete (a robe's "dragon" took probability from its "yellow"),
    so the CNN learnt mostly the easiest facet, colour.
    """
    if bool((targets.sum(dim=1) <= 1).all()):
        return -(targets * F.log_softmax(logits, dim=1)).sum(dim=1).mean()
    return F.binary_cross_entropy_with_logits(logits, targets, reduction="none").sum(dim=1).mean()


def _weight_average(model: nn.Module, decay: float, steps: int):
    """An exponential moving average of the weights (None when ``decay`` is 0).

    A short run averages faster, so that the start's untrained weights keep at most about
    e^-4 (2 %) of the average: 0.99 over 24 steps would still give them 79 %.

    Demo backlog, three seeds, first pass alone (``bench/sweep_first_pass.py``, on an H200):
    typed era names P@10 .40 → .60, category+motif+colour .797 → .809, motif .635 → .653.
    """
    if not decay:
        return None
    decay = min(decay, 1.0 - 4.0 / max(steps, 5))
    swa = torch.optim.swa_utils
    return swa.AveragedModel(model, multi_avg_fn=swa.get_ema_multi_avg_fn(decay))


@torch.no_grad()
def _adopt_average(model: nn.Module, averaged, pixels: torch.Tensor, batch: int, generator: torch.Generator,
                   device: torch.device) -> None:
    """Put the averaged weights into ``model``, with batch-norm statistics recomputed for them
    over one augmented pass of the training photos (averaged weights need their own)."""
    batches = (geometric_augment(pixels[start:start + batch].float(), generator).to(device)
               for start in range(0, len(pixels), batch) if len(pixels) - start >= 2)  # see _lone
    torch.optim.swa_utils.update_bn(batches, averaged.module)
    model.load_state_dict(averaged.module.state_dict())


def warm_up_backbone(backbone: nn.Module, width: int, data: TrainingData, items: np.ndarray, cfg: TrainConfig,
                     device: torch.device, cancel=None, progress: WarmupProgress | None = None,
                     classifier: nn.Linear | None = None, stream: int = 0) -> bool:
    """Train ``backbone`` (pixels → ``width`` pooled features) on the labels of ``items``.

    Only items with a photo and at least one label are used (the caller passes the
    training split, never the validation items). Returns False when cancelled. ``stream``
    picks the random order and augmentations (another CNN of the same run takes another).
    """
    usable = warmup_items(data, items)
    epochs = warmup_epochs(cfg, len(usable))
    if epochs == 0 or len(usable) < 2:
        return True
    pixels = _load_pixels(data, usable, cfg.image_batch_size, cancel)
    if pixels is None:
        return False
    targets = torch.as_tensor(data.labels[usable], dtype=torch.float32)
    generator = torch.Generator().manual_seed(cfg.seed + 17 + 7919 * stream)
    classifier = classifier if classifier is not None else nn.Linear(width, targets.shape[1])
    classifier = classifier.to(device)
    backbone.requires_grad_(True)
    backbone.train()
    params = list(backbone.parameters()) + list(classifier.parameters())
    optimizer = torch.optim.AdamW(params, lr=cfg.warmup_lr, weight_decay=5e-4)
    batch = cfg.warmup_batch_size
    batches = math.ceil(len(usable) / batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg.warmup_lr, total_steps=epochs * batches)
    model = nn.Sequential(backbone, classifier)  # shares the modules: classifier(backbone(x))
    dtype = first_pass_dtype(cfg, device)
    reduced = dtype != torch.float32
    layout = torch.channels_last if reduced else torch.contiguous_format  # what oneDNN's bf16 kernels read
    model.to(memory_format=layout)
    averaged = _weight_average(model, cfg.warmup_ema, epochs * batches)
    try:
        for epoch in range(1, epochs + 1):
            order = torch.randperm(len(usable), generator=generator)
            loss_sum, correct, seen = 0.0, 0, 0
            for b in range(batches):
                if cancel is not None and cancel.is_set():
                    return False
                rows = order[b * batch:(b + 1) * batch]
                if len(rows) < 2:
                    continue  # _lone: batch norm cannot train on one photo (the order changes every epoch)
                x = geometric_augment(pixels[rows].float(), generator).to(device)
                t = targets[rows].to(device)
                with torch.autocast(device.type, dtype=dtype, enabled=reduced):
                    logits = classifier(backbone(x.contiguous(memory_format=layout))).float()
                loss = _objective(logits, t)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                if averaged is not None:
                    averaged.update_parameters(model)
                loss_sum += float(loss.detach()) * len(rows)
                hit = t.gather(1, logits.detach().argmax(dim=1, keepdim=True)).squeeze(1) > 0
                correct += int(hit.sum())
                seen += len(rows)
                if progress is not None:
                    progress(epoch, epochs, b + 1, batches, loss_sum / seen, correct / seen)
        if averaged is not None:
            _adopt_average(model, averaged, pixels, batch, generator, device)
    finally:
        model.to(memory_format=torch.contiguous_format)
        backbone.eval()
        backbone.requires_grad_(False)
    return True
