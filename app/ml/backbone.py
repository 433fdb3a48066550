"""The CNN in front of the image heads: a torchvision ResNet, never downloaded.

Networks are built with ``weights=None``.  Pretrained weights come only from a local
state-dict file the user names; a file that does not fit the architecture is refused
with a message that says which tensor is wrong, instead of half-loading it.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from app.core.errors import ModelMismatchError
from app.ml.config import STEMS

POOLED_DIM = {"resnet10": 512, "resnet18": 512, "resnet50": 2048}
UNSHUFFLE = 4


def build_backbone(name: str, stem: str = "resnet") -> nn.Module:
    """A ResNet without its classifier: pixels (n,3,H,W) → pooled features (n, POOLED_DIM).

    ``stem`` "resnet" keeps the ResNet's first layer (a 7×7 convolution with stride 2).
    "unshuffle4" replaces it with a space-to-depth stem: every 4×4 block of pixels becomes 48
    channels (``nn.PixelUnshuffle``), then a 3×3 convolution to the 64 the ResNet expects. The
    rest of the network then sees a photo of side S on the grid the usual stem makes of a photo
    of side S/2, with every pixel's detail: twice the resolution for motifs at about the same
    cost. Demo backlog, first pass alone, seed 0, 2-core CPU (``bench/sweep_first_pass.py``):
    96 px with the ResNet stem, typed motif names P@10 .629, garment+motif+colour .794, 200 s;
    192 px with this stem .659 and .809, 244–268 s (two runs). The whole product, ``wenyang bench backlog --seeds
    0 1 2 --no-baseline`` (medians; 9efbafb at 96 px against f78acb1): motif .656 → .688,
    garment+motif+colour .804 → .821, material .570 → .620, region .833 → .917, era .467 → .500,
    technique .614 → .586, photo → same garment P@10 .871 → .831. On real photos
    (``--dataset clothing --seeds 0``, one seed, 6584f47 against 13384bc) it is mixed: typed class
    names .594 → .565, photo → same class .546 → .597, and training took 1381 s instead of 775 s
    (on a machine shared with a test run). It has no pretrained weights: a weights file goes
    with the ResNet stem.

    "resnet10" (``--backbone resnet10``) is a ResNet-18 with one basic block per stage, about 60 %
    of its cost; measured, and not the default:
    Demo backlog, first pass alone (``bench/sweep_first_pass.py --seeds 0 1 2 --variants
    s2d192ema-amp,s2d192ema-amp-r10,s2d256ema-amp-r10,s2d320ema-amp-r10``, this 2-core AMD EPYC, 2
    threads, one run at a time, 2026-12-03), typed garment+motif+colour / motif P@10, seeds 0 / 1 / 2:
    - ResNet-18 at 192 px: .814/.671, .834/.741, .791/.612; 111, 113, 120 s
    - ResNet-10 at 192 px: .814/.671, .826/.741, .823/.676; 72, 69, 65 s
    - ResNet-10 at 256 px: .826/.694, .843/.776, .817/.665; 109, 101, 104 s
    - ResNet-10 at 320 px: .786/.635, .849/.782, .831/.694; 190, 165, 188 s
    The whole product with a ResNet-10 at 256 px (``wenyang bench backlog --seeds 0 1 2 --models
    default --no-baseline``, 16:10-16:26, alone; medians [seeds]) against the ResNet-18 at 192 px of
    the 3-seed run of 2026-12-03 03:08 (b941982): garment+motif+colour .826 [.81 .83 .83] against
    .810, motif .676 against .668, phrases .644 against .638, but garment category .900 [.90 .86 .95]
    against .945 and photo → same garment P@10 .795 against .845, below the .8 it must reach;
    re-photographed copy at rank 1 .975 against .985. Seed 0 alone against the ResNet-18's run at
    14:46 (8a231c4): .81 against .826, motif .67 against .688, garment .90 against .945. Typed
    search gained within seed noise while garment shape lost, so the ResNet-18 stays the default;
    the shorter network is an option for a faster first pass (about 60 % of the time at 192 px).
    """
    import torchvision  # heavy; only the pixel branch needs it

    if name not in POOLED_DIM:
        raise ValueError(f"Unknown backbone {name!r}; choose one of {sorted(POOLED_DIM)}.")
    if stem not in STEMS:
        raise ValueError(f"Unknown stem {stem!r}; choose one of {STEMS}.")
    if name == "resnet10":
        # torchvision's ResNet with one basic block per stage, where ResNet-18 has two: the same
        # widths and pooled features at about 60 % of the cost (not the default: see above)
        from torchvision.models.resnet import BasicBlock, ResNet

        net = ResNet(BasicBlock, [1, 1, 1, 1])
    else:
        net = getattr(torchvision.models, name)(weights=None)
    net.fc = nn.Identity()  # pooled features, the heads come after
    if stem == "unshuffle4":
        net.conv1 = nn.Sequential(nn.PixelUnshuffle(UNSHUFFLE),
                                  nn.Conv2d(3 * UNSHUFFLE ** 2, 64, 3, padding=1, bias=False))
    return net


class Rescale(nn.Module):
    """Photos resized by a fixed factor (bilinear), inside the network so that the ONNX graph
    does it too. Without antialiasing: ONNX's exporter has no antialiased resize, and the CNN
    behind it trains on what this gives, in the first pass as at search time."""

    def __init__(self, scale: float):
        super().__init__()
        self.scale = float(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.scale == 1.0:
            return x
        return F.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False,
                             recompute_scale_factor=False)


class TwinBackbone(nn.Module):
    """Two CNNs side by side: pixels → their pooled features concatenated, the first's first.

    The first sees the photo resized by ``first_scale``, the second sees it as given: two
    networks that differ (in depth and in resolution) err on different photos, so their label
    probabilities averaged rank better than either (``app.ml.nets.ImageNet.pooled_probs``).
    Each trains in its own first pass (``branches``).

    The CPU default (``app.ml.prepare.default_twin``): a ResNet-18 at 192 px beside a ResNet-10 at
    256 px, both with the space-to-depth stem. Demo backlog, this 2-core AMD EPYC, 2 threads, alone,
    2026-12-03. First pass alone (``bench/sweep_first_pass.py --seeds 0 1 2 --phrases 40 --variants
    s2d192ema-amp,s2d256ema-amp-r10 --blend s2d192ema-amp,s2d256ema-amp-r10``), typed
    garment+motif+colour / motif P@10, seeds 0 / 1 / 2: the pair .837/.712, .849/.771, .800/.629
    against the ResNet-18 alone .814/.671, .834/.741, .791/.612. The whole product (``wenyang bench
    backlog --seeds 0 1 2 --models default --no-baseline``, 18:19-18:40; medians [seeds]) against the
    ResNet-18 alone (the 3-seed run of 03:08 at b941982): garment+motif+colour .814 [.826 .811 .814]
    against .810 [.816 .809 .810], motif .694 [.69 .71 .65] against .668 [.668 .703 .644], phrases
    .667 against .638, photo → same garment P@10 .875 against .845, garment category .936 against
    .945, re-photographed copy at rank 1 .985 against .985; training 216-264 s against 146 s (that
    run had 1 thread beside another). On clothing-cc0 (real photos, 1,800 for training, seed 0) it
    gained nothing for twice the time, so a large collection keeps one CNN (``default_twin``)."""

    def __init__(self, first: nn.Module, second: nn.Module, first_scale: float, dims: tuple[int, int]):
        super().__init__()
        self.first = nn.Sequential(Rescale(first_scale), first)
        self.second = second
        self.dims = dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.first(x), self.second(x)], dim=1)

    def branches(self) -> list[tuple[nn.Module, int]]:
        """(pixels → pooled features, width) of each CNN, in the order of the features."""
        return [(self.first, self.dims[0]), (self.second, self.dims[1])]


def build_twin(first: str, second: str, stem: str, first_scale: float) -> TwinBackbone:
    """``first`` at ``first_scale`` of the photo beside ``second`` at its full size, both with ``stem``."""
    return TwinBackbone(build_backbone(first, stem), build_backbone(second, stem), first_scale,
                        (POOLED_DIM[first], POOLED_DIM[second]))


def _unwrap_state_dict(obj, path: Path) -> dict[str, torch.Tensor]:
    """Accept a bare state dict or the usual {"state_dict": ...} / {"model": ...} wrappers."""
    if isinstance(obj, nn.Module):
        obj = obj.state_dict()
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ModelMismatchError(f"The weights file {path} does not hold a PyTorch state dict.")
    # Checkpoints saved from DataParallel prefix every key with "module.".
    return {k.removeprefix("module."): v for k, v in obj.items()}


def load_backbone_weights(backbone: nn.Module, path: str | Path, name: str) -> int:
    """Copy the tensors of a state-dict file into ``backbone``; return how many were loaded.

    The file's classifier (``fc.*``) is ignored because the hashing heads replace it.
    Every other tensor of the network must be present with the right shape.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"The pretrained weights file {path} does not exist.")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated file, a pickle with code, not torch at all
        raise ModelMismatchError(f"The weights file {path} cannot be read as PyTorch weights: {exc}") from exc
    given = {k: v for k, v in _unwrap_state_dict(raw, path).items() if not k.startswith("fc.")}
    expected = backbone.state_dict()
    problems = _shape_problems(given, expected)
    if problems:
        raise ModelMismatchError(
            f"The weights file {path} does not fit a {name}: " + "; ".join(problems[:3])
            + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "") + ".")
    backbone.load_state_dict(given, strict=True)
    return len(given)


def _shape_problems(given: dict, expected: dict) -> list[str]:
    """Human-readable differences between a file's tensors and the network's."""
    problems = []
    for key, tensor in expected.items():
        if key not in given:
            problems.append(f"{key} is missing")
        elif tuple(given[key].shape) != tuple(tensor.shape):
            problems.append(f"{key} has shape {tuple(given[key].shape)} in the file but "
                            f"{tuple(tensor.shape)} in the network")
    problems.extend(f"{key} is not part of the network" for key in given if key not in expected)
    return problems
