"""Networks from configs, and pretrained backbones from a local file only."""
from __future__ import annotations

import pytest
import torch
import torchvision

from app.core.errors import ModelMismatchError
from app.ml.config import NetConfig, TrainConfig, as_config
from app.ml.nets import ImageNet, build_networks


def small(**changes) -> NetConfig:
    base = dict(bits=32, semantic_dim=24, n_labels=5, vocab_size=40, image_input="features",
                image_feature_dim=12, label_hidden=(16,), image_hidden=(16,), text_hidden=(16,),
                disc_hidden=(8,))
    return NetConfig(**{**base, **changes})


def test_ssah_has_every_network_and_the_right_output_shapes():
    nets = build_networks(small(), "ssah")
    assert [name for name, _ in nets.items()] == ["label", "image", "text", "disc_image", "disc_text"]
    out = nets.image(torch.randn(7, 12))
    assert out.features.shape == (7, 24) and out.h.shape == (7, 32) and out.label_probs.shape == (7, 5)
    assert out.h.abs().max() < 1 and ((out.label_probs > 0) & (out.label_probs < 1)).all()
    assert nets.disc_text(out.features).shape == (7,)


def test_dcmh_has_no_label_network_and_no_discriminators():
    nets = build_networks(small(), "dcmh")
    assert [name for name, _ in nets.items()] == ["image", "text"]


def test_missing_modalities_build_no_branch():
    nets = build_networks(small(vocab_size=None), "ssah")
    assert nets.text is None and nets.disc_text is None and nets.image is not None


def test_multiscale_text_fusion_keeps_any_vocabulary_width():
    nets = build_networks(small(vocab_size=37, multiscale=(2, 5, 10)), "ssah")
    assert nets.text(torch.rand(3, 37)).h.shape == (3, 32)


def test_configs_validate_and_round_trip():
    with pytest.raises(ValueError, match="16, 32, 64, 128"):
        NetConfig(bits=24)
    with pytest.raises(ValueError, match="Unknown training options"):
        TrainConfig.from_dict({"alpah": 1.0})
    cfg = TrainConfig(net=small(multiscale=(2, 3)), mode="dcmh", gamma=0.5)
    again = as_config(cfg.to_dict())
    assert again == cfg and again.net.multiscale == (2, 3)


def _resnet18_file(tmp_path, seed: int = 7, **edit) -> str:
    torch.manual_seed(seed)
    state = torchvision.models.resnet18(weights=None).state_dict()  # fc.* included, as in torchvision files
    state.update(edit)
    path = tmp_path / "resnet18-local.pth"
    torch.save(state, path)
    return str(path)


def test_a_pretrained_backbone_file_is_loaded_into_the_network(tmp_path):
    path = _resnet18_file(tmp_path)
    saved = torch.load(path, weights_only=True)
    torch.manual_seed(0)
    scratch = ImageNet(small(image_input="pixels"))
    torch.manual_seed(0)
    loaded = ImageNet(small(image_input="pixels", backbone_weights=path))
    key = "layer1.0.conv1.weight"
    assert not torch.equal(scratch.backbone.state_dict()[key], saved[key])
    assert torch.equal(loaded.backbone.state_dict()[key], saved[key])
    assert torch.equal(loaded.backbone.state_dict()["bn1.running_var"], saved["bn1.running_var"])


def test_a_backbone_file_of_another_shape_is_refused_clearly(tmp_path):
    path = _resnet18_file(tmp_path, **{"conv1.weight": torch.zeros(64, 4, 7, 7)})
    with pytest.raises(ModelMismatchError, match=r"does not fit a resnet18: conv1.weight has shape \(64, 4, 7, 7\)"):
        ImageNet(small(image_input="pixels", backbone_weights=path))


def test_a_missing_or_foreign_weights_file_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageNet(small(image_input="pixels", backbone_weights=str(tmp_path / "nope.pth")))
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a torch file")
    with pytest.raises(ModelMismatchError, match="cannot be read"):
        ImageNet(small(image_input="pixels", backbone_weights=str(junk)))
    partial = tmp_path / "partial.pth"
    torch.save({"conv1.weight": torch.zeros(64, 3, 7, 7)}, partial)
    with pytest.raises(ModelMismatchError, match="bn1.weight is missing"):
        ImageNet(small(image_input="pixels", backbone_weights=str(partial)))


