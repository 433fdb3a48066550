"""The mutable state of one training run: networks, optimisers, per-item buffers, codes B.

Buffers hold the latest F and H of every training item for each network (zeros where a
modality is missing); the J terms use them as the fixed reference side, as SSAH and DCMH do.
Rows of the buffers follow ``split.train``; ``rows[p]`` is the item index of row p.
"""
from __future__ import annotations

import numpy as np
import torch

from app.ml.config import TrainConfig, need
from app.ml.data import Split, TrainingData
from app.ml.inputs import ImageInput
from app.ml.losses import label_idf, sign_codes
from app.ml.nets import HashOutput, Networks


def shorten_texts(x: torch.Tensor, share: float, generator: torch.Generator) -> torch.Tensor:
    """A ``share`` of the rows cut to a few of their words (each kept with probability 1/4,
    at least one), rescaled to the row's former length: curators type "dragon robe", not a
    catalogue paragraph, and a text network that only ever saw paragraphs reads two words
    poorly. The other rows stay whole, so descriptions are still read as before."""
    present = x != 0
    keep = torch.rand(x.shape, generator=generator).to(x.device) < 0.25
    first = torch.argmax((present & ~keep).float() + present.float(), dim=1)  # one word at least
    keep[torch.arange(len(x), device=x.device), first] = True
    short = torch.where(keep & present, x, torch.zeros_like(x))
    scale = x.norm(dim=1, keepdim=True) / short.norm(dim=1, keepdim=True).clamp_min(1e-12)
    rows = (torch.rand(len(x), generator=generator) < share).to(x.device).view(-1, 1)
    return torch.where(rows, short * scale, x)


