"""Encoding reads only the items the change log names since the model's encoded mark, and
ends with exactly the codes and signatures a pass over every item gives."""
from __future__ import annotations

import shutil

import pytest

from app.services import encoding
from app.services.demo import create_demo_library
from app.services.encoding import Encode, encode_library
from app.services.importing import ImportOptions, import_paths
from app.services.training import TrainOptions, train_library
from app.store import open_library
from tests import samples

pytestmark = pytest.mark.slow  # trains a (tiny) real model

TINY = dict(bits=16, epochs=1, image_size=32, vocab_size=200, seed=0,
            net_overrides={"semantic_dim": 32, "label_hidden": (64,), "image_hidden": (64,),
                           "text_hidden": (64,), "disc_hidden": (16,)},
            overrides={"batch_size": 32, "warmup_epochs": 1}, min_holdout_items=1000)


@pytest.fixture(scope="module")
def encoded_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental") / "lib"
    create_demo_library(root, seed=6, count=30)
    with open_library(root) as lib:
        train_library(lib, TrainOptions(**TINY))
    return root


def _stored(lib):
    codes = lib.db.execute("SELECT item_id, model_id, modality, code, score, source_hash FROM codes "
                           "ORDER BY item_id, model_id, modality").fetchall()
    return codes, sorted(lib.signatures.hashes().items())


def _snapshot(lib, model, modality):
    return lib.db.execute("SELECT codes_version, n, ids, codes FROM code_snapshots WHERE model_id = ? "
                          "AND modality = ?", [model, modality]).fetchone()


def _change(lib, tmp_path):
    """One of each change that makes codes stale: words, a tag, a new photo, a new item, a deletion."""
    ids = lib.items.ids()
    lib.items.update(ids[0], description="红缎绣龙纹袍 red satin robe with dragons")
    lib.labels.tag([ids[1]], ["phoenix"])
    lib.items.delete(ids[2])
    samples.photo(tmp_path / "new.jpg", 7, fmt="JPEG")
    import_paths(lib, [tmp_path / "new.jpg"], ImportOptions())
    lib.items.update(ids[3], title=lib.items.get(ids[3]).title)  # written, but the same words


def test_after_changes_encoding_reads_only_them_and_matches_a_full_pass(encoded_root, tmp_path):
    root = tmp_path / "lib"
    shutil.copytree(encoded_root, root)
    with open_library(root) as lib:
        model = lib.models.active().id
        # training's encode wrote suggestions and signatures after its mark: this run checks
        # those items again (a writer meanwhile may have changed them too) and writes nothing
        assert lib.codes.encoded_mark(model) < lib.evidence.mark()
        assert encode_library(lib).encoded == {"label": 0, "text": 0, "image": 0}
        assert lib.codes.encoded_mark(model) == lib.evidence.mark()
        assert encoding._changed_since_encoded(lib, model, lib.evidence.mark()) == []
        orig = lib.items.ids()
        _change(lib, tmp_path)
        changed = encoding._changed_since_encoded(lib, model, lib.evidence.mark())
        new = set(lib.items.ids()) - set(orig)
        assert len(new) == 1 and changed is not None
        assert {*orig[:3], *new} <= set(changed) <= {*orig[:4], *new}  # nothing else is read
        shutil.copytree(root, tmp_path / "full")
        waiting = encoding.pending(lib)
        report = encode_library(lib)
        assert report.encoded["text"] >= 1 and report.encoded["label"] >= 1 and report.encoded["image"] == 1
        assert waiting == report.encoded  # the window's count reads the same items
        incremental = _stored(lib)
        for modality in ("label", "text", "image"):  # merged snapshots: current, and as a full pass
            merged = _snapshot(lib, model, modality)
            assert merged[0] == lib.codes.version(modality)
            lib.codes.write_snapshot(model, modality)
            assert _snapshot(lib, model, modality) == merged
    with open_library(tmp_path / "full") as lib:
        lib.db.execute("DELETE FROM encode_marks")  # never encoded: every item is checked
        assert encoding._changed_since_encoded(lib, model, lib.evidence.mark()) is None
        assert encoding.pending(lib) == waiting
        assert encode_library(lib).encoded == report.encoded
        assert _stored(lib) == incremental


def test_an_undone_encode_puts_the_mark_back_so_the_next_run_encodes_again(encoded_root, tmp_path):
    root = tmp_path / "lib"
    shutil.copytree(encoded_root, root)
    with open_library(root) as lib:
        model = lib.models.active().id
        before = lib.codes.encoded_mark(model)
        lib.items.update(lib.items.ids()[0], description="石青缎绣云蝠纹女褂")
        done = Encode().run(lib)
        assert done.value.encoded["text"] == 1 and lib.codes.encoded_mark(model) > before
        done.undo.run(lib)
        assert lib.codes.encoded_mark(model) == before
        assert encode_library(lib).encoded["text"] == 1  # the undone codes are stale again


def test_a_log_pruned_past_the_mark_means_every_item_is_checked(encoded_root, tmp_path):
    root = tmp_path / "lib"
    shutil.copytree(encoded_root, root)
    with open_library(root) as lib:
        model = lib.models.active().id
        lib.items.update(lib.items.ids()[0], description="new words")
        lib.labels.tag([lib.items.ids()[1]], ["phoenix"])
        lib.evidence.prune(keep=1)  # the entries since the mark are gone but the newest
        assert encoding._changed_since_encoded(lib, model, lib.evidence.mark()) is None
        assert encode_library(lib).encoded == {"label": 1, "text": 1, "image": 0}
