"""The installer files stay consistent with each other and with the tree (no PyInstaller run).

The spec is executed with stand-ins for PyInstaller's build classes, so what it would put in
the bundle (data files, executables, macOS Info.plist) is checked in a second, without
PyInstaller installed.
"""
from __future__ import annotations

import ast
import configparser
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"
SPEC = INSTALLER / "wenyang.spec"
ISS = INSTALLER / "windows" / "wenyang.iss"
DESKTOP = INSTALLER / "linux" / "wenyang.desktop"
SCRIPTS = [INSTALLER / "build_linux.sh", INSTALLER / "smoke_test.sh", INSTALLER / "linux" / "install.sh",
           INSTALLER / "macos" / "build_macos.sh"]


# --- the spec as Python ----------------------------------------------------------------------
def root_paths(tree: ast.AST) -> list[Path]:
    """Every ``ROOT / "a" / "b"`` expression of the spec, as a path in the repository."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            parts, left = [], node
            while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Div):
                if not (isinstance(left.right, ast.Constant) and isinstance(left.right.value, str)):
                    break
                parts.append(left.right.value)
                left = left.left
            else:
                if isinstance(left, ast.Name) and left.id == "ROOT":
                    found.append(ROOT.joinpath(*reversed(parts)))
    return found


def test_spec_parses_and_every_file_it_names_exists():
    tree = ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))
    paths = root_paths(tree)
    names = {p.relative_to(ROOT).as_posix() for p in paths}
    assert {"installer/launcher.py", "resources", "models", "resources/icons/wenyang.png",
            "resources/icons/wenyang.ico", "app/__init__.py"} <= names
    missing = [p for p in paths if not p.exists()]
    assert not missing, f"the spec names files that do not exist: {missing}"


def test_icons_exist_and_the_svg_is_valid_xml():
    import xml.etree.ElementTree as ET

    icons = ROOT / "resources" / "icons"
    root = ET.parse(icons / "wenyang.svg").getroot()
    assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 256 256"
    from PIL import Image

    with Image.open(icons / "wenyang.png") as png:
        assert png.size == (256, 256)
    with Image.open(icons / "wenyang.ico") as ico:
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])


# --- the spec executed with stand-ins for PyInstaller -------------------------------------------
class Recorder:
    """Stands in for Analysis, PYZ, EXE, COLLECT and BUNDLE: keeps its arguments."""

    made: list = []

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        Recorder.made.append(self)


def _kind(name):
    return type(name, (Recorder,), {})


PYZ, EXE, COLLECT, BUNDLE = (_kind(n) for n in ("PYZ", "EXE", "COLLECT", "BUNDLE"))

# What PyInstaller's own hooks would add on top of the spec's datas, for the filters to act on.
HOOK_DATAS = [("jieba/analyse/idf.txt", "/site/jieba/analyse/idf.txt", "DATA"),
              ("PySide6/Qt/translations/qtbase_de.qm", "/site/qtbase_de.qm", "DATA")]
HOOK_BINARIES = [(f"onnxruntime/capi/{name}", f"/site/{name}", "BINARY") for name in (
    "libonnxruntime.so.1.31.1", "libonnxruntime_providers_shared.so",
    "libonnxruntime_providers_cuda.so", "libonnxruntime_providers_tensorrt.so")]


class Analysis(Recorder):
    """Like PyInstaller's: ``datas``/``binaries`` are (destination file, source, kind) lists."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.datas = [(f"{dest}/{Path(src).name}", src, "DATA") for src, dest in kwargs["datas"]]
        self.datas += HOOK_DATAS
        self.binaries = list(HOOK_BINARIES)
        self.pure, self.scripts = [], list(args)


def run_spec(monkeypatch, variant: str, platform: str | None = None) -> dict:
    """Execute the spec as PyInstaller would, with recorded build steps; its namespace."""
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_submodules = lambda package, **kw: [f"{package}.cli.train_cmd"]
    hooks.copy_metadata = lambda dist, **kw: [(f"/site/{dist}-1.0.dist-info", f"{dist}-1.0.dist-info")]
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    monkeypatch.setenv("WENYANG_BUNDLE", variant)
    monkeypatch.delenv("WENYANG_ORT_CUDA", raising=False)
    if platform:
        monkeypatch.setattr(sys, "platform", platform)
    Recorder.made = []
    namespace = {"SPECPATH": str(INSTALLER), "__file__": str(SPEC), "__name__": "__main__",
                 "Analysis": Analysis, "PYZ": PYZ, "EXE": EXE, "COLLECT": COLLECT, "BUNDLE": BUNDLE}
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    namespace["made"] = list(Recorder.made)
    return namespace


