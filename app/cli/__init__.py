"""Command line interface: ``wenyang COMMAND LIBRARY ...`` over the same services as the GUI.

Exit codes: 0 success, 1 error, 2 usage error, 3 partial success (something was skipped).
"""
from __future__ import annotations

import argparse
import sqlite3
import sys

from app import __version__
from app.core.errors import WenyangError
from app.services.library import ServerError, server_trouble

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


def _command_modules():
    from app.cli import collections_cmd, imports, items, labels_cmd, library_cmd, suggestions_cmd, trash_cmd
    modules = [library_cmd, imports, items, labels_cmd, collections_cmd, suggestions_cmd, trash_cmd]
    for name in ("bench_cmd", "train_cmd", "search_cmd", "exchange_cmd", "demo_cmd"):
        try:  # commands of optional parts register themselves when present
            modules.append(__import__(f"app.cli.{name}", fromlist=["register"]))
        except ModuleNotFoundError as exc:
            if exc.name != f"app.cli.{name}":
                raise
    return modules


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wenyang", description="Wenyang (纹样): label, search and export costume collections.")
    parser.add_argument("--version", action="version", version=f"wenyang {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in _command_modules():
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from app.cli.common import SafeStream

    parser = build_parser()
    args = parser.parse_args(argv)
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(sys.stdout), SafeStream(sys.stderr)
    try:
        return _run(args)
    finally:
        sys.stdout, sys.stderr = streams


def _run(args) -> int:
    try:
        return int(args.func(args) or EXIT_OK)
    except BrokenPipeError:
        return EXIT_OK
    except WenyangError as exc:
        print(f"wenyang: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except sqlite3.Error as exc:
        if "readonly" in str(exc).lower():
            print(f"wenyang: the library {getattr(args, 'library', '')} is read-only (a read-only disk or "
                  f"share, or no permission to write): `wenyang {args.command}` changes it, so nothing was "
                  "done. Browsing, search and export work; to change it, copy it to a writable folder.",
                  file=sys.stderr)
            return EXIT_ERROR
        print(f"wenyang: the library database reported an error: {exc}. Nothing more was written.",
              file=sys.stderr)
        return EXIT_ERROR
    except ServerError as exc:
        print(f"wenyang: {server_trouble(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"wenyang: {exc.strerror or exc}{where}.", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("wenyang: interrupted; everything written so far is complete.", file=sys.stderr)
        return 130
    except ModuleNotFoundError as exc:
        # train and bench in an installation without PyTorch (the viewer bundle)
        from app.services.capabilities import TRAINING_NEEDS_FULL, missing_training_module, training_available

        if not missing_training_module(exc) or training_available():
            raise
        print(f"wenyang: {TRAINING_NEEDS_FULL}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
