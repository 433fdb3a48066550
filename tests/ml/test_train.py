"""Training runs on small synthetic collections: quality, masks, cancel, resume, progress."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from app.evaluate.metrics import mean_average_precision
from app.ml.encode import signs
from app.ml.train import train
from tests.ml.synthetic import labelled_items, tiny_config

N_TRAIN = 240


@pytest.fixture(scope="module")
def items():
    return labelled_items(n=320)


def _train_part(items, **masks) -> dict:
    data = {k: v[:N_TRAIN] for k, v in items.items()}
    return {**data, **masks}


def _heldout_map(result, items) -> float:
    """Cross-modal MAP (mean of I→T and T→I) on items the run never saw."""
    rest = slice(N_TRAIN, None)
    enc = result.encoder(texts=items["texts"][rest], image_features=items["image_features"][rest])
    ids = np.arange(len(items["labels"]) - N_TRAIN)
    img, txt = signs(enc.encode("image", ids)[0]), signs(enc.encode("text", ids)[0])
    labels = items["labels"][rest]
    return (mean_average_precision(img, txt, labels, labels).map
            + mean_average_precision(txt, img, labels, labels).map) / 2


def _random_map(items, bits: int = 16) -> float:
    rng = np.random.default_rng(0)
    labels = items["labels"][N_TRAIN:]
    codes = np.where(rng.random((2, len(labels), bits)) < 0.5, 1, -1)
    return mean_average_precision(codes[0], codes[1], labels, labels).map


@pytest.mark.parametrize("mode", ["ssah", "dcmh"])
def test_a_short_run_retrieves_clearly_better_than_random(items, mode):
    result = train(_train_part(items), tiny_config(mode, epochs=10))
    baseline = _random_map(items)
    assert not result.cancelled and result.networks is not None
    assert result.codes.shape == (N_TRAIN, 16) and set(np.unique(result.codes)) <= {-1, 1}
    assert result.val_map > baseline + 0.1
    assert _heldout_map(result, items) > baseline + 0.1


def test_the_same_seed_gives_the_same_model(items):
    a = train(_train_part(items), tiny_config(epochs=2))
    b = train(_train_part(items), tiny_config(epochs=2))
    assert np.array_equal(a.codes, b.codes) and a.val_map == b.val_map


def test_items_missing_a_text_or_a_photo_train_the_branches_they_have(items):
    rng = np.random.default_rng(1)
    lacking = rng.random(N_TRAIN)
    text_mask, image_mask = lacking >= 0.25, (lacking < 0.25) | (lacking >= 0.5)
    unlabelled = _train_part(items)["labels"].copy()
    unlabelled[:5] = 0  # unlabelled items are not trained on but still get codes
    data = _train_part(items, text_mask=text_mask, image_mask=image_mask, labels=unlabelled)
    result = train(data, tiny_config(epochs=6))
    assert result.val_map > _random_map(items) + 0.05
    assert result.codes.shape == (N_TRAIN, 16)
    assert not np.isin(np.arange(5), result.split.train).any()


def test_text_only_collections_train_labels_and_texts(items):
    data = {"labels": items["labels"][:N_TRAIN], "texts": items["texts"][:N_TRAIN]}
    for mode in ("ssah", "dcmh"):
        result = train(data, tiny_config(mode, epochs=4))
        assert result.networks.image is None and "crossmodal/t2t" in result.val_detail
        assert result.val_map > _random_map(items)


def test_progress_reports_steps_epochs_and_validation(items):
    events = []
    train(_train_part(items), tiny_config(epochs=2), progress=events.append)
    kinds = [e.kind for e in events]
    assert kinds[-1] == "done" and kinds.count("epoch") == 2 and "step" in kinds
    epoch_events = [e for e in events if e.kind == "epoch"]
    assert all(e.val_map is not None and {"label", "image", "text"} <= set(e.losses) for e in epoch_events)
    steps = [e for e in events if e.kind == "step" and e.epoch == 1]
    assert steps[-1].step == steps[-1].steps == len(steps)


def test_cancel_stops_cleanly_and_keeps_the_last_checkpoint(items, tmp_path):
    cancel, seen = threading.Event(), []

    def progress(event):
        seen.append(event)
        if event.kind == "step" and event.epoch == 2 and event.step == 3:
            cancel.set()

    result = train(_train_part(items), tiny_config(epochs=5), progress=progress, cancel=cancel,
                   checkpoint_dir=tmp_path)
    assert result.cancelled and result.epochs_run == 1
    assert result.networks is not None  # the best (only) finished epoch
    assert (tmp_path / "checkpoint.pt").is_file()
    assert max(e.step for e in seen if e.kind == "step" and e.epoch == 2) == 3


def test_cancel_before_anything_ran(items):
    cancel = threading.Event()
    cancel.set()
    result = train(_train_part(items), tiny_config(epochs=3), cancel=cancel)
    assert result.cancelled and result.epochs_run == 0 and result.networks is None


def test_resume_continues_exactly_where_the_checkpoint_left_off(items, tmp_path):
    data = _train_part(items)
    straight = train(data, tiny_config(epochs=4, net={"dropout": 0.2}))
    first = train(data, tiny_config(epochs=2, net={"dropout": 0.2}), checkpoint_dir=tmp_path)
    resumed = train(data, tiny_config(epochs=4, net={"dropout": 0.2}), checkpoint_dir=tmp_path, resume=True)
    assert first.epochs_run == 2 and resumed.epochs_run == 4
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3, 4]
    for name, module in straight.networks.items():
        other = dict(resumed.networks.items())[name]
        for (key, a), b in zip(module.state_dict().items(), other.state_dict().values()):
            assert torch.allclose(a, b, atol=1e-6), (name, key)
    assert np.array_equal(straight.codes, resumed.codes)


def test_resume_refuses_a_checkpoint_of_other_options(items, tmp_path):
    data = _train_part(items)
    train(data, tiny_config(epochs=1), checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match="alpha"):
        train(data, tiny_config(epochs=2, alpha=3.0), checkpoint_dir=tmp_path, resume=True)


def test_resume_takes_a_checkpoint_whose_first_pass_ran_in_another_precision(items, tmp_path):
    """The checkpoint holds the CNN after its first pass, so that pass's arithmetic does not
    matter any more (checkpoints written before the option existed lack it altogether)."""
    data = _train_part(items)
    train(data, tiny_config(epochs=1, warmup_precision="float32"), checkpoint_dir=tmp_path)
    resumed = train(data, tiny_config(epochs=2, warmup_precision="bfloat16"), checkpoint_dir=tmp_path, resume=True)
    assert resumed.epochs_run == 2 and [h["epoch"] for h in resumed.history] == [1, 2]
