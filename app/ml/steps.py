"""One epoch of SSAH or DCMH, written term by term as in METHOD.md.

SSAH: LabNet steps → ImgNet steps → TxtNet steps → discriminator steps → B update.
DCMH: ImgNet steps → TxtNet steps → B update, with J across the two modalities.
``weighted_total`` scales the terms (see ``TrainConfig.loss_normalisation``).
``hook(name, loss)`` is called after every optimiser step (progress and cancel).
"""
from __future__ import annotations

from collections.abc import Callable

import torch

from app.ml.losses import bit_balance, discriminator_loss, generator_loss, pairwise_nll, similarity, squared_error
from app.ml.session import TrainingSession

StepHook = Callable[[str, float], None]
MODALITIES = ("image", "text")


@torch.no_grad()
def init_buffers(s: TrainingSession) -> None:
    """Fill F/H buffers with one forward pass of every network, then B."""
    s.set_train_mode(False)
    for modality in s.feats:
        pos = s.positions(modality)
        for start in range(0, len(pos), 256):
            chunk = pos[start:start + 256]
            s.store(modality, chunk, s.forward(modality, chunk))
    s.update_codes()


def weighted_total(s: TrainingSession, pairs: torch.Tensor, n_batch: int, n_ref: int,
                   quant: torch.Tensor, quant_w: float, label=None, label_w: float = 0.0,
                   adv=None, adv_w: float = 0.0, balance=None, balance_w: float = 0.0) -> torch.Tensor:
    """Weighted sum of the loss terms of one step.

    "pairs" (the published code): the whole sum is divided by (batch × reference items),
    so α, β, γ weigh the raw sums and shrink in effect as the collection grows.
    "terms": every term is divided by its own number of entries (J by pairs, ‖H−B‖² by
    batch × bits, adversarial by batch, balance by items × bits), so the weights mean the same
    for any collection size and code length. ‖L̂−L‖² is divided by the batch only (a sum
    over labels per item): divided by the labels too, a scheme of ~60 labels where an item
    has one or two made "predict nothing" nearly free, and the image label head of a
    clothing-cc0 model reached 12 % top-1, below always naming the largest class.
    """
    if s.cfg.loss_normalisation == "pairs":
        total = pairs + quant_w * quant
        for term, w in ((label, label_w), (adv, adv_w), (balance, balance_w)):
            if term is not None and w:
                total = total + w * term
        return total / (n_batch * n_ref)
    bits = s.cfg.net.bits
    total = pairs / (n_batch * n_ref) + quant_w * quant / (n_batch * bits)
    if label is not None and label_w:
        total = total + label_w * label / n_batch
    if adv is not None and adv_w:
        total = total + adv_w * adv / n_batch
    if balance is not None and balance_w:
        total = total + balance_w * balance / (len(s.rows) ** 2 * bits)
    return total


def ssah_epoch(s: TrainingSession, hook: StepHook) -> None:
    """One SSAH epoch over the training items."""
    s.set_train_mode(True)
    for _ in range(s.cfg.label_steps):
        _label_pass(s, hook)
    for modality, repeats in (("image", s.cfg.image_steps), ("text", s.cfg.text_steps)):
        if modality in s.feats:
            for _ in range(repeats):
                _ssah_modality_pass(s, modality, hook)
    if s.cfg.gamma:  # without the adversarial term the discriminators change nothing
        for _ in range(s.cfg.disc_steps):
            _discriminator_pass(s, hook)
    s.update_codes()


def _label_pass(s: TrainingSession, hook: StepHook) -> None:
    cfg, all_pos = s.cfg, s.positions("label")
    alpha = cfg.alpha if cfg.label_alpha is None else cfg.label_alpha
    for pos in s.batches(all_pos):
        out = s.forward("label", pos)
        ref_f, ref_h, sim, weights, n_ref = _label_side(s, pos, batch_first=True)
        pairs = pairwise_nll(out.features, ref_f, sim, weights) + pairwise_nll(out.h, ref_h, sim, weights)
        loss = weighted_total(s, pairs, len(pos), n_ref, squared_error(out.h, s.codes[pos]), alpha,
                              squared_error(out.label_probs, s.labels[pos]), cfg.beta)
        s.store("label", pos, out)
        hook("label", s.step("label", loss))


