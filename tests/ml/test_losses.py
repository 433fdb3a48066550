"""The loss terms of METHOD.md on cases small enough to check by hand."""
from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from app.ml.config import NetConfig, TrainConfig
from app.ml.losses import (
    bit_balance,
    discriminator_loss,
    generator_loss,
    pairwise_nll,
    sign_codes,
    similarity,
    squared_error,
)
from app.ml.steps import weighted_total


def t(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float32)


def test_similarity_is_one_when_any_label_is_shared():
    labels = t([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 0]])
    expected = t([[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]])
    assert torch.equal(similarity(labels, labels), expected)


def test_pairwise_nll_by_hand():
    # Δ = ½ a·b = [2, 0]; first pair similar, second not:
    # J = (log(1+e^2) − 2) + (log(1+e^0) − 0)
    a, b, sim = t([[2, 0]]), t([[2, 0], [0, 2]]), t([[1, 0]])
    expected = math.log(1 + math.e ** 2) - 2 + math.log(2)
    assert pairwise_nll(a, b, sim).item() == pytest.approx(expected, rel=1e-6)


def test_pairwise_nll_is_stable_for_large_inner_products():
    a = t([[100.0, 100.0]])  # Δ = ½·20000 = 10000: exp(Δ) would overflow
    similar = pairwise_nll(a, a, t([[1]]))
    dissimilar = pairwise_nll(a, a, t([[0]]))
    assert similar.item() == pytest.approx(0.0, abs=1e-3)
    assert dissimilar.item() == pytest.approx(10000.0, rel=1e-6)
    assert torch.isfinite(torch.autograd.functional.jacobian(lambda x: pairwise_nll(x, a, t([[1]])), a)).all()


def test_squared_error_balance_and_signs():
    assert squared_error(t([[0.5, -1.0]]), t([[1, 1]])).item() == pytest.approx(0.25 + 4.0)
    assert bit_balance(t([1, -2])).item() == pytest.approx(5.0)
    assert torch.equal(sign_codes(t([[0.3, 0.0, -0.2]])), t([[1, -1, -1]]))


def test_adversarial_terms_at_an_undecided_discriminator():
    zeros = torch.zeros(3)
    assert generator_loss(zeros).item() == pytest.approx(3 * math.log(2))  # summed over the batch
    assert discriminator_loss(zeros, zeros).item() == pytest.approx(2 * math.log(2))  # mean real + mean fake


def _fake_session(normalisation: str, n_rows: int = 10):
    cfg = TrainConfig(net=NetConfig(bits=16, n_labels=4), loss_normalisation=normalisation)
    return SimpleNamespace(cfg=cfg, rows=list(range(n_rows)))


def test_pairs_normalisation_divides_the_whole_sum_by_batch_times_reference():
    s = _fake_session("pairs")
    total = weighted_total(s, t(60.0), n_batch=2, n_ref=10, quant=t(8.0), quant_w=0.5,
                           label=t(4.0), label_w=2.0)
    assert total.item() == pytest.approx((60 + 0.5 * 8 + 2 * 4) / 20)


def test_terms_normalisation_divides_each_term_by_its_own_size():
    s = _fake_session("terms")
    total = weighted_total(s, t(60.0), n_batch=2, n_ref=10, quant=t(8.0), quant_w=0.5,
                           label=t(4.0), label_w=2.0, adv=t(3.0), adv_w=1.0)
    # J per pair, ‖H−B‖² per bit (2×16), ‖L̂−L‖² per item (2), adversarial per item
    assert total.item() == pytest.approx(60 / 20 + 0.5 * 8 / 32 + 2 * 4 / 2 + 3 / 2)


def test_weighted_pairs_equal_repeated_rows():
    a, b = t([[1.0, -2.0], [0.5, 0.5]]), t([[2.0, 1.0], [-1.0, 0.0], [0.3, 0.3]])
    sim = t([[1, 0, 1], [0, 1, 1]])
    repeated = pairwise_nll(torch.cat([a[:1], a[:1], a[:1], a[1:]]), b, torch.cat([sim[:1]] * 3 + [sim[1:]]))
    weighted = pairwise_nll(a, b, sim, weights=t([3, 1])[:, None])
    assert weighted.item() == pytest.approx(repeated.item(), rel=1e-6)


def test_shortened_texts_keep_few_words_of_their_own_and_leave_the_rest_whole():
    from app.ml.session import shorten_texts

    torch.manual_seed(0)
    x = (torch.rand(200, 50) < 0.3).float() * torch.rand(200, 50)
    out = shorten_texts(x, 0.5, torch.Generator().manual_seed(1))
    changed = ~torch.all(out == x, dim=1)
    assert 60 < int(changed.sum()) < 140  # about half the rows
    short = out[changed]
    assert torch.all((short != 0).sum(dim=1) >= 1)
    assert torch.all((short != 0) <= (x[changed] != 0))  # only words the text had
    assert float((short != 0).sum(dim=1).float().mean()) < 0.5 * float((x[changed] != 0).sum(dim=1).float().mean())
    assert torch.allclose(short.norm(dim=1), x[changed].norm(dim=1), atol=1e-5)
