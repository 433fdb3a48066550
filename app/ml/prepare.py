"""Setting a run up: device, seeds, data-dependent network sizes, the image input."""
from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from app.ml.config import TrainConfig, need
from app.ml.data import TrainingData
from app.ml.inputs import ImageInput, pooled_features
from app.ml.nets import Networks
from app.ml.warmup import WarmupProgress, warm_up_backbone, warmup_epochs, warmup_items

FEATURE_CACHE = "pooled_features.npy"
# The statistics torchvision's pretrained ResNets were trained with; photos are normalised
# with them so that a user-supplied pretrained backbone sees what it expects.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def resolve_device(name: str = "auto") -> torch.device:
    """CUDA when present (for "auto"), else the CPU; an explicit name is taken as given."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def default_stem(device: torch.device | str | None = None, pretrained: bool = False) -> str:
    """The CNN's first layer (``app.ml.backbone``): on a CPU, a network trained from scratch
    gets the space-to-depth stem, which sees twice the resolution at about the same cost; a
    pretrained network keeps the stem its weights were trained with, and so does a GPU (which
    has the compute for 224 px, and where the new stem has not been measured)."""
    device = resolve_device("auto") if device is None else torch.device(device)
    return "unshuffle4" if device.type != "cuda" and not pretrained else "resnet"


def default_image_size(device: torch.device | str | None = None, pretrained: bool = False,
                       stem: str = "resnet") -> int:
    """Photo side length to train at: 224 px on a GPU. On a CPU 96 px for a CNN trained from
    scratch and 128 px for a pretrained one, which was trained on larger photos. At 64 px the
    demo's motifs are a few pixels wide: typed motif names over untagged photos reached P@10
    .48 there, .71 at 96 px (40 first-pass epochs; issue 13). The space-to-depth stem takes
    twice the side at the same cost (192 px on a CPU)."""
    device = resolve_device("auto") if device is None else torch.device(device)
    size = 224 if device.type == "cuda" else 128 if pretrained else 96
    return size * 2 if stem == "unshuffle4" else size


SECOND_BACKBONE = "resnet10"  # the second CNN of a pair (app.ml.backbone.TwinBackbone)
FIRST_SCALE = 0.75  # the first CNN of a pair sees the photo at 3/4 of the second's side: 192 px of 256


TWIN_MAX_PHOTOS = 1000  # above this many labelled training photos a CPU trains one CNN (default_twin)


def default_twin(device: torch.device | str | None = None, pretrained: bool = False, stem: str = "resnet",
                 backbone: str = "resnet18", photos: int | None = None) -> bool:
    """Whether a run gets a second CNN by default: on a CPU, for the default ResNet-18 trained from
    scratch with the space-to-depth stem, on at most ``TWIN_MAX_PHOTOS`` labelled photos, a
    ResNet-10 at 256 px beside the ResNet-18 at 192 px.

    On the demo backlog (270 training photos) their label probabilities averaged ranked typed
    names better than the ResNet-18 alone on every seed, in the first pass and in the product
    (figures in ``app.ml.backbone``), for about twice the training time (first run 219-245 s
    against 113 s; a rerun 286 against 157 s). On clothing-cc0 (1,800 training photos of real garments; ``wenyang bench
    backlog --dataset clothing --seeds 0 --models twocnns,onecnn``, 2026-12-03 19:10-19:55, one
    after the other, alone; the two-CNN run was the default then) two gave typed class names P@10
    .553 against one's .576, photo → same class .580 against .576, and trained in 1010 s against
    470 s: no gain for more than twice the time. So a large collection keeps one CNN; the cut lies between the two
    measured sizes and was not measured itself. A pretrained CNN is one network, and a GPU was not
    measured with two."""
    device = resolve_device("auto") if device is None else torch.device(device)
    small = photos is None or photos <= TWIN_MAX_PHOTOS
    return device.type != "cuda" and not pretrained and stem == "unshuffle4" and backbone == "resnet18" and small


def limit_threads(n: int) -> None:
    """Cap torch's CPU threads (benchmark workers run one each, side by side)."""
    torch.set_num_threads(max(1, int(n)))


