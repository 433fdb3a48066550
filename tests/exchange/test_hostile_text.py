"""Curators' text that would run somewhere on its way out (issue 16): spreadsheet formulas,
markup in IIIF viewers, escape sequences in terminals; exports onto device nodes and pipes;
sheets whose duplicate columns would lose values."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from app.core.safe_text import from_csv_cell, iiif_text, terminal, to_csv_cell
from app.exchange.common import ExportError, select_all
from app.exchange.export_csv import export_csv
from app.exchange.iiif import export_iiif
from app.exchange.sheets import SheetError, read_sheet
from app.services.importing import ImportOptions, import_paths
from tests import samples

FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", " =1+1", "\t=1+1",
            "\r=1", "\u3000=1", "'=1", "''+1"]
HARMLESS = ["Dragon robe", "'Tis a robe", "1-2", "a=b", "", "'"]


@pytest.mark.parametrize("text", FORMULAS + HARMLESS)
def test_csv_quoting_is_exactly_undone(text):
    cell = to_csv_cell(text)
    assert from_csv_cell(cell) == text
    # what a spreadsheet sees first is never a formula character
    assert not cell.lstrip().startswith(("=", "+", "-", "@")) and not cell.startswith(("\t", "\r"))


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_text_is_written_as_it_is(text):
    assert to_csv_cell(text) == text


def _hostile_library(library, tmp_path):
    photo = samples.photo(tmp_path / "p.jpg", seed=3)
    import_paths(library, [photo])
    item_id = library.items.ids()[0]
    library.items.update(item_id, title="=HYPERLINK(\"http://evil\",\"click\")",
                         description="<script>alert(1)</script>\x1b]0;owned\x07",
                         metadata={"donor": "+cmd|' /C calc'!A0", "note": "<img src=x onerror=alert(1)>"})
    return library.items.get(item_id)


def test_csv_export_neutralises_formulas_and_reimports_unchanged(library, tmp_path):
    item = _hostile_library(library, tmp_path)
    out = tmp_path / "out.csv"
    export_csv(library, select_all(library), out)
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    assert rows[0]["title"].startswith("'=HYPERLINK")
    assert rows[0]["donor"].startswith("'+cmd")
    sheet = read_sheet(out)
    assert sheet.rows[0].title == item.title
    assert sheet.rows[0].metadata["donor"] == item.metadata["donor"]


def test_iiif_values_never_carry_live_markup(library, tmp_path):
    _hostile_library(library, tmp_path)
    export_iiif(library, select_all(library), tmp_path / "site")
    manifest = next((tmp_path / "site" / "manifests").glob("*.json"))
    text = manifest.read_text(encoding="utf-8")
    assert "<script" not in text and "<img" not in text and "\x1b" not in text
    data = json.loads(text)
    summary = next(iter(data["summary"].values()))[0]
    assert summary == "<span>&lt;script&gt;alert(1)&lt;/script&gt;]0;owned</span>"


def test_iiif_text_leaves_plain_text_alone():
    assert iiif_text("Robe > Dragon & clouds") == "Robe > Dragon & clouds"


def test_cli_show_prints_escape_sequences_visibly(library, tmp_path, capsys):
    item = _hostile_library(library, tmp_path)
    where = str(library.location)
    library.close()
    capsys.readouterr()
    assert main(["show", where, item.accession]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\u001b]0;owned\\u0007" in out
    assert main(["show", where, item.accession, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)  # the escapes are JSON's own: still valid JSON
    assert shown["description"].endswith("\x1b]0;owned\x07")


def test_terminal_escapes_c1_and_bidi_overrides():
    assert terminal("a\x9bb\u202ec") == "a\\u009bb\\u202ec"
    assert terminal("\rprogress 3/5", keep_leading_return=True) == "\rprogress 3/5"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_export_onto_a_fifo_is_refused_and_the_node_stays(library, tmp_path):
    _hostile_library(library, tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ExportError, match="not a regular file"):
        export_csv(library, select_all(library), fifo)
    assert fifo.is_fifo()
    with pytest.raises(ExportError, match="not a regular file"):
        export_iiif(library, select_all(library), fifo)
    assert fifo.is_fifo()


def test_export_onto_a_device_node_is_refused(library, tmp_path):
    if not Path("/dev/null").exists():
        pytest.skip("no /dev/null here")
    _hostile_library(library, tmp_path)
    link = tmp_path / "null.csv"
    link.symlink_to("/dev/null")
    with pytest.raises(ExportError, match="not a regular file"):
        export_csv(library, select_all(library), link)
    assert link.is_symlink() and Path("/dev/null").is_char_device()


def test_sheet_with_a_column_named_twice_is_refused(tmp_path, library):
    sheet = tmp_path / "s.csv"
    sheet.write_text("file,title,note,note\np.jpg,Robe,first,second\n", encoding="utf-8")
    with pytest.raises(SheetError, match="'note' more than once"):
        read_sheet(sheet)
    photo = samples.photo(tmp_path / "p.jpg", seed=1)
    with pytest.raises(SheetError):
        import_paths(library, [photo], ImportOptions(metadata=sheet))
    assert library.items.ids() == []  # nothing imported before the sheet was understood


def test_no_telemetry_or_temp_files_from_onnx_runtime_and_jieba(tmp_path):
    """ONNX Runtime writes a telemetry store under ~/.cache and a session file in the temp
    folder on import unless told not to; jieba caches in the temp folder unless told where."""
    home, temp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir(), temp.mkdir()
    script = ("import app.runtime.model, onnxruntime, onnx\n"
              "from onnx import helper, TensorProto\n"
              "g = helper.make_graph([helper.make_node('Identity', ['x'], ['y'])], 'g',"
              " [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1])],"
              " [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1])])\n"
              "m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)], ir_version=8)\n"
              "onnxruntime.InferenceSession(m.SerializeToString(), providers=['CPUExecutionProvider'])\n"
              "from app.text.tokenizer import tokenize\n"
              "assert '龙袍' in tokenize('明黄缎绣龙袍')\n")
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "ORT_DISABLE_TELEMETRY")}
    env.update(HOME=str(home), TMPDIR=str(temp))
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=Path(__file__).parents[2])
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert written == [os.path.join("home", ".cache", "Wenyang", "jieba-prefix.chunks")]


def test_a_formula_metadata_key_survives_the_round_trip(library, tmp_path):
    photo = samples.photo(tmp_path / "p.jpg", seed=3)
    import_paths(library, [photo])
    item_id = library.items.ids()[0]
    library.items.update(item_id, metadata={"=HYPERLINK(\"http://x\")": "v", "-note": "w"})
    out = tmp_path / "out.csv"
    export_csv(library, select_all(library), out)
    sheet = read_sheet(out)
    assert sheet.rows[0].metadata["=HYPERLINK(\"http://x\")"] == "v" and sheet.rows[0].metadata["-note"] == "w"


def test_a_json_sheet_naming_a_key_twice_is_refused(tmp_path):
    sheet = tmp_path / "s.json"
    sheet.write_text('[{"file": "p.jpg", "title": "first", "title": "second"}]', encoding="utf-8")
    with pytest.raises(SheetError, match="s.json: a record names 'title' twice"):
        read_sheet(sheet)


def test_superscript_port_names_are_reserved_too():
    from app.exchange.common import safe_name

    assert safe_name("COM¹") == "_COM¹" and safe_name("LPT³.x") == "_LPT³.x"
