"""Helpers for running the CLI in-process."""
from __future__ import annotations

import pytest

from app.cli import main


class Result:
    def __init__(self, code, out, err):
        self.code, self.out, self.err = code, out, err

    def __repr__(self):
        return f"Result(code={self.code}, out={self.out!r}, err={self.err!r})"


@pytest.fixture
def cli(capsys):
    """cli('ls', lib) → Result(code, out, err); asserts no traceback reached stderr."""
    def run(*argv) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        if code != 0:
            assert err.startswith("wenyang: ") and len(err.strip()) > len("wenyang: ")
        return Result(code, out, err)
    return run
