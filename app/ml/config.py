"""Small configuration records for the hashing networks and their training.

Everything a run needs is in one ``TrainConfig`` (with a nested ``NetConfig``); both turn
into plain dicts (``to_dict``) and back (``from_dict``) so that checkpoints, model cards
and the CLI can store them as JSON.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import TypeVar

T = TypeVar("T")


def need(value: T | None, what: str) -> T:
    """``value``, which the caller's path guarantees is set (the config was resolved against
    the data, the branch exists); a clear error instead of an AttributeError when it is not."""
    if value is None:
        raise ValueError(f"{what} is not set here; the training data or config did not provide it.")
    return value

SUPPORTED_BITS = (16, 32, 64, 128)
MODES = ("ssah", "dcmh")
IMAGE_INPUTS = ("features", "pixels")
BACKBONES = ("resnet10", "resnet18", "resnet50")  # app.ml.backbone.build_backbone
PRECISIONS = ("auto", "float32", "bfloat16")  # the CNN's first pass (app.ml.warmup.first_pass_dtype)
STEMS = ("resnet", "unshuffle4")  # the CNN's first layer (app.ml.backbone.build_backbone)
VAL_PROTOCOLS = ("crossmodal", "unified", "both")


@dataclass
class NetConfig:
    """Shapes of the networks.  Data-dependent sizes (labels, vocabulary, feature width)
    are filled in by ``resolve_dims`` from the training data; None means "no such branch"."""

    bits: int = 64
    semantic_dim: int = 512  # s: width of F^l, F^v, F^t and the discriminators' input
    n_labels: int | None = None
    vocab_size: int | None = None  # None: no text branch
    image_input: str | None = None  # "features", "pixels" or None (no image branch)
    image_feature_dim: int | None = None  # d of precomputed features (image_input="features")
    label_hidden: tuple[int, ...] = (4096,)
    image_hidden: tuple[int, ...] = (1024,)
    text_hidden: tuple[int, ...] = (1024,)
    disc_hidden: tuple[int, ...] = (512, 256)
    multiscale: tuple[int, ...] = ()  # SSAH average-pool widths for the BoW; () = plain MLP
    backbone: str = "resnet18"
    backbone_weights: str | None = None  # a local state-dict file the user names
    stem: str = "resnet"  # the CNN's first layer: "resnet" or "unshuffle4" (app.ml.backbone)
    # a second CNN beside the first (app.ml.backbone.TwinBackbone): it sees the photo as given, the
    # first sees it resized by ``backbone_scale``; pooled features side by side, label probabilities averaged
    second_backbone: str | None = None
    backbone_scale: float = 1.0
    dropout: float = 0.0
    text_dropout: float | None = None  # TxtNet's own dropout (None: ``dropout``)
    image_dropout: float | None = None  # ImgNet head's own dropout (None: ``dropout``)
    # Activation of F.  SSAH uses ReLU, but non-negative features cannot make a dissimilar
    # pair's inner product negative; tanh gave far better validation MAP (Wikipedia, synthetic).
    feature_activation: str = "tanh"

    def branch_dropout(self, branch: str) -> float:
        """Dropout of the "text" or "image" MLP: its own setting, else ``dropout``."""
        own = getattr(self, f"{branch}_dropout")
        return self.dropout if own is None else own

    def __post_init__(self) -> None:
        for name in ("label_hidden", "image_hidden", "text_hidden", "disc_hidden", "multiscale"):
            setattr(self, name, tuple(int(v) for v in getattr(self, name)))
        if self.bits not in SUPPORTED_BITS:
            raise ValueError(f"Code length must be one of {SUPPORTED_BITS} bits, not {self.bits}.")
        if self.image_input not in (None, *IMAGE_INPUTS):
            raise ValueError(f"image_input must be one of {IMAGE_INPUTS} or None.")
        if self.backbone not in BACKBONES:
            raise ValueError(f"backbone must be one of {BACKBONES}, not {self.backbone!r}.")
        if self.stem not in STEMS:
            raise ValueError(f"stem must be one of {STEMS}, not {self.stem!r}.")
        if self.second_backbone is not None and self.second_backbone not in BACKBONES:
            raise ValueError(f"second_backbone must be one of {BACKBONES} or None, not {self.second_backbone!r}.")
        if self.second_backbone is not None and self.backbone_weights:
            raise ValueError("A pretrained weights file fits one CNN; a second CNN beside it trains from scratch "
                             "only without one.")
        if not 0.0 < float(self.backbone_scale) <= 1.0:
            raise ValueError(f"backbone_scale must be in (0, 1], not {self.backbone_scale!r}.")
        if self.backbone_scale != 1.0 and self.second_backbone is None:
            raise ValueError("backbone_scale resizes the photo for the first of two CNNs; set second_backbone too.")
        if self.stem != "resnet" and self.backbone_weights:
            raise ValueError("A pretrained weights file fits the ResNet's own stem; use stem 'resnet' with it.")
        if self.feature_activation not in ("relu", "tanh", "none"):
            raise ValueError("feature_activation must be 'relu', 'tanh' or 'none'.")


@dataclass
class TrainConfig:
    """Losses, optimisation, schedule and split of one training run."""

    net: NetConfig = field(default_factory=NetConfig)
    mode: str = "ssah"
    alpha: float = 1.0  # weight of ||H - B||^2
    label_alpha: float | None = None  # LabNet's own weight of ||H^l - B||^2 (None: alpha)
    label_code_weight: float = 1.0  # B = sign(w·H^l + H^v + H^t)
    beta: float = 1.0  # weight of ||L_hat - L||^2
    gamma: float = 1.0  # SSAH: adversarial weight; DCMH: quantisation weight
    eta: float = 1.0  # DCMH bit-balance weight
    loss_normalisation: str = "terms"  # "terms" or "pairs" (see steps.weighted_total)
    lr_label: float = 1e-3
    lr_image: float = 1e-4
    lr_text: float = 1e-3
    lr_disc: float = 1e-4
    lr_backbone: float = 1e-5  # only when the CNN is fine-tuned (not frozen)
    weight_decay: float = 0.0
    lr_decay: float = 1.0  # multiply every learning rate by this after each epoch
    batch_size: int = 128
    epochs: int = 100
    min_epochs: int = 1
    patience: int = 10  # epochs without a better validation MAP before stopping
    eval_every: int = 1
    val_fraction: float = 0.1
    val_protocol: str = "crossmodal"
    short_text_share: float = 0.0  # share of training texts cut to a few words (typed queries)
    label_steps: int = 1  # passes over the data per epoch for each network
    image_steps: int = 1
    text_steps: int = 1
    disc_steps: int = 1
    # early stopping on "map" (MAP@all), "ndcg" (NDCG@50, graded) or "curator" (NDCG@50 and the
    # label heads' label-ranking MAP: how typed label names rank untagged photos)
    val_metric: str = "map"
    similarity: str = "any"  # S_ij: "any" shared label (METHOD.md), "cosine" or "idf"-weighted cosine
    pair_sample: int | None = None  # cap on the buffered reference side of J (None: all items)
    label_reference: str = "distinct"  # SSAH's LabNet side of J: "distinct" label vectors or "buffer"
    seed: int = 0
    device: str = "auto"  # "auto" (CUDA when present), "cpu", "cuda", "cuda:1" ...
    freeze_backbone: bool | None = None  # None: frozen + cached features (after the first pass)
    image_batch_size: int = 32  # batch for running the CNN over photos
    # The CNN's first pass (app.ml.warmup) before it is frozen: None = 40 epochs for a
    # backbone from scratch, 0 with pretrained weights; only in cached-feature mode.
    warmup_epochs: int | None = None
    warmup_lr: float = 2e-3
    warmup_batch_size: int = 32  # twice the steps of 64 per epoch: better features in the same time
    warmup_ema: float = 0.99  # the first pass keeps this moving average of its weights (0: the last weights)
    # the first pass's arithmetic: "auto" (bfloat16 on a CPU with bfloat16 units, else float32),
    # "float32" or "bfloat16" (app.ml.warmup.first_pass_dtype)
    warmup_precision: str = "auto"

    def __post_init__(self) -> None:
        if isinstance(self.net, dict):
            self.net = NetConfig(**self.net)
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}.")
        if self.val_protocol not in VAL_PROTOCOLS:
            raise ValueError(f"val_protocol must be one of {VAL_PROTOCOLS}.")
        if self.val_metric not in ("map", "ndcg", "curator"):
            raise ValueError("val_metric must be 'map', 'ndcg' or 'curator'.")
        if self.similarity not in ("any", "cosine", "idf"):
            raise ValueError("similarity must be 'any', 'cosine' or 'idf'.")
        if self.label_reference not in ("distinct", "buffer"):
            raise ValueError("label_reference must be 'distinct' or 'buffer'.")
        if self.loss_normalisation not in ("terms", "pairs"):
            raise ValueError("loss_normalisation must be 'terms' or 'pairs'.")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError("val_fraction must be in [0, 1).")
        if not 0.0 <= self.warmup_ema < 1.0:
            raise ValueError("warmup_ema must be in [0, 1).")
        if self.warmup_precision not in PRECISIONS:
            raise ValueError(f"warmup_precision must be one of {PRECISIONS}, not {self.warmup_precision!r}.")

    def to_dict(self) -> dict:
        """A JSON-ready dict (tuples become lists)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """Inverse of ``to_dict``; unknown keys are an error so typos do not pass silently."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"Unknown training options: {sorted(unknown)}")
        return cls(**data)

    def with_net(self, **changes) -> TrainConfig:
        """A copy with some network options replaced."""
        return replace(self, net=replace(self.net, **changes))


def as_config(config: TrainConfig | dict | None) -> TrainConfig:
    """Accept a TrainConfig, a plain dict (possibly with a nested ``net`` dict) or None."""
    if config is None:
        return TrainConfig()
    if isinstance(config, TrainConfig):
        return config
    return TrainConfig.from_dict(dict(config))