def _label_side(s: TrainingSession, pos, batch_first: bool):
    """The reference side of SSAH's J terms: LabNet's features and codes of the training
    items, as distinct label vectors weighted by their counts (``label_reference="distinct"``)
    or as the per-item buffers (``"buffer"``, optionally sampled).  Returns
    (F_ref, H_ref, S, weights, number of reference items); S is (batch, ref) when
    ``batch_first`` else (ref, batch)."""
    if s.cfg.label_reference == "distinct":
        ref_f, ref_h, ref_labels, counts = s.label_reference()
        n_ref = float(counts.sum())
        weights = counts[None, :] if batch_first else counts[:, None]
    else:
        ref = s.reference(s.positions("label"))
        ref_f, ref_h, ref_labels = s.feats["label"][ref], s.hashes["label"][ref], s.labels[ref]
        n_ref, weights = len(ref), None
    kind = s.cfg.similarity
    w = s.label_weights
    sim = (similarity(s.labels[pos], ref_labels, kind, w) if batch_first
           else similarity(ref_labels, s.labels[pos], kind, w))
    return ref_f, ref_h, sim, weights, n_ref


def _ssah_modality_pass(s: TrainingSession, modality: str, hook: StepHook) -> None:
    """ImgNet or TxtNet: supervised by LabNet's features and codes (fixed in this step)."""
    cfg = s.cfg
    disc = getattr(s.nets, f"disc_{modality}")
    for pos in s.batches(s.positions(modality)):
        out = s.forward(modality, pos)
        ref_f, ref_h, sim, weights, n_ref = _label_side(s, pos, batch_first=False)
        pairs = pairwise_nll(ref_f, out.features, sim, weights) + pairwise_nll(ref_h, out.h, sim, weights)
        adv = generator_loss(disc(out.features)) if cfg.gamma else None
        loss = weighted_total(s, pairs, len(pos), n_ref, squared_error(out.h, s.codes[pos]), cfg.alpha,
                              squared_error(out.label_probs, s.labels[pos]), cfg.beta, adv, cfg.gamma)
        s.store(modality, pos, out)
        hook(modality, s.step(modality, loss))


def _discriminator_pass(s: TrainingSession, hook: StepHook) -> None:
    """D^v and D^t: LabNet features → 1, image/text features → 0 (from the buffers)."""
    for modality in MODALITIES:
        if modality not in s.feats:
            continue
        disc = getattr(s.nets, f"disc_{modality}")
        for pos in s.batches(s.positions(modality)):
            real = disc(s.feats["label"][pos])
            fake = disc(s.feats[modality][pos])
            hook(f"disc_{modality}", s.step(f"disc_{modality}", discriminator_loss(real, fake)))


def dcmh_epoch(s: TrainingSession, hook: StepHook) -> None:
    """One DCMH epoch: each modality against the other's buffered H, then B = sign(ΣH)."""
    s.set_train_mode(True)
    for modality, repeats in (("image", s.cfg.image_steps), ("text", s.cfg.text_steps)):
        if modality in s.hashes:
            for _ in range(repeats):
                _dcmh_modality_pass(s, modality, hook)
    s.update_codes()


def _dcmh_modality_pass(s: TrainingSession, modality: str, hook: StepHook) -> None:
    cfg = s.cfg
    # With a single modality (e.g. tags only) DCMH's J falls back to within that modality.
    other = next((m for m in MODALITIES if m != modality and m in s.hashes), modality)
    ref_pool, column_sums = s.positions(other), s.hashes[modality].sum(dim=0)
    for pos in s.batches(s.positions(modality)):
        ref = s.reference(ref_pool)
        out = s.forward(modality, pos)
        sim = similarity(s.labels[ref], s.labels[pos], cfg.similarity, s.label_weights)
        idx = torch.as_tensor(pos, device=s.device)
        sums = column_sums - s.hashes[modality][idx].sum(dim=0) + out.h.sum(dim=0)
        loss = weighted_total(s, pairwise_nll(s.hashes[other][ref], out.h, sim), len(pos), len(ref),
                              squared_error(out.h, s.codes[pos]), cfg.gamma,
                              balance=bit_balance(sums), balance_w=cfg.eta)
        column_sums = sums.detach()
        s.store(modality, pos, out)
        hook(modality, s.step(modality, loss))
