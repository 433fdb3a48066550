"""Photos through the ResNet: a named weights file, the frozen (cached) and fine-tuned CNN."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision

from app.ml.train import train
from tests.ml.synthetic import labelled_items, photos_for, tiny_config


def _photo_data(n: int = 48) -> dict:
    items = labelled_items(n=n)
    return {"labels": items["labels"], "texts": items["texts"], "load_images": photos_for(items["labels"])}


def _weights_file(tmp_path):
    torch.manual_seed(3)
    pretrained = torchvision.models.resnet18(weights=None).state_dict()
    path = tmp_path / "my-resnet18.pth"
    torch.save(pretrained, path)
    return path, pretrained


def test_a_named_weights_file_initialises_the_cnn_and_stays_frozen_on_cpu(tmp_path):
    path, pretrained = _weights_file(tmp_path)
    result = train(_photo_data(), tiny_config(epochs=1, net={"backbone_weights": str(path)}))
    backbone = result.networks.image.backbone.state_dict()
    for key in ("conv1.weight", "layer4.1.bn2.running_mean", "layer2.0.downsample.0.weight"):
        assert torch.equal(backbone[key], pretrained[key]), key
    assert result.config.net.backbone_weights == str(path)


def test_fine_tuning_trains_the_cnn_too(tmp_path):
    path, pretrained = _weights_file(tmp_path)
    before = pretrained["layer1.0.conv1.weight"]
    result = train(_photo_data(32), tiny_config(epochs=1, freeze_backbone=False, batch_size=16,
                                                lr_backbone=1e-3, net={"backbone_weights": str(path)}))
    after = result.networks.image.backbone.state_dict()["layer1.0.conv1.weight"]
    assert result.image_features is None  # nothing cached: every batch ran the CNN
    assert before.shape == after.shape and not torch.equal(before, after)
    assert np.isfinite(result.history[-1]["losses"]["image"])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (none on this machine)")
def test_training_on_a_gpu_finishes_with_calibrated_heads_and_cpu_networks():
    # calibration once ran after the networks had moved to the CPU, so every CUDA training failed
    result = train(_photo_data(32), tiny_config(epochs=1, device="cuda", batch_size=16, warmup_epochs=1))
    assert result.device.startswith("cuda")
    assert result.calibration  # the heads' temperatures were fitted on the GPU
    assert all(p.device.type == "cpu" for _, m in result.networks.items() for p in m.parameters())