def made(ns, kind):
    return [r for r in ns["made"] if type(r).__name__ == kind]


def test_viewer_spec_collects_resources_jieba_and_qt_translations(monkeypatch):
    ns = run_spec(monkeypatch, "viewer")
    (analysis,) = made(ns, "Analysis")
    bundled = {dest for dest, _src, _kind in analysis.datas}   # after the spec's own filters
    assert {"resources/scheme/default.json", "resources/i18n/zh_CN.json",
            "resources/glossary/costume_terms.txt", "resources/icons/wenyang.svg",
            "jieba/dict.txt", "PySide6/Qt/translations/qtbase_zh_CN.qm",
            "PySide6/Qt/translations/qt_zh_CN.qm", "jieba-1.0.dist-info/jieba-1.0.dist-info"} <= bundled
    assert "jieba/analyse/idf.txt" not in bundled
    assert "PySide6/Qt/translations/qtbase_de.qm" not in bundled
    for _dest, src, _kind in analysis.datas:
        if not src.startswith("/site/"):
            assert Path(src).is_file(), src
    excludes = set(analysis.kwargs["excludes"])
    assert {"torch", "torchvision", "triton", "nvidia", "onnx"} <= excludes
    assert "app.cli.train_cmd" in analysis.kwargs["hiddenimports"]  # the CLI imports it by name
    providers = {Path(dest).name for dest, _src, _kind in analysis.binaries}
    assert "libonnxruntime_providers_shared.so" in providers
    assert not {"libonnxruntime_providers_cuda.so", "libonnxruntime_providers_tensorrt.so"} & providers


def test_full_spec_keeps_torch(monkeypatch):
    ns = run_spec(monkeypatch, "full")
    (analysis,) = made(ns, "Analysis")
    assert "torch" not in analysis.kwargs["excludes"]
    assert "triton" in analysis.kwargs["excludes"]
    assert ns["keep_binary"]("onnxruntime/capi/libonnxruntime_providers_cuda.so")
    if importlib.util.find_spec("torchvision") is not None:
        ops = {Path(src).stem.split(".")[0] for src, dest in analysis.kwargs["binaries"] if dest == "torchvision"}
        assert "_C_stable" in ops or "_C" in ops, "torchvision's C++ ops (nms) would be missing"


def test_onnxruntime_providers_by_variant(monkeypatch):
    ns = run_spec(monkeypatch, "viewer")
    keep = ns["keep_binary"]
    assert keep("onnxruntime/capi/libonnxruntime_providers_shared.so")
    assert keep("onnxruntime/capi/libonnxruntime.so.1.31.1")
    assert not keep("onnxruntime/capi/libonnxruntime_providers_cuda.so")
    assert not keep("onnxruntime/capi/libonnxruntime_providers_tensorrt.so")
    keep_data = ns["keep_data"]
    assert keep_data("jieba/dict.txt") and not keep_data("jieba/analyse/idf.txt")
    assert keep_data("PySide6/Qt/translations/qtbase_zh_CN.qm")
    assert not keep_data("PySide6/Qt/translations/qtbase_de.qm")
    assert not keep_data("PySide6/Qt/translations/qt_help_zh_CN.qm")
    assert keep_data("resources/scheme/default.json")


def test_two_executables_share_one_folder_gui_first(monkeypatch):
    ns = run_spec(monkeypatch, "viewer")
    gui, cli = made(ns, "EXE")
    assert (gui.kwargs["name"], gui.kwargs["console"]) == ("wenyang-gui", False)
    assert (cli.kwargs["name"], cli.kwargs["console"]) == ("wenyang", True)
    assert gui.kwargs["exclude_binaries"] and cli.kwargs["exclude_binaries"]
    (collect,) = made(ns, "COLLECT")
    assert collect.args[:2] == (gui, cli)
    assert collect.kwargs["name"] == ns["APP_NAME"] == "Wenyang"
    assert not made(ns, "BUNDLE")  # only on macOS


