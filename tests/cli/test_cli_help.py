"""Every command and every sub-action answers --help (new commands are covered by the walk)."""
from __future__ import annotations

import argparse

import pytest

from app.cli import build_parser, main


def command_paths(parser: argparse.ArgumentParser, prefix=()) -> list[tuple[str, ...]]:
    """Every command path in the parser tree: ('labels',), ('labels', 'add'), ..."""
    paths = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths.append((*prefix, name))
                paths.extend(command_paths(sub, (*prefix, name)))
    return paths


PATHS = command_paths(build_parser())


def test_the_walk_finds_the_commands_this_suite_knows():
    expected = {("init",), ("ls",), ("show",), ("tag",), ("untag",), ("import",),
                *{("labels", a) for a in ("list", "add", "rename", "move", "merge", "delete",
                                          "export", "import")},
                *{("collections", a) for a in ("list", "create", "add", "remove", "rename",
                                               "delete")}}
    assert expected <= set(PATHS)


@pytest.mark.parametrize("path", PATHS, ids=" ".join)
def test_help(path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*path, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: wenyang " + " ".join(path))
    assert len(out.splitlines()) >= 3  # usage, a description, options


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for path in PATHS:
        if len(path) == 1:
            assert path[0] in out


def test_version(capsys):
    import app

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and app.__version__ in capsys.readouterr().out


@pytest.mark.parametrize("argv", [[], ["nonsense"], ["labels"], ["collections", "frobnicate", "x"],
                                  ["tag", "lib", "A1"]])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage:") and "Traceback" not in err
