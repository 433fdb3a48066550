"""The CNN's first pass: a backbone from scratch learns from the labels before it is frozen."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from app.ml.backbone import build_backbone
from app.ml.config import NetConfig, TrainConfig
from app.ml.data import TrainingData
from app.ml.warmup import warm_up_backbone, warmup_epochs


def striped(n: int, size: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Class 0: horizontal stripes, class 1: vertical, in random colours and phases, with
    noise — the class is in the texture's orientation, not in any colour."""
    rng = np.random.default_rng(seed)
    classes = rng.integers(0, 2, n)
    grid = np.arange(size)
    photos = np.empty((n, 3, size, size), np.float32)
    for i, c in enumerate(classes):
        period, phase = rng.integers(3, 7), rng.integers(0, 6)
        wave = (((grid + phase) // period) % 2).astype(np.float32)
        pattern = np.tile(wave[:, None], (1, size)) if c == 0 else np.tile(wave[None, :], (size, 1))
        colour = rng.standard_normal((3, 1, 1)).astype(np.float32)
        photos[i] = pattern[None] * colour + 0.3 * rng.standard_normal((3, size, size))
    labels = np.eye(2, dtype=np.float32)[classes]
    return photos, labels


def nearest_neighbour_accuracy(features: np.ndarray, classes: np.ndarray) -> float:
    """Leave-one-out 1-NN accuracy by cosine similarity."""
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    sim = unit @ unit.T
    np.fill_diagonal(sim, -np.inf)
    return float((classes[sim.argmax(axis=1)] == classes).mean())


@torch.no_grad()
def pooled(backbone, photos: np.ndarray) -> np.ndarray:
    backbone.eval()
    return backbone(torch.from_numpy(photos)).numpy()


@pytest.mark.slow
def test_first_pass_makes_the_features_separate_what_the_labels_separate():
    torch.manual_seed(0)
    photos, labels = striped(160)
    classes = labels.argmax(axis=1)
    data = TrainingData(labels=labels, load_images=lambda idx: photos[np.asarray(idx)])
    backbone = build_backbone("resnet18")
    before = nearest_neighbour_accuracy(pooled(backbone, photos[120:]), classes[120:])
    seen = []
    cfg = TrainConfig(warmup_epochs=6, warmup_batch_size=32, seed=0)
    done = warm_up_backbone(backbone, 512, data, np.arange(120), cfg, torch.device("cpu"),
                            progress=lambda *event: seen.append(event))
    after = nearest_neighbour_accuracy(pooled(backbone, photos[120:]), classes[120:])
    assert done is True
    assert after > before + 0.15 and after >= 0.8, (before, after)
    assert seen[-1][:4] == (6, 6, 4, 4)  # epoch 6 of 6, batch 4 of 4 (120 items / 32)
    assert not any(p.requires_grad for p in backbone.parameters()) and not backbone.training


def test_first_pass_skips_unlabelled_and_photo_less_items_and_honours_cancel():
    photos, labels = striped(40)
    labels[:10] = 0  # unlabelled
    mask = np.ones(40, bool)
    mask[10:20] = False  # no photo
    read = []

    def load(idx):
        read.extend(np.asarray(idx).tolist())
        return photos[np.asarray(idx)]

    data = TrainingData(labels=labels, load_images=load, image_mask=mask)
    backbone = build_backbone("resnet18")
    cfg = TrainConfig(warmup_epochs=1, warmup_batch_size=8)
    assert warm_up_backbone(backbone, 512, data, np.arange(40), cfg, torch.device("cpu"))
    assert sorted(read) == list(range(20, 40))
    cancel = threading.Event()
    cancel.set()
    assert warm_up_backbone(backbone, 512, data, np.arange(40), cfg, torch.device("cpu"), cancel=cancel) is False


def test_first_pass_length_defaults_to_six_epochs_from_scratch_and_none_when_pretrained():
    assert warmup_epochs(TrainConfig()) == 40
    assert warmup_epochs(TrainConfig(), 250) == 40  # a demo-sized collection: all 40
    assert warmup_epochs(TrainConfig(), 1000) == 36 and warmup_epochs(TrainConfig(), 1800) == 20
    assert warmup_epochs(TrainConfig(), 3600) == 10 and warmup_epochs(TrainConfig(), 100_000) == 6
    assert warmup_epochs(TrainConfig(net=NetConfig(backbone_weights="/some/resnet18.pth"))) == 0
    assert warmup_epochs(TrainConfig(warmup_epochs=2)) == 2
    assert warmup_epochs(TrainConfig(warmup_epochs=0)) == 0


@pytest.mark.slow
def test_after_the_first_pass_its_classifier_names_the_labels_in_the_exported_model(tmp_path):
    from app.ml.export import export_model
    from app.ml.train import train
    from app.runtime.model import load_model

    torch.manual_seed(0)
    photos, labels = striped(96)
    data = TrainingData(labels=labels, load_images=lambda idx: photos[np.asarray(idx)])
    cfg = TrainConfig(net=NetConfig(bits=16, semantic_dim=32, image_hidden=(32,), label_hidden=(32,)),
                      epochs=2, warmup_epochs=6, warmup_batch_size=32, batch_size=32, seed=0, device="cpu")
    result = train(data, cfg)
    image = result.networks.image
    assert bool(image.use_pooled_labels) and not image.pooled_labels.weight.requires_grad
    with torch.no_grad():
        out = image(torch.from_numpy(photos[:8]))
        direct = torch.sigmoid(image.pooled_labels(image.backbone(torch.from_numpy(photos[:8]))))
    assert torch.allclose(out.label_probs, direct, atol=1e-6)
    card = export_model(result, tmp_path / "m", {"label_ids": ["h", "v"], "scheme_fingerprint": "x",
                                                 "preprocessing": {"size": 32}})
    model = load_model(tmp_path / "m")
    model.card["calibration"] = {}
    onnx_probs = model.run("image", photos[:8], mirror=False)[1]
    assert np.allclose(onnx_probs, direct.numpy(), atol=1e-4) and card["networks"]
    # the classifier learnt the stripes: most held-in photos get their own class as the likelier
    # (over all 96: 8 photos swung with the CPU's arithmetic, .625 on one machine; 4 first-pass
    # epochs gave .80 over the 96 there, 6 epochs .95)
    every = model.run("image", photos, mirror=False)[1]
    assert (every.argmax(axis=1) == labels.argmax(axis=1)).mean() >= 0.75


@pytest.mark.slow
def test_first_pass_keeps_the_moving_average_of_its_weights_with_batch_norm_statistics_for_it():
    photos, labels = striped(64)
    data = TrainingData(labels=labels, load_images=lambda idx: photos[np.asarray(idx)])
    finals = {}
    for ema in (0.0, 0.9):
        torch.manual_seed(0)
        backbone = build_backbone("resnet18")
        classifier = torch.nn.Linear(512, labels.shape[1])
        cfg = TrainConfig(warmup_epochs=2, warmup_batch_size=16, warmup_ema=ema, seed=0)
        assert warm_up_backbone(backbone, 512, data, np.arange(64), cfg, torch.device("cpu"), classifier=classifier)
        finals[ema] = (backbone.state_dict(), classifier.weight.detach().clone())
    plain, averaged = finals[0.0], finals[0.9]
    # same seed, same batches: only the averaging differs, and it reaches every layer
    assert not torch.equal(plain[1], averaged[1])
    assert not torch.equal(plain[0]["layer4.1.conv2.weight"], averaged[0]["layer4.1.conv2.weight"])
    mean = averaged[0]["bn1.running_mean"]
    assert torch.isfinite(mean).all() and not torch.equal(mean, plain[0]["bn1.running_mean"])
    with pytest.raises(ValueError, match="warmup_ema"):
        TrainConfig(warmup_ema=1.0)


def test_a_lone_photo_in_the_last_batch_does_not_stop_the_first_pass():
    """9 photos in batches of 8 leave one alone; at 32 px the ResNet's last feature map is one
    pixel, and batch norm cannot train on a single value per channel (it raised ValueError)."""
    photos, labels = striped(9)
    data = TrainingData(labels=labels, load_images=lambda idx: photos[np.asarray(idx)], image_mask=np.ones(9, bool))
    # with the weight average, whose batch-norm statistics are recomputed in batches too
    cfg = TrainConfig(warmup_epochs=1, warmup_batch_size=8, warmup_ema=0.99)
    assert warm_up_backbone(build_backbone("resnet18"), 512, data, np.arange(9), cfg, torch.device("cpu"))


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_first_pass_learns_in_either_precision_and_leaves_plain_float32_weights(precision):
    """bfloat16 autocast (the default on a CPU with bfloat16 units): the convolutions run in
    bfloat16, the weights stay float32, and the network comes back in the usual memory layout
    (the export and the feature cache read it as any other). Without the weight average, whose
    batch-norm statistics are recomputed in float32 for the float32 network that runs later."""
    torch.manual_seed(0)
    photos, labels = striped(160)
    classes = labels.argmax(axis=1)
    data = TrainingData(labels=labels, load_images=lambda idx: photos[np.asarray(idx)])
    backbone = build_backbone("resnet18")
    seen_dtypes = set()
    hook = backbone.layer1.register_forward_hook(
        lambda module, args, out: seen_dtypes.add(out.dtype) if module.training else None)
    cfg = TrainConfig(warmup_epochs=6, warmup_batch_size=32, seed=0, warmup_precision=precision, warmup_ema=0.0)
    try:
        assert warm_up_backbone(backbone, 512, data, np.arange(120), cfg, torch.device("cpu"))
    finally:
        hook.remove()
    assert seen_dtypes == {getattr(torch, precision)}
    assert all(p.dtype == torch.float32 and p.is_contiguous() for p in backbone.parameters())
    assert nearest_neighbour_accuracy(pooled(backbone, photos[120:]), classes[120:]) >= 0.8


def test_first_pass_precision_is_bfloat16_only_where_the_cpu_has_bfloat16_units():
    from app.ml.warmup import bfloat16_units, first_pass_dtype

    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    auto = TrainConfig()
    assert first_pass_dtype(auto, cpu) == (torch.bfloat16 if bfloat16_units() else torch.float32)
    assert first_pass_dtype(auto, gpu) == torch.float32  # a GPU's first pass was not measured in bfloat16
    assert first_pass_dtype(TrainConfig(warmup_precision="float32"), cpu) == torch.float32
    assert first_pass_dtype(TrainConfig(warmup_precision="bfloat16"), cpu) == torch.bfloat16
    with pytest.raises(ValueError, match="warmup_precision"):
        TrainConfig(warmup_precision="float16")


@pytest.mark.slow
def test_two_cnns_each_take_a_first_pass_and_their_classifiers_probabilities_are_averaged(tmp_path):
    from app.ml.export import export_model
    from app.ml.train import train
    from app.runtime.model import load_model

    torch.manual_seed(0)
    photos, labels = striped(48)
    data = TrainingData(labels=labels, load_images=lambda idx: photos[np.asarray(idx)])
    net = NetConfig(bits=16, semantic_dim=32, image_hidden=(32,), label_hidden=(32,),
                    second_backbone="resnet10", backbone_scale=0.75)
    cfg = TrainConfig(net=net, epochs=1, warmup_epochs=2, warmup_batch_size=16, batch_size=16, seed=0, device="cpu")
    events = []
    result = train(data, cfg, progress=lambda e: events.append(e) if e.kind == "warmup" else None)
    image = result.networks.image
    # one progress bar over both passes: epochs 1..4 of 4, never going back
    epochs = [e.epoch for e in events]
    assert epochs == sorted(epochs) and epochs[-1] == 4 and {e.epochs for e in events} == {4}
    (first, d1, c1), (second, d2, c2) = image.first_passes()
    assert (d1, d2) == (512, 512) and image.head_input_dim == 1024
    assert c1 is image.pooled_labels and c2 is image.second_labels
    assert not c1.weight.requires_grad and not c2.weight.requires_grad
    seen = []
    hook = first[1].conv1.register_forward_hook(lambda m, args, out: seen.append(args[0].shape[-1]))
    x = torch.from_numpy(photos[:8])
    with torch.no_grad():
        out = image(x)
        one, two = torch.sigmoid(c1(first(x))), torch.sigmoid(c2(second(x)))
    hook.remove()
    assert seen[0] == 24  # the first CNN sees 3/4 of the 32-px photo
    assert torch.allclose(out.label_probs, (one + two) / 2, atol=1e-6)
    assert not torch.allclose(one, two, atol=1e-3)  # two networks, not one twice
    export_model(result, tmp_path / "m", {"label_ids": ["h", "v"], "scheme_fingerprint": "x",
                                          "preprocessing": {"size": 32}})
    model = load_model(tmp_path / "m")
    model.card["calibration"] = {}
    onnx_probs = model.run("image", photos[:8], mirror=False)[1]
    assert np.allclose(onnx_probs, out.label_probs.numpy(), atol=1e-4)


def test_a_second_cnn_is_refused_with_a_weights_file_and_a_scale_needs_it():
    assert NetConfig(second_backbone="resnet10", backbone_scale=0.75).second_backbone == "resnet10"
    with pytest.raises(ValueError, match="second_backbone must be one of"):
        NetConfig(second_backbone="vgg16")
    with pytest.raises(ValueError, match="fits one CNN"):
        NetConfig(second_backbone="resnet10", backbone_weights="resnet18.pth")
    with pytest.raises(ValueError, match="set second_backbone"):
        NetConfig(backbone_scale=0.75)
    with pytest.raises(ValueError, match="backbone_scale must be"):
        NetConfig(second_backbone="resnet10", backbone_scale=1.5)