def seed_everything(seed: int) -> None:
    """Fix python, numpy and torch (CPU and CUDA) random states."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def resolve_dims(cfg: TrainConfig, data: TrainingData) -> TrainConfig:
    """Fill the data-dependent sizes of the network config from the arrays."""
    return cfg.with_net(
        n_labels=data.labels.shape[1],
        vocab_size=data.texts.shape[1] if data.texts is not None and data.has_texts else None,
        image_input=data.image_input,
        image_feature_dim=data.image_features.shape[1] if data.image_features is not None else None,
    )


def backbone_frozen(cfg: TrainConfig, device: torch.device) -> bool:
    """Freeze the CNN after its first pass (and cache its features) unless asked otherwise,
    on every device. The GPU used to fine-tune a CNN from scratch inside the hashing
    training instead, with no first pass: that path was never measured on the backlog,
    while the first pass is (a GPU runs it in seconds, at 224 px)."""
    return cfg.freeze_backbone if cfg.freeze_backbone is not None else True


def prepare_images(cfg: TrainConfig, data: TrainingData, nets: Networks, device: torch.device,
                   cancel=None, progress: Callable[[int, int], None] | None = None,
                   cache_dir: Path | None = None, reuse_cache: bool = False,
                   train_items: np.ndarray | None = None,
                   warmup_progress: WarmupProgress | None = None) -> ImageInput | None | Literal[False]:
    """The image input for training; False when cancelled while caching CNN features.

    In cached-feature mode the CNN first trains on the labels of ``train_items`` (its
    first pass, ``app.ml.warmup``), then is frozen and run once over every photo.
    Cached features are written to ``cache_dir`` and read back only when resuming
    (``reuse_cache``), where the checkpoint holds the warmed backbone and the same items.
    """
    image_net = nets.image
    if image_net is None:
        return None
    if data.image_features is not None:
        return ImageInput(device, features=data.image_features)
    if not backbone_frozen(cfg, device):
        return ImageInput(device, loader=data.load_images)
    cached = _read_cache(cache_dir, data) if reuse_cache else None
    if cached is None and train_items is not None:
        passes = image_net.first_passes()
        for k, (cnn, width, classifier) in enumerate(passes):
            if not warm_up_backbone(cnn, width, data, np.asarray(train_items), cfg, device, cancel,
                                    _one_of(warmup_progress, k, len(passes)), classifier=classifier, stream=k):
                return False
        trained_on = len(warmup_items(data, np.asarray(train_items)))
        if warmup_epochs(cfg, trained_on) > 0 and trained_on >= 2:
            image_net.adopt_pooled_labels()
    need(image_net.backbone, "the CNN").requires_grad_(False)
    if cached is None:
        items = np.flatnonzero(need(data.image_mask, "the photo mask"))
        pooled = pooled_features(image_net, need(data.load_images, "the photo loader"), items, device,
                                 cfg.image_batch_size, cancel, progress)
        if pooled is None:
            return False
        cached = np.zeros((data.n, pooled.shape[1]), np.float32)
        cached[items] = pooled
        _write_cache(cache_dir, data, cached)
    return ImageInput(device, features=cached)


def _one_of(progress: WarmupProgress | None, k: int, n: int) -> WarmupProgress | None:
    """The ``k``-th of ``n`` first passes reported as one: its epochs follow the earlier passes'."""
    if progress is None or n == 1:
        return progress
    return lambda epoch, epochs, *rest: progress(k * epochs + epoch, n * epochs, *rest)


def _cache_key(data: TrainingData) -> dict:
    mask = need(data.image_mask, "the photo mask")
    return {"n": int(data.n), "with_photo": int(mask.sum()), "mask_sum": int(np.flatnonzero(mask).sum())}


def _read_cache(cache_dir: Path | None, data: TrainingData) -> np.ndarray | None:
    if cache_dir is None or not (cache_dir / FEATURE_CACHE).is_file():
        return None
    key_file = cache_dir / (FEATURE_CACHE + ".json")
    if not key_file.is_file() or json.loads(key_file.read_text()) != _cache_key(data):
        return None
    return np.load(cache_dir / FEATURE_CACHE)


def _write_cache(cache_dir: Path | None, data: TrainingData, features: np.ndarray) -> None:
    if cache_dir is None:
        return
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(cache_dir / FEATURE_CACHE, features)
    (cache_dir / (FEATURE_CACHE + ".json")).write_text(json.dumps(_cache_key(data)))