def test_macos_bundle_info_plist(monkeypatch):
    ns = run_spec(monkeypatch, "viewer", platform="darwin")
    (bundle,) = made(ns, "BUNDLE")
    plist = bundle.kwargs["info_plist"]
    assert bundle.kwargs["name"] == "Wenyang.app"
    assert bundle.kwargs["bundle_identifier"] == plist.get("CFBundleIdentifier", "org.wenyang.Wenyang")
    assert re.fullmatch(r"[a-z]+(\.[A-Za-z]+)+", bundle.kwargs["bundle_identifier"])
    from app import __version__

    assert bundle.kwargs["version"] == plist["CFBundleShortVersionString"] == __version__
    assert plist["NSHighResolutionCapable"] is True
    assert plist["LSBackgroundOnly"] is False        # else no Dock icon (COLLECT's console=True)
    assert plist["CFBundleExecutable"] == "wenyang-gui"
    assert "CFBundleDocumentTypes" not in plist


def test_unknown_variant_is_refused(monkeypatch):
    with pytest.raises(SystemExit, match="viewer"):
        run_spec(monkeypatch, "everything")


# --- the launcher -------------------------------------------------------------------------------
def test_launcher_picks_gui_or_cli_by_executable_name():
    spec = importlib.util.spec_from_file_location("wenyang_launcher", INSTALLER / "launcher.py")
    launcher = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launcher)
    assert launcher.wants_gui("/opt/Wenyang/wenyang-gui")
    assert launcher.wants_gui(r"C:\Program Files\Wenyang\wenyang-gui.exe".replace("\\", "/"))
    assert launcher.wants_gui("/Applications/Wenyang.app/Contents/MacOS/wenyang-gui")
    assert not launcher.wants_gui("/opt/Wenyang/wenyang")
    assert not launcher.wants_gui("C:/Wenyang/wenyang.exe")


# --- Linux desktop entry --------------------------------------------------------------------------
def test_desktop_entry_has_the_required_keys():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Wenyang"
    assert entry["Name[zh_CN]"] == "纹样"
    assert entry["Comment"] and re.search(r"[\u4e00-\u9fff]", entry["Comment[zh_CN]"])
    assert entry["Exec"].split()[0] == "wenyang-gui"
    assert entry["Icon"] == "wenyang"
    assert (ROOT / "resources" / "icons" / f"{entry['Icon']}.svg").is_file()
    categories = entry["Categories"]
    assert categories.endswith(";") and {"Graphics", "Office"} <= set(categories.split(";"))
    assert entry["Terminal"] == "false"


def test_desktop_entry_validates_when_the_tool_is_installed():
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate not installed")
    result = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# --- Windows setup script -----------------------------------------------------------------------
def iss_text() -> str:
    raw = ISS.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Inno Setup reads a .iss without a UTF-8 BOM as ANSI"
    return raw.decode("utf-8-sig").replace("\r\n", "\n")


def iss_defines(text: str) -> dict[str, str]:
    return dict(re.findall(r'^\s*#define\s+(\w+)\s+"([^"]*)"', text, flags=re.M))


def test_iss_installs_the_folder_the_spec_produces(monkeypatch):
    text = iss_text()
    defines = iss_defines(text)
    ns = run_spec(monkeypatch, "viewer")
    assert defines["BundleName"] == ns["APP_NAME"]
    assert defines["Variant"] == "viewer"
    assert re.search(r'#define DistDir "\.\.\\\.\.\\dist\\" \+ Variant \+ "\\" \+ BundleName', text)
    gui, cli = made(ns, "EXE")
    assert defines["GuiExe"] == gui.kwargs["name"] + ".exe"
    assert defines["CliExe"] == cli.kwargs["name"] + ".exe"
    # build_linux.sh writes dist/VARIANT/Wenyang, the same layout.
    assert 'DIST="$ROOT/dist/$VARIANT"' in (INSTALLER / "build_linux.sh").read_text()
    assert 'BUNDLE="$DIST/Wenyang"' in (INSTALLER / "build_linux.sh").read_text()


