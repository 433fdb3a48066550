"""Waiting in tests for what another connection's write brings (a server's announcements arrive
milliseconds after the commit)."""
from __future__ import annotations

import time


def eventually(check, seconds: float = 3.0) -> bool:
    """Whether ``check()`` becomes true within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
