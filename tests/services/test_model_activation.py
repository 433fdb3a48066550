"""A new model never silently replaces a better active one; a run that learnt nothing says so."""
from __future__ import annotations

import json

import pytest

from app.services.demo import create_demo_library
from app.services.training import TrainOptions, train_library
from app.store import open_library

TINY = dict(bits=16, epochs=2, image_size=32, vocab_size=200, seed=0,
            net_overrides={"semantic_dim": 32, "label_hidden": (64,), "image_hidden": (64,),
                           "text_hidden": (64,), "disc_hidden": (16,)},
            overrides={"batch_size": 32, "warmup_epochs": 1}, min_holdout_items=1000)


def _pretend_it_validated(lib, model_id: str, score: float) -> None:
    card = lib.models.get(model_id).card
    card["validation"]["map"] = score
    lib.db.execute("UPDATE models SET card = ? WHERE id = ?", [json.dumps(card), model_id])
    lib.codes.__dict__.pop("_models", None)


@pytest.mark.slow
def test_a_worse_model_is_kept_beside_the_better_active_one(tmp_path):
    create_demo_library(tmp_path / "lib", seed=4, count=30)
    with open_library(tmp_path / "lib") as lib:
        first = train_library(lib, TrainOptions(**TINY), encode=False)
        assert first.activated and lib.models.active().id == first.model_id
        _pretend_it_validated(lib, first.model_id, 0.999)
        second = train_library(lib, TrainOptions(**(TINY | {"seed": 1})), encode=False)
        assert not second.activated and lib.models.active().id == first.model_id
        assert any("validated better" in note for note in second.notes)
        assert second.model_id in {m.id for m in lib.models.all()}  # kept, not lost
        third = train_library(lib, TrainOptions(**(TINY | {"seed": 2}), replace_better=True), encode=False)
        assert third.activated and lib.models.active().id == third.model_id


@pytest.mark.slow
def test_a_run_whose_best_epoch_is_its_first_says_so(tmp_path):
    create_demo_library(tmp_path / "lib", seed=5, count=30)
    with open_library(tmp_path / "lib") as lib:
        # a learning rate of zero: nothing after epoch 1 can be better
        frozen = TINY | {"epochs": 3, "overrides": TINY["overrides"] | {
            "lr_label": 0.0, "lr_image": 0.0, "lr_text": 0.0, "lr_disc": 0.0}}
        outcome = train_library(lib, TrainOptions(**frozen), encode=False)
        assert outcome.best_epoch == 1 and outcome.epochs_run > 1
        assert any("never improved after the first epoch" in note for note in outcome.notes)
