"""The SSAH/DCMH networks: LabNet, ImgNet, TxtNet and the two discriminators.

Every modality network ends in the same three outputs: a semantic feature F (width s),
the pre-sign hash layer H = tanh(·) (K bits) and label probabilities L̂ = sigmoid(·) (c).
``build_networks`` is the one factory that turns a ``NetConfig`` into modules.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from app.ml.backbone import POOLED_DIM, TwinBackbone, build_backbone, build_twin, load_backbone_weights
from app.ml.config import NetConfig, need


class HashOutput(NamedTuple):
    features: torch.Tensor  # F: (n, s)
    h: torch.Tensor  # H: (n, K) in (-1, 1), the pre-sign code
    label_probs: torch.Tensor  # L̂: (n, c)


def _activation(name: str) -> nn.Module:
    return {"relu": nn.ReLU(), "tanh": nn.Tanh(), "none": nn.Identity()}[name]


def mlp(in_dim: int, hidden: tuple[int, ...], out_dim: int, dropout: float, last: nn.Module) -> nn.Sequential:
    """Linear → ReLU (→ dropout) for every hidden width, then Linear → ``last``."""
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(in_dim, width), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        in_dim = width
    layers += [nn.Linear(in_dim, out_dim), last]
    return nn.Sequential(*layers)


class HashNet(nn.Module):
    """A trunk producing F, followed by the hash head and the label head."""

    def __init__(self, trunk: nn.Module, cfg: NetConfig):
        super().__init__()
        self.trunk = trunk
        self.hash_head = nn.Linear(cfg.semantic_dim, cfg.bits)
        self.label_head = nn.Linear(cfg.semantic_dim, need(cfg.n_labels, "n_labels"))

    def forward(self, x: torch.Tensor) -> HashOutput:
        feats = self.trunk(x)
        return HashOutput(feats, torch.tanh(self.hash_head(feats)), torch.sigmoid(self.label_head(feats)))


class MultiScaleFusion(nn.Module):
    """SSAH's multi-scale BoW fusion: average pools of several widths, each through a
    learnable 1×1 scale + ReLU, stretched back to the vocabulary width and concatenated."""

    def __init__(self, vocab_size: int, scales: tuple[int, ...]):
        super().__init__()
        self.vocab_size = vocab_size
        self.scales = scales
        self.weight = nn.Parameter(torch.ones(len(scales)))
        self.bias = nn.Parameter(torch.zeros(len(scales)))
        self.out_dim = vocab_size * (1 + len(scales))

    def forward(self, bow: torch.Tensor) -> torch.Tensor:
        parts = [bow]
        for i, width in enumerate(self.scales):
            pooled = F.avg_pool1d(bow.unsqueeze(1), width, width, ceil_mode=True)
            pooled = F.relu(pooled * self.weight[i] + self.bias[i])
            # nearest stretch back to the vocabulary width (repeat each pool `width` times)
            parts.append(pooled.squeeze(1).repeat_interleave(width, dim=1)[:, : self.vocab_size])
        return torch.cat(parts, dim=1)


def build_label_net(cfg: NetConfig) -> HashNet:
    """LabNet: label vector → F^l, H^l, L̂^l."""
    trunk = mlp(need(cfg.n_labels, "n_labels"), cfg.label_hidden, cfg.semantic_dim, cfg.dropout, _activation(cfg.feature_activation))
    return HashNet(trunk, cfg)


def build_text_net(cfg: NetConfig) -> HashNet:
    """TxtNet: BoW / tf-idf vector (optionally multi-scale fused) → F^t, H^t, L̂^t."""
    act = _activation(cfg.feature_activation)
    drop = cfg.branch_dropout("text")
    if cfg.multiscale:
        fusion = MultiScaleFusion(need(cfg.vocab_size, "vocab_size"), cfg.multiscale)
        trunk = nn.Sequential(fusion, mlp(fusion.out_dim, cfg.text_hidden, cfg.semantic_dim, drop, act))
    else:
        trunk = mlp(need(cfg.vocab_size, "vocab_size"), cfg.text_hidden, cfg.semantic_dim, drop, act)
    return HashNet(trunk, cfg)


class ImageNet(HashNet):
    """ImgNet: pixels through a ResNet (``backbone``) or precomputed features, then an MLP
    ``head_trunk`` to F^v and the two heads.  ``features_forward`` skips the CNN so that
    cached pooled features train exactly the same heads.  With ``second_backbone`` the CNN is
    two (``app.ml.backbone.TwinBackbone``), each with its own first-pass classifier."""

    pooled_labels: nn.Linear
    second_labels: nn.Linear | None
    backbone: nn.Module | None
    use_pooled_labels: torch.Tensor

    def __init__(self, cfg: NetConfig):
        pixels = cfg.image_input == "pixels"
        twin = pixels and cfg.second_backbone is not None
        first_dim = POOLED_DIM[cfg.backbone] if pixels else need(cfg.image_feature_dim, "image_feature_dim")
        in_dim = first_dim + POOLED_DIM[need(cfg.second_backbone, "second_backbone")] if twin else first_dim
        act = _activation(cfg.feature_activation)
        super().__init__(mlp(in_dim, cfg.image_hidden, cfg.semantic_dim, cfg.branch_dropout("image"), act), cfg)
        self.head_input_dim = in_dim
        # The CNN's first pass trains this classifier with it (app.ml.warmup); once it has, the
        # label probabilities come from it: trained end to end with the CNN it ranked the demo
        # backlog's photos better than a head fitted later on the frozen features (typed
        # garment names P@10 .77 against .75 after a 20-epoch first pass; issue 13, seed 0).
        with torch.random.fork_rng(devices=[]):  # leave the other layers' seeded start as it was
            n_labels = need(cfg.n_labels, "n_labels")
            self.pooled_labels = nn.Linear(first_dim, n_labels)
            self.second_labels = nn.Linear(in_dim - first_dim, n_labels) if twin else None
        self.register_buffer("use_pooled_labels", torch.zeros((), dtype=torch.bool))
        if twin:
            self.backbone = build_twin(cfg.backbone, need(cfg.second_backbone, "second_backbone"), cfg.stem,
                                       cfg.backbone_scale)
        elif pixels:
            self.backbone = build_backbone(cfg.backbone, cfg.stem)
        else:
            self.backbone = None
        if self.backbone is not None and cfg.backbone_weights:
            load_backbone_weights(self.backbone, cfg.backbone_weights, cfg.backbone)

    def forward(self, x: torch.Tensor) -> HashOutput:
        if self.backbone is not None:
            x = self.backbone(x)
        return self.features_forward(x)

    def features_forward(self, pooled: torch.Tensor) -> HashOutput:
        """The heads only, from pooled CNN features (or the benchmark's feature vectors)."""
        out = super().forward(pooled)
        if not bool(self.use_pooled_labels):
            return out
        return HashOutput(out.features, out.h, self.pooled_probs(pooled))

    def pooled_probs(self, pooled: torch.Tensor) -> torch.Tensor:
        """The first-pass classifiers' label probabilities; with two CNNs, their mean."""
        if self.second_labels is None:
            return torch.sigmoid(self.pooled_labels(pooled))
        cut = self.pooled_labels.in_features
        return (torch.sigmoid(self.pooled_labels(pooled[:, :cut]))
                + torch.sigmoid(self.second_labels(pooled[:, cut:]))) / 2

    def first_passes(self) -> list[tuple[nn.Module, int, nn.Linear]]:
        """(CNN, pooled width, classifier) for each first pass (app.ml.warmup), in feature order."""
        backbone = need(self.backbone, "the CNN")
        if isinstance(backbone, TwinBackbone):
            (first, d1), (second, d2) = backbone.branches()
            return [(first, d1, self.pooled_labels), (second, d2, need(self.second_labels, "second_labels"))]
        return [(backbone, self.head_input_dim, self.pooled_labels)]

    def adopt_pooled_labels(self) -> None:
        """From now on the first pass's classifiers give the label probabilities (frozen)."""
        self.use_pooled_labels.fill_(True)
        self.pooled_labels.requires_grad_(False)
        if self.second_labels is not None:
            self.second_labels.requires_grad_(False)


class Discriminator(nn.Module):
    """D: semantic feature (s) → logit that it came from LabNet (sigmoid applied in the loss)."""

    def __init__(self, cfg: NetConfig):
        super().__init__()
        self.net = mlp(cfg.semantic_dim, cfg.disc_hidden, 1, 0.0, nn.Identity())

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self.net(feats).squeeze(1)


@dataclass
class Networks:
    """The modules of one model; absent branches are None."""

    label: HashNet | None
    image: ImageNet | None
    text: HashNet | None
    disc_image: Discriminator | None
    disc_text: Discriminator | None

    def items(self) -> list[tuple[str, nn.Module]]:
        """(name, module) for every present network, in a fixed order."""
        names = ("label", "image", "text", "disc_image", "disc_text")
        return [(n, getattr(self, n)) for n in names if getattr(self, n) is not None]

    def to(self, device) -> Networks:
        for _, module in self.items():
            module.to(device)
        return self

    def state_dict(self) -> dict[str, dict]:
        return {name: module.state_dict() for name, module in self.items()}

    def load_state_dict(self, states: dict[str, dict]) -> None:
        for name, module in self.items():
            module.load_state_dict(states[name])


def build_networks(cfg: NetConfig, mode: str = "ssah") -> Networks:
    """The factory: every network a mode needs, given a config with its dimensions filled in."""
    if cfg.n_labels is None:
        raise ValueError("NetConfig.n_labels must be set before building networks.")
    ssah = mode == "ssah"
    has_image, has_text = cfg.image_input is not None, cfg.vocab_size is not None
    return Networks(
        label=build_label_net(cfg) if ssah else None,
        image=ImageNet(cfg) if has_image else None,
        text=build_text_net(cfg) if has_text else None,
        disc_image=Discriminator(cfg) if ssah and has_image else None,
        disc_text=Discriminator(cfg) if ssah and has_text else None,
    )
