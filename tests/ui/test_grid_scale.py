"""The grid over 100,000 items: the id list loads off the GUI thread, the scroll bar spans
every row at once, and scrolling from top to bottom keeps every repaint short. Timings are printed for the
report; the assertions are generous bounds, not benchmarks."""
from __future__ import annotations

import time

import pytest
from PySide6.QtWidgets import QApplication

from tests.ui.helpers import wait_idle

N_ITEMS = 100_000


def fill(library, n: int) -> None:
    """Insert ``n`` bare items at once (the importer would take minutes for this many)."""
    conn = library.db.conn
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO items (accession, title, description, metadata, created, modified) "
                     "VALUES (?, ?, '', '{}', '', '')",
                     ((f"M{i:06d}", f"Robe {i}") for i in range(n)))
    conn.execute("COMMIT")


def timed_steps(step, count: int, grid=None, pages: set | None = None) -> list[float]:
    """Run ``step()`` then the event loop ``count`` times; the seconds each took, sorted.
    ``pages`` collects the record pages of the rows ``grid`` showed after each step."""
    times = []
    for _ in range(count):
        t = time.perf_counter()
        step()
        QApplication.processEvents()  # paint the visible cells
        times.append(time.perf_counter() - t)
        if pages is not None:
            pages.update(row // grid.model().PAGE for row in grid._visible_rows())
    return sorted(times)


def summary(times: list[float]) -> str:
    return (f"median {times[len(times) // 2] * 1000:.1f} ms, p99 {times[int(len(times) * 0.99)] * 1000:.1f} ms, "
            f"worst {times[-1] * 1000:.1f} ms")


@pytest.mark.slow
def test_scrolling_through_100000_items_stays_smooth(library, open_window, qtbot):
    fill(library, N_ITEMS)
    started = time.perf_counter()
    window = open_window(library)
    qtbot.waitUntil(lambda: window.grid_model.total == N_ITEMS, timeout=20_000)
    opened = time.perf_counter() - started
    grid, model = window.grid, window.grid_model
    bar = grid.verticalScrollBar()
    # the scroll bar spans every row at once: straight to the end, and the last item is there
    assert model.rowCount() == N_ITEMS
    shown: set[int] = {row // model.PAGE for row in grid._visible_rows()}  # record pages shown
    ends = timed_steps(grid.scrollToBottom, 1, grid, shown)
    last = grid.indexAt(grid.visualRect(model.index(N_ITEMS - 1)).center())
    assert last.row() == N_ITEMS - 1 and grid.viewport().rect().contains(grid.visualRect(last))
    # then jump through the whole range, as a dragged scroll bar does, and wheel-scroll a while
    positions = iter(range(0, bar.maximum(), max(1, bar.maximum() // 300)))
    jumps = timed_steps(lambda: bar.setValue(next(positions, bar.maximum())), 300, grid, shown)
    def wheel_step():  # three wheel notches up, then a full synchronous repaint of the view
        bar.setValue(bar.value() - 3 * bar.singleStep())
        grid.viewport().repaint()
    wheel = timed_steps(wheel_step, 200, grid, shown)
    visible = grid.indexAt(grid.viewport().rect().center())
    qtbot.waitUntil(lambda: visible.data() not in (None, "…"))
    wait_idle(qtbot, window)
    print(f"\n100,000 items: window ready {opened:.2f} s; to the end {ends[0] * 1000:.1f} ms; "
          f"300 scroll-bar jumps ({summary(jumps)}); "
          f"200 wheel steps with a full repaint ({summary(wheel)}); {len(model._records)} records held")
    assert visible.data().startswith("M")
    assert jumps[int(len(jumps) * 0.99)] < 0.5 and wheel[int(len(wheel) * 0.99)] < 0.5  # generous
    loaded = {model.row_of(item_id) // model.PAGE for item_id in model._records}
    assert loaded <= shown and len(loaded) < N_ITEMS // model.PAGE  # only the pages shown were loaded


def test_an_empty_grid_shows_its_first_page_then_adds_the_rest(library, open_window, qtbot, monkeypatch):
    """The first page comes before the whole id list (at a million items on a cold disk the
    list took 8-15 s, and the grid said "0 items"); the rest are added after it, not by a
    reset, so what the curator selected meanwhile stays selected, and the bar says the list
    is still loading until then."""
    import threading

    from app.ui import queries

    fill(library, 450)
    window = open_window(library)
    model = window.grid_model
    qtbot.waitUntil(lambda: not model.loading)
    model.beginResetModel()  # as in a window that has just opened: nothing on show
    model._ids, model._row_of = type(model._ids)("q"), {}
    model.endResetModel()
    gate, whole = threading.Event(), queries.ordered_ids
    monkeypatch.setattr(queries, "ordered_ids", lambda *a, **k: gate.wait(10) and whole(*a, **k))
    seen = []
    model.modelReset.connect(lambda: seen.append(("reset", model.rowCount())))
    model.rowsInserted.connect(lambda _p, first, last: seen.append(("inserted", first, last)))
    model.totalChanged.connect(lambda n: seen.append(("bar", window.filter_bar.text())))
    model.reload()
    qtbot.waitUntil(lambda: model.total > 0)
    assert seen == [("reset", model.PAGE), ("bar", "Loading items…")] and model.loading and model.partial
    assert model.record(model.item_id(0)).accession == "M000000"  # the page's records came with it
    window.grid.select_ids([model.item_id(7)])
    gate.set()                            # the whole list arrives
    qtbot.waitUntil(lambda: not model.loading)
    assert seen[2:] == [("inserted", model.PAGE, 449), ("bar", "450 items")]
    assert model.total == 450 and not model.partial
    assert window.grid.selected_ids() == [model.item_id(7)]
    assert window.table_model.rowCount() == 450  # the table view follows the insertion
    grid = window.grid                    # and the scroll bar spans the rows added
    lines = -(-450 // grid.columns())
    assert grid.verticalScrollBar().maximum() == lines * grid.gridSize().height() - grid.viewport().height()