def test_iss_setup_options():
    text = iss_text()
    assert re.search(r"^PrivilegesRequired=lowest$", text, flags=re.M)
    assert re.search(r'^Name: "en"; MessagesFile: "compiler:Default\.isl"', text, flags=re.M)
    assert "ChineseSimplified.isl" in text
    assert re.search(r'^Name: "\{autoprograms\}\\', text, flags=re.M)
    assert re.search(r'^Name: "\{autodesktop\}\\.*Tasks: desktopicon', text, flags=re.M)
    assert re.search(r"^AppId=\{\{[0-9A-F-]{36}\}$", text, flags=re.M)
    icon = re.search(r"^SetupIconFile=(.+)$", text, flags=re.M).group(1).strip()
    assert (ISS.parent / icon.replace("\\", "/")).resolve().is_file()
    for section in ("[Setup]", "[Languages]", "[Files]", "[Icons]", "[Tasks]", "[Run]"):
        assert section in text


# --- scripts ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_are_executable_bash(script):
    assert script.read_text().startswith("#!/usr/bin/env bash\n")
    assert os.access(script, os.X_OK), f"{script} is not executable (chmod +x, git update-index --chmod=+x)"
    bash = shutil.which("bash")
    if bash:
        result = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_pyinstaller_is_pinned_alike_everywhere():
    pins = {path.name: set(re.findall(r"pyinstaller==([\d.]+)", path.read_text()))
            for path in (INSTALLER / "build_linux.sh", INSTALLER / "macos" / "build_macos.sh",
                         INSTALLER / "windows" / "build_windows.ps1")}
    versions = set().union(*pins.values())
    assert len(versions) == 1 and all(pins.values()), pins


def test_linux_bundle_leaves_out_the_gtk_theme_and_its_stack(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    keep = run_spec(monkeypatch, "viewer")["keep_binary"]
    assert not keep("PySide6/Qt/plugins/platformthemes/libqgtk3.so")
    assert not keep("libcairo.so.2") and not keep("libpango-1.0.so.0") and not keep("libharfbuzz.so.0")
    # Pillow's own (renamed) HarfBuzz, Qt's xcb plugin and fontconfig stay.
    assert keep("libharfbuzz-fb49c9fc.so.0.61210.0")
    assert keep("PySide6/Qt/plugins/platforms/libqxcb.so") and keep("libfontconfig.so.1")


# --- the shipped demo model ------------------------------------------------------------------------
def test_spec_bundles_models_but_never_a_half_written_folder(monkeypatch, tmp_path):
    ns = run_spec(monkeypatch, "viewer")
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo.part").mkdir()
    for folder in ("demo", "demo.part"):
        (tmp_path / folder / "card.json").write_text("{}")
    (tmp_path / "README.md").write_text("x")
    dests = sorted(Path(dest).as_posix() for _src, dest in ns["tree"](tmp_path, "models"))
    assert dests == ["models", "models/demo"]
    (analysis,) = made(ns, "Analysis")
    bundled = {dest for dest, _src, _kind in analysis.datas}
    assert "models/README.md" in bundled
    demo = INSTALLER.parent / "models" / "demo" / "demo.json"
    assert ("models/demo/demo.json" in bundled) == demo.is_file()


def test_every_build_script_makes_the_demo_model_first():
    for path in (INSTALLER / "build_linux.sh", INSTALLER / "macos" / "build_macos.sh",
                 INSTALLER / "windows" / "build_windows.ps1"):
        text = path.read_text(encoding="utf-8")
        assert "demo_model.py" in text and "WENYANG_DEMO_MODEL" in text, path.name
        assert text.index("demo_model.py") < text.index("-m PyInstaller"), path.name


def test_demo_model_generator_parses_and_is_executable():
    script = INSTALLER / "demo_model.py"
    assert script.read_text(encoding="utf-8").startswith("#!/usr/bin/env python3\n")
    assert os.access(script, os.X_OK)
    ast.parse(script.read_text(encoding="utf-8"))
    assert "/models/demo/" in (INSTALLER.parent / ".gitignore").read_text().splitlines()
