"""ONNX export of trained networks plus the JSON model card.

Each present network (LabNet, ImgNet, TxtNet) becomes one ONNX file with a dynamic batch
(and dynamic height/width for pixel input) and two outputs: ``h``, the pre-sign code, and
``label_probs``, the label head. The discriminators are training-only and are not exported.
The folder is written next to its final place and renamed, so a failed export leaves nothing.
"""
from __future__ import annotations

import datetime as _dt
import json
import shutil
import warnings
from pathlib import Path

import torch
from torch import nn

from app.ml.config import NetConfig, TrainConfig
from app.ml.events import TrainResult
from app.ml.nets import Networks

CARD = "card.json"
OPSET = 17


class _Heads(nn.Module):
    """Wraps a network so the graph returns exactly (h, label_probs)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor):
        out = self.net(x)
        return out.h, out.label_probs


def _inputs(nets: Networks, cfg: NetConfig) -> dict[str, tuple[nn.Module, str, torch.Tensor, dict]]:
    """(module, input name, example input, dynamic axes of the input) per modality."""
    out = {}
    if nets.label is not None:
        out["label"] = (nets.label, "labels", torch.zeros(2, cfg.n_labels), {0: "batch"})
    if nets.text is not None:
        out["text"] = (nets.text, "texts", torch.zeros(2, cfg.vocab_size), {0: "batch"})
    if nets.image is not None:
        if nets.image.backbone is not None:
            out["image"] = (nets.image, "pixels", torch.zeros(2, 3, 64, 64),
                            {0: "batch", 2: "height", 3: "width"})
        else:
            out["image"] = (nets.image, "features", torch.zeros(2, nets.image.head_input_dim), {0: "batch"})
    return out


def export_network(net: nn.Module, input_name: str, example: torch.Tensor, axes: dict, path: Path) -> None:
    """Export one network to ``path`` (TorchScript-based exporter; dynamic axes as given)."""
    net = net.cpu().eval()
    wrapper = _Heads(net).eval()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapper, (example,), str(path), input_names=[input_name],
                          output_names=["h", "label_probs"],
                          dynamic_axes={input_name: axes, "h": {0: "batch"}, "label_probs": {0: "batch"}},
                          opset_version=OPSET, dynamo=False)


def export_model(result: TrainResult, folder: str | Path, card_extra: dict | None = None) -> dict:
    """Write every network of a training run and ``card.json`` into ``folder``; returns the card."""
    if result.networks is None:
        raise ValueError("This training run has no networks to export (it was cancelled early).")
    facts = _training_facts(result) | (card_extra or {})
    return export_networks(result.networks, result.config, folder, facts)


def export_networks(nets: Networks, config: TrainConfig, folder: str | Path,
                    card_extra: dict | None = None) -> dict:
    """Export LabNet, ImgNet and TxtNet (those present) with a model card into ``folder``."""
    folder = Path(folder)
    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        files = {}
        for modality, (net, name, example, axes) in _inputs(nets, config.net).items():
            files[modality] = {"file": f"{modality}.onnx", "input": name}
            export_network(net, name, example, axes, staging / f"{modality}.onnx")
        card = _card(config, folder.name, files) | (card_extra or {})
        (staging / CARD).write_text(json.dumps(card, ensure_ascii=False, indent=1), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return card


def _card(cfg: TrainConfig, model_id: str, files: dict) -> dict:
    import onnx

    return {
        "format": "wenyang-model",
        "format_version": 1,
        "id": model_id,
        "bits": cfg.net.bits,
        "mode": cfg.mode,
        "networks": files,
        "image_input": cfg.net.image_input,
        "backbone": cfg.net.backbone if cfg.net.image_input == "pixels" else None,
        "config": cfg.to_dict(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": {"torch": torch.__version__, "onnx": onnx.__version__, "opset": OPSET},
    }


def _training_facts(result: TrainResult) -> dict:
    return {
        "training_size": result.n_train,
        "validation": {"map": result.val_map, **result.val_detail,
                       "best_epoch": result.best_epoch, "epochs_run": result.epochs_run},
        "device": result.device,
        "wall_s": round(result.wall_s, 1),
    }
