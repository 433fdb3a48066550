"""ONNX export of trained networks plus the JSON model card, in one model folder.

Each present network (LabNet, ImgNet, TxtNet) becomes one ONNX file with a dynamic batch
(and dynamic height/width for pixel input) and two outputs: ``h``, the pre-sign code
(tanh, float32; the code is +1 where h > 0, else −1), and ``label_probs``, the label head.
A pixel ImgNet is also exported heads-only as ``image_features`` (pooled CNN features in),
so cached features can be re-encoded without the CNN.  The discriminators are
training-only and are not exported.  The folder is written next to its final place and
renamed, so a failed export leaves nothing.
"""
from __future__ import annotations

import contextlib
import io
import json
import shutil
import warnings
from pathlib import Path
from typing import Any, cast

import torch
from torch import nn

from app.core.models import ModelCard
from app.core.tempfiles import owner_tag
from app.ml.card import card_for, training_facts
from app.ml.config import NetConfig, TrainConfig, need
from app.ml.events import TrainResult
from app.ml.nets import Networks

CARD = "card.json"
OPSET = 17
EXPORTERS = ("torchscript", "dynamo")


class _Heads(nn.Module):
    """Wraps a network so the graph returns exactly (h, label_probs)."""

    net: nn.Module

    def __init__(self, net: nn.Module, heads_only: bool = False):
        super().__init__()
        self.net, self.heads_only = net, heads_only

    def forward(self, x: torch.Tensor):
        out = self.net.features_forward(x) if self.heads_only else self.net(x)  # type: ignore[operator]
        return out.h, out.label_probs


def _inputs(nets: Networks, cfg: NetConfig) -> dict[str, tuple[nn.Module, str, torch.Tensor, dict, bool]]:
    """(module, input name, example input, dynamic axes, heads_only) per exported network."""
    out: dict[str, tuple[nn.Module, str, torch.Tensor, dict, bool]] = {}
    if nets.label is not None:
        out["label"] = (nets.label, "labels", torch.zeros(2, need(cfg.n_labels, "n_labels")), {0: "batch"}, False)
    if nets.text is not None:
        out["text"] = (nets.text, "texts", torch.zeros(2, need(cfg.vocab_size, "vocab_size")), {0: "batch"}, False)
    if nets.image is not None:
        pooled = (nets.image, "features", torch.zeros(2, nets.image.head_input_dim), {0: "batch"}, True)
        if nets.image.backbone is not None:
            out["image"] = (nets.image, "pixels", torch.zeros(2, 3, 64, 64),
                            {0: "batch", 2: "height", 3: "width"}, False)
            out["image_features"] = pooled
        else:
            out["image"] = pooled
    return out


def export_network(net: nn.Module, input_name: str, example: torch.Tensor, axes: dict, path: Path,
                   heads_only: bool = False, exporter: str = "torchscript") -> None:
    """Export one network to ``path`` with the given dynamic axes.

    "torchscript" is the default because it exports a ResNet-18 in about a second where
    the dynamo exporter takes 5–15 s on a 2-core CPU; both give the same graph outputs
    (tests check both against torch).  Exporter chatter is kept off the console.
    """
    if exporter not in EXPORTERS:
        raise ValueError(f"exporter must be one of {EXPORTERS}")
    wrapper = _Heads(net.cpu().eval(), heads_only).eval()
    if exporter == "dynamo":
        dims = {k: torch.export.Dim(v, min=16 if k else 1) for k, v in axes.items()}
        kwargs: dict[str, Any] = {"dynamo": True, "dynamic_shapes": {"x": dims}, "optimize": False}
    else:
        kwargs = {"dynamo": False, "dynamic_axes": {input_name: axes, "h": {0: "batch"},
                                                    "label_probs": {0: "batch"}}}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapper, (example,), str(path), input_names=[input_name],
                          output_names=["h", "label_probs"], opset_version=OPSET, **kwargs)


def export_model(result: TrainResult, folder: str | Path, card_extra: dict | None = None, *,
                 label_ids: list[str] | None = None, scheme_fingerprint: str | None = None,
                 vocabulary: dict | None = None, preprocessing: dict | None = None,
                 exporter: str = "torchscript") -> ModelCard:
    """Write every network of a training run and ``card.json`` into ``folder``; return the card.

    ``label_ids``: stable label ids in the order of the label vector; ``scheme_fingerprint``:
    the label scheme they come from (the runtime refuses a model trained on another);
    ``vocabulary``: stored verbatim for the text encoder; ``preprocessing``: {size, mean,
    std} of the photos.  The same keys may come in ``card_extra`` instead.
    """
    if result.networks is None:
        raise ValueError("This training run has no networks to export (it was cancelled early).")
    given = {"label_ids": label_ids, "scheme_fingerprint": scheme_fingerprint,
             "vocabulary": vocabulary, "preprocessing": preprocessing}
    facts = training_facts(result) | {k: v for k, v in given.items() if v is not None} | (card_extra or {})
    return export_networks(result.networks, result.config, folder, facts, exporter=exporter)


def export_networks(nets: Networks, config: TrainConfig, folder: str | Path,
                    card_extra: dict | None = None, exporter: str = "torchscript") -> ModelCard:
    """Export LabNet, ImgNet and TxtNet (those present) with a model card into ``folder``."""
    folder = Path(folder)
    # the owner tag lets a later run tell a killed export's leftover from a live one
    staging = folder.with_name(folder.name + owner_tag() + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        files = {}
        for modality, (net, name, example, axes, heads_only) in _inputs(nets, config.net).items():
            files[modality] = {"file": f"{modality}.onnx", "input": name}
            export_network(net, name, example, axes, staging / f"{modality}.onnx", heads_only, exporter)
        card = cast(ModelCard, card_for(config, folder.name, files, exporter, OPSET) | (card_extra or {}))
        _check_card(card, config)
        (staging / CARD).write_text(json.dumps(card, ensure_ascii=False, indent=1), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return card


def _check_card(card: ModelCard, config: TrainConfig) -> None:
    ids = card.get("label_ids")
    if ids is not None and len(ids) != config.net.n_labels:
        raise ValueError(f"{len(ids)} label ids given, but the model predicts {config.net.n_labels} labels.")
