"""Running a compiled loop's rows on every core.

The loops of ``_compiled`` release the interpreter lock (``nogil``), so plain threads run
them side by side; each thread gets a contiguous block of rows. One pool lives for the
process (starting threads per query would cost more than small passes take); the calling
thread does the first block itself. Below ``MIN_ROWS`` rows a pass runs on one thread.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from app.core.machine import cores

MIN_ROWS = 1 << 16  # ~1-10 ms of work for the loops here: less is not worth a hand-off


THREADS = min(8, cores())
_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def blocks(n: int, threads: int | None = None) -> list[tuple[int, int]]:
    """[start, stop) row ranges covering ``n`` rows, one per thread used."""
    threads = THREADS if threads is None else max(1, threads)
    parts = max(1, min(threads, n // MIN_ROWS))
    step = -(-n // parts) if n else 0
    return [(start, min(n, start + step)) for start in range(0, n, step)] if n else [(0, 0)]


def run_blocks(fn: Callable[[int, int], object], n: int, threads: int | None = None) -> None:
    """Call ``fn(start, stop)`` over every block of ``n`` rows, in parallel; re-raises the
    first failure after all blocks have finished."""
    parts = blocks(n, threads)
    if len(parts) == 1:
        fn(*parts[0])
        return
    futures = [_executor().submit(fn, start, stop) for start, stop in parts[1:]]
    try:
        fn(*parts[0])
    finally:
        for future in futures:
            future.exception()  # wait for every block before anyone reads the output
    for future in futures:
        future.result()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max(1, THREADS - 1), thread_name_prefix="wenyang-rows")
        return _pool
