"""The window's one job runner: progress throttled without losing a stage's end, cancel
reported as a cancel, results and errors back on the GUI thread."""
from __future__ import annotations

from PySide6.QtCore import QThreadPool

from app.core.jobs import Progress
from app.ui.jobs import Job


class Counting(Job):
    def __init__(self, steps: int, fail: Exception | None = None):
        super().__init__()
        self.steps, self.fail = steps, fail

    def work(self):
        for stage in ("first", "second"):
            for done in range(1, self.steps + 1):
                self.cancel_token.check()
                self.report(Progress(stage, done, self.steps))
        if self.fail is not None:
            raise self.fail
        return "done"


def run(qtbot, job: Job, cancel_after: int | None = None):
    seen, ended = [], []
    job.progress.connect(seen.append)
    job.finished.connect(lambda result: ended.append(("finished", result)))
    job.failed.connect(lambda message, cancelled: ended.append(("failed", message, cancelled)))
    if cancel_after is not None:
        job.progress.connect(lambda event: job.cancel() if len(seen) >= cancel_after else None)
    pool = QThreadPool()
    job.start(pool)
    qtbot.waitUntil(lambda: bool(ended), timeout=10_000)
    pool.waitForDone()
    return seen, ended[0]


def test_progress_is_throttled_but_every_stage_shows_its_end(qtbot):
    seen, ended = run(qtbot, Counting(20_000))
    assert ended == ("finished", "done")
    assert len(seen) < 2_000  # 40,000 reports, a few hundred posts
    ends = [(e.stage, e.done) for e in seen if e.finished_stage]
    assert ends == [("first", 20_000), ("second", 20_000)]


def test_a_cancelled_job_says_it_was_cancelled(qtbot):
    job = Counting(2_000_000)
    seen, ended = run(qtbot, job, cancel_after=1)
    assert ended[0] == "failed" and ended[2] is True and "Cancelled" in ended[1]
    assert not job.running


def test_an_error_is_reported_as_one_not_as_a_cancel(qtbot):
    _, ended = run(qtbot, Counting(3, fail=ValueError("the disk is full")))
    assert ended == ("failed", "the disk is full", False)
