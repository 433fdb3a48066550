"""Every number on the command line is checked before anything runs: a one-line message and
exit code 2, never a traceback (issue 16)."""
from __future__ import annotations

import pytest

from app.cli import main

BAD = [
    (["search", "L", "--text", "x", "-k", "0"], "-k: 0 is out of range"),
    (["search", "L", "--text", "x", "-k", "-5"], "-k: -5 is out of range"),
    (["search", "L", "--text", "x", "-k", "ten"], "'ten' is not a whole number"),
    (["search", "L", "--like", "A", "--add", "phoenix", "--weight", "2"], "--weight: 2 is out of range"),
    (["search", "L", "--like", "A", "--add", "phoenix", "--weight", "nan"], "--weight: nan is out of range"),
    (["ls", "L", "--limit", "-1"], "--limit: -1 is out of range"),
    (["train", "L", "--epochs", "0"], "--epochs: 0 is out of range"),
    (["train", "L", "--image-size", "3"], "--image-size: 3 is out of range"),
    (["demo", "L", "--count", "0"], "--count: 0 is out of range"),
    (["export", "L", "-o", "x.zip", "--resize", "0"], "--resize: 0 is out of range"),
]


@pytest.mark.parametrize("argv, message", BAD)
def test_bad_numbers_stop_with_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert message in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if "error:" in line]) == 1


@pytest.mark.parametrize("region", [["0", "0", "0", "5"], ["3", "3", "1", "1"]])
def test_a_region_under_two_pixels_is_refused_before_the_library_opens(region, tmp_path, capsys):
    code = main(["search", str(tmp_path / "missing"), "--image", "q.jpg", "--region", *region])
    err = capsys.readouterr().err
    assert code == 1 and "at least 2 pixels" in err and not (tmp_path / "missing").exists()


@pytest.mark.parametrize("mapping", ["title", "=title", "Titel="])
def test_a_map_without_column_and_field_is_refused_in_one_line(mapping, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["import", str(tmp_path / "L"), str(tmp_path / "p.jpg"), "--map", mapping])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "is not COLUMN=FIELD" in err and "Traceback" not in err


@pytest.mark.parametrize("argv, twin", [([], None), (["--two-cnns"], True), (["--one-cnn"], False)])
def test_train_reads_one_or_two_cnns_and_refuses_both(argv, twin, capsys):
    from app.cli import build_parser

    assert build_parser().parse_args(["train", "L", *argv]).twin is twin
    with pytest.raises(SystemExit) as stop:
        main(["train", "L", "--one-cnn", "--two-cnns"])
    assert stop.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_bench_backlog_names_the_models_it_can_train(capsys):
    from app.services.bench_backlog import MODEL_OPTIONS

    assert MODEL_OPTIONS["onecnn"]({"epochs": 20}) == {"twin": False}
    assert MODEL_OPTIONS["twocnns"]({"epochs": 20}) == {"twin": True}
    assert MODEL_OPTIONS["firstrun"]({"epochs": 20}) == {"epochs": 20}
    assert main(["bench", "backlog", "--models", "default,nope"]) == 1
    assert "--models takes default, firstrun, onecnn, twocnns, not nope." in capsys.readouterr().err