def _dropouts(module: torch.nn.Module) -> list[float]:
    return [m.p for m in module.modules() if isinstance(m, torch.nn.Dropout)]


def test_each_branch_may_have_its_own_dropout():
    nets = build_networks(small(dropout=0.1, text_dropout=0.5, image_dropout=0.0), "ssah")
    assert _dropouts(nets.text) == [0.5]
    assert _dropouts(nets.image) == []
    assert _dropouts(nets.label) == [0.1]
    plain = build_networks(small(dropout=0.2), "ssah")
    assert _dropouts(plain.text) == _dropouts(plain.image) == _dropouts(plain.label) == [0.2]


def test_the_space_to_depth_stem_sees_every_pixel_on_the_grid_of_a_half_size_photo():
    from app.ml.backbone import build_backbone

    torch.manual_seed(0)
    plain, detail = build_backbone("resnet18").eval(), build_backbone("resnet18", "unshuffle4").eval()
    x = torch.randn(2, 3, 192, 192)
    grid = lambda net, pixels: net.maxpool(net.relu(net.bn1(net.conv1(pixels)))).shape[-2:]  # noqa: E731
    assert grid(detail, x) == grid(plain, x[..., ::2, ::2]) == (24, 24)
    assert detail(x).shape == (2, 512)
    y = x.clone()
    y[0, :, 1, 1] += 5.0  # a pixel the stride-2 view of a half-size photo would never see
    with torch.no_grad():
        assert not torch.allclose(detail.conv1(x)[0], detail.conv1(y)[0])
    with pytest.raises(ValueError, match="stem"):
        build_backbone("resnet18", "pixelshuffle")


def test_pretrained_weights_go_with_the_resnet_stem_and_the_cpu_default_is_the_detail_stem():
    from app.ml.prepare import default_image_size, default_stem

    with pytest.raises(ValueError, match="ResNet's own stem"):
        NetConfig(stem="unshuffle4", backbone_weights="resnet18.pth")
    assert NetConfig().stem == "resnet"  # a card written before the option reads as before
    assert (default_stem("cpu"), default_image_size("cpu", stem=default_stem("cpu"))) == ("unshuffle4", 192)
    assert (default_stem("cpu", pretrained=True), default_image_size("cpu", pretrained=True)) == ("resnet", 128)


def test_two_cnns_by_default_only_for_a_resnet18_from_scratch_on_a_cpu():
    from app.ml.prepare import default_twin

    assert default_twin("cpu", stem="unshuffle4")
    assert not default_twin("cpu", pretrained=True, stem="resnet")
    assert not default_twin("cpu", stem="resnet")  # the measured pair has the space-to-depth stem
    assert not default_twin("cpu", stem="unshuffle4", backbone="resnet10")
    assert not default_twin("cuda", stem="unshuffle4")
    assert default_twin("cpu", stem="unshuffle4", photos=1000)  # the demo's 270 photos are well under
    assert not default_twin("cpu", stem="unshuffle4", photos=1001)  # clothing-cc0's 1,800 are over


def test_a_resnet10_is_a_resnet18_with_one_block_per_stage_and_the_same_pooled_features():
    from torchvision.models.resnet import BasicBlock

    from app.ml.backbone import build_backbone

    torch.manual_seed(0)
    short, deep = build_backbone("resnet10", "unshuffle4").eval(), build_backbone("resnet18", "unshuffle4").eval()
    blocks = lambda net: sum(isinstance(m, BasicBlock) for m in net.modules())  # noqa: E731
    assert (blocks(short), blocks(deep)) == (4, 8)
    size = lambda net: sum(p.numel() for p in net.parameters())  # noqa: E731
    assert size(short) < 0.5 * size(deep)
    with torch.no_grad():
        assert short(torch.randn(2, 3, 256, 256)).shape == (2, 512)
    assert NetConfig(backbone="resnet10").backbone == "resnet10"
    with pytest.raises(ValueError, match="backbone must be one of"):
        NetConfig(backbone="resnet11")