class TrainingSession:
    """Everything the per-epoch steps read and update."""

    def __init__(self, cfg: TrainConfig, data: TrainingData, split: Split, nets: Networks,
                 images: ImageInput | None, device: torch.device):
        self.cfg, self.data, self.split, self.nets = cfg, data, split, nets
        self.images, self.device = images, device
        self.rows = split.train
        n, bits, s = len(self.rows), cfg.net.bits, cfg.net.semantic_dim
        self.labels = torch.as_tensor(data.labels[self.rows], device=device)
        self.label_weights = label_idf(self.labels)  # for the "idf" similarity
        self.texts = None if nets.text is None else torch.as_tensor(data.texts, device=device)
        self.present = {"image": self._mask(data.image_mask, nets.image), "text": self._mask(data.text_mask, nets.text),
                        "label": np.ones(n, dtype=bool) if nets.label is not None else None}
        self.feats = {k: torch.zeros(n, s, device=device) for k, m in self.present.items() if m is not None}
        self.hashes = {k: torch.zeros(n, bits, device=device) for k in self.feats}
        self.codes = torch.ones(n, bits, device=device)
        distinct, counts = np.unique(data.labels[self.rows], axis=0, return_counts=True)
        self.distinct_labels = torch.as_tensor(distinct, device=device)
        self.distinct_counts = torch.as_tensor(counts, dtype=torch.float32, device=device)
        self.optimizers = self._make_optimizers()
        self.generator = torch.Generator().manual_seed(cfg.seed)
        self.epoch = 0
        self.losses: dict[str, list[float]] = {}

    def _mask(self, mask, net) -> np.ndarray | None:
        return None if net is None or mask is None else mask[self.rows]

    def _make_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        cfg, lrs = self.cfg, {"label": self.cfg.lr_label, "image": self.cfg.lr_image,
                              "text": self.cfg.lr_text, "disc_image": self.cfg.lr_disc,
                              "disc_text": self.cfg.lr_disc}
        opts: dict[str, torch.optim.Optimizer] = {}
        for name, module in self.nets.items():
            groups = self._param_groups(name, module, lrs[name])
            opts[name] = torch.optim.Adam(groups, weight_decay=cfg.weight_decay)
        return opts

    def _param_groups(self, name, module, lr) -> list[dict]:
        backbone = getattr(module, "backbone", None)
        if name != "image" or backbone is None:
            return [{"params": list(module.parameters()), "lr": lr}]
        heads = [p for n, p in module.named_parameters() if not n.startswith("backbone.")]
        groups = [{"params": heads, "lr": lr}]
        if self.images is not None and self.images.live_pixels:  # fine-tuning the CNN
            groups.append({"params": list(backbone.parameters()), "lr": self.cfg.lr_backbone})
        return groups

    # --- batches and forwards -------------------------------------------------------------
    def positions(self, modality: str) -> np.ndarray:
        """Buffer rows that have ``modality`` ("label", "image" or "text")."""
        return np.flatnonzero(need(self.present[modality], f"the {modality} rows"))

    def batches(self, positions: np.ndarray):
        """Shuffled batches of buffer rows (seeded generator, saved in checkpoints)."""
        order = torch.randperm(len(positions), generator=self.generator).numpy()
        size = self.cfg.batch_size
        for start in range(0, len(order), size):
            yield positions[order[start:start + size]]

    def forward(self, modality: str, pos: np.ndarray) -> HashOutput:
        """Run one modality network on the items at buffer rows ``pos`` (train mode)."""
        items = self.rows[pos]
        if modality == "label":
            return need(self.nets.label, "LabNet")(self.labels[pos])
        if modality == "text":
            text_net = need(self.nets.text, "TxtNet")
            x = need(self.texts, "the texts")[torch.as_tensor(items, device=self.device)]
            if text_net.training and self.cfg.short_text_share > 0:
                x = shorten_texts(x, self.cfg.short_text_share, self.generator)
            return text_net(x)
        images = need(self.images, "the image input")
        return images.forward(need(self.nets.image, "ImgNet"), images.batch(items))

    def reference(self, positions: np.ndarray) -> np.ndarray:
        """The reference side of J: all given rows, or a seeded sample of ``pair_sample``."""
        cap = self.cfg.pair_sample
        if cap is None or len(positions) <= cap:
            return positions
        pick = torch.randperm(len(positions), generator=self.generator)[:cap].numpy()
        return positions[np.sort(pick)]

    @torch.no_grad()
    def label_reference(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """LabNet's (F, H) for every distinct training label vector, with the vectors and
        how many training items carry each.  Weighting a pair term by that count gives the
        same sum as running J over all items, at the cost of the distinct vectors only."""
        net = need(self.nets.label, "LabNet")
        was_training = net.training
        net.eval()  # the fixed reference side: no dropout noise
        out = net(self.distinct_labels)
        net.train(was_training)
        return out.features.float(), out.h.float(), self.distinct_labels, self.distinct_counts

    def store(self, modality: str, pos: np.ndarray, out: HashOutput) -> None:
        idx = torch.as_tensor(pos, device=self.device)
        self.feats[modality][idx] = out.features.detach().float()
        self.hashes[modality][idx] = out.h.detach().float()

    def update_codes(self) -> None:
        """B = sign(w·H^l + H^v + H^t) over the training items (missing modalities add 0;
        w = ``label_code_weight``, 1 in METHOD.md)."""
        w = self.cfg.label_code_weight
        self.codes = sign_codes(sum((h * w if k == "label" else h for k, h in self.hashes.items()),
                                    torch.zeros_like(next(iter(self.hashes.values())))))

    def step(self, name: str, loss: torch.Tensor) -> float:
        opt = self.optimizers[name]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        value = float(loss.detach())
        self.losses.setdefault(name, []).append(value)
        return value

    def set_train_mode(self, training: bool) -> None:
        frozen_cnn = self.images is not None and not self.images.live_pixels
        for name, module in self.nets.items():
            module.train(training)
            backbone = getattr(module, "backbone", None) if name == "image" else None
            if frozen_cnn and backbone is not None:
                backbone.eval()  # frozen BN statistics must stay as cached

    def decay_learning_rates(self) -> None:
        if self.cfg.lr_decay != 1.0:
            for opt in self.optimizers.values():
                for group in opt.param_groups:
                    group["lr"] *= self.cfg.lr_decay

    def epoch_losses(self) -> dict[str, float]:
        """Mean loss per network over the epoch, then reset."""
        means = {k: float(np.mean(v)) for k, v in self.losses.items() if v}
        self.losses = {}
        return means
