"""A library on a read-only medium opens for browsing, search and export, says so, and
writing commands say why they cannot (issue 16, item 12)."""
from __future__ import annotations

import pytest

from app.cli import main
from app.core.errors import LibraryError
from app.exchange.common import select_all
from app.exchange.export_csv import export_csv
from app.services.importing import import_paths
from app.store import open_library
from tests import samples
from tests.store.read_only import listing, read_only_view


@pytest.fixture
def ro_library(tmp_path):
    root = tmp_path / "lib"
    with open_library(root, create=True) as lib:
        import_paths(lib, [samples.photo(tmp_path / f"p{i}.jpg", seed=i) for i in range(3)])
        lib.labels.tag(lib.items.ids()[:2], ["dragon"])
    with read_only_view(root, tmp_path / "ro") as ro:
        yield ro


def test_browse_and_export_work_and_nothing_is_written(ro_library, tmp_path):
    before = listing(ro_library)
    with open_library(ro_library) as lib:
        assert lib.read_only
        assert len(lib.items.ids()) == 3 and len(lib.labels.items_with("dragon")) == 2
        assert lib.keywords.search("p1") != []  # keyword search answers from the index as it is
        export_csv(lib, select_all(lib), tmp_path / "out.csv")
    assert (tmp_path / "out.csv").is_file()
    assert listing(ro_library) == before


def test_writing_is_refused_up_front_with_the_reason(ro_library, tmp_path):
    with open_library(ro_library) as lib:
        with pytest.raises(LibraryError, match="read-only.*cannot import photos"):
            import_paths(lib, [samples.photo(tmp_path / "new.jpg", seed=9)])


def test_cli_reads_and_says_why_it_cannot_write(ro_library, capsys):
    assert main(["ls", str(ro_library)]) == 0
    assert "(3 of 3 items)" in capsys.readouterr().out
    assert main(["tag", str(ro_library), "p0", "-l", "phoenix"]) == 1
    err = capsys.readouterr().err
    assert "read-only" in err and "`wenyang tag` changes it" in err and "Traceback" not in err
