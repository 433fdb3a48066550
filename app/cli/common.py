"""Helpers shared by the CLI commands."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.core.safe_text import terminal
from app.paths import default_library_dir
from app.services.library import is_dsn, open_library


def add_library_arg(parser: argparse.ArgumentParser) -> None:
    # Kept as text: Path('') is '.', which would turn '' (the default library) into the
    # current folder. Use library_path(args) for the Path.
    parser.add_argument("library", help="library folder (use '' or '.default' for $WENYANG_HOME), or a "
                                        "library on a PostgreSQL server: postgresql://user@host/database")


def library_path(args) -> Path | str:
    """The library named on the command line: a folder, or a server's connection string as typed."""
    return location_of(str(args.library))


def location_of(text: str) -> Path | str:
    """A library named in text: '' or '.default' for $WENYANG_HOME, a folder, or a server's
    connection string as typed."""
    if is_dsn(text):
        return text
    return default_library_dir() if text.strip() in ("", ".default") else Path(text)


def open_from_args(args, create: bool = False):
    return open_library(library_path(args), create=create)


def emit_json(data) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def command(sub, name: str, help_text: str, func, library: bool = True) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text, description=help_text)
    if library:
        add_library_arg(parser)
    parser.set_defaults(func=func)
    return parser


def action_group(sub, name: str, help_text: str):
    """A command with sub-actions (``wenyang labels add ...``); returns ``action(name, help,
    func)`` that adds one action taking the library argument."""
    top = sub.add_parser(name, help=help_text, description=help_text)
    actions = top.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    def action(action_name: str, action_help: str, func) -> argparse.ArgumentParser:
        return command(actions, action_name, action_help, func)
    return action


class SafeStream:
    """A text stream that shows control characters from curators' text (titles, file names,
    sheet values) as visible escapes instead of letting the terminal obey them; JSON output
    stays valid, since the escapes are JSON's own spelling."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(terminal(text, keep_leading_return=True))
        return len(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def whole(low: int, high: int | None = None):
    """An argparse type: a whole number from ``low`` (to ``high``), with a one-line message."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            span = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise argparse.ArgumentTypeError(f"{value} is out of range: give a whole number {span}")
        return value
    parse.__name__ = "whole number"
    return parse


def share(text: str) -> float:
    """An argparse type: a number from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"{text} is out of range: give a number from 0 to 1")
    return value
