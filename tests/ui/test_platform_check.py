"""Starting on a stock machine: when Qt's X11 plugin cannot load, the start stops at once with
the exact command that fixes it, instead of Qt's abort that names no package."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from app.ui.platform_check import debian_package, display_problem, missing_libraries, uses_xcb


def stand_in_ldd(tmp_path, output: str):
    """A stand-in for the system's ldd printing ``output`` (what Debian 12 prints for Qt's plugin
    before libxcb-cursor0 and friends are installed)."""
    script = tmp_path / "ldd"
    script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{output}\nEOF\n")
    script.chmod(0o755)
    return str(script)


def test_the_real_ldd_finds_nothing_missing_for_a_program_that_runs():
    import pathlib
    import shutil

    if shutil.which("ldd") is None:
        pytest.skip("no ldd here (not glibc Linux): the check says nothing and the start goes on")
    python = pathlib.Path(os.path.realpath(sys.executable))
    assert missing_libraries(python) == []  # it runs, so every library it needs is there


def test_missing_libraries_are_named_with_the_command_that_installs_them(tmp_path):
    ldd = stand_in_ldd(tmp_path, "\tlibQt6XcbQpa.so.6 => /opt/libQt6XcbQpa.so.6 (0x1)\n"
                                 "\tlibxcb-cursor.so.0 => not found\n\tlibxcb-icccm.so.4 => not found\n"
                                 "\tlibxcb-keysyms.so.1 => not found\n\tlibxkbcommon-x11.so.0 => not found")
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"")
    missing = missing_libraries(plugin, ldd)
    assert missing == ["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxkbcommon-x11.so.0"]
    text = display_problem({"DISPLAY": ":0"}, missing, as_root=False)
    assert "sudo apt-get install -y libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0" in text
    as_root = display_problem({"DISPLAY": ":0"}, missing, as_root=True)
    assert "\n    apt-get install -y libxcb-cursor0" in as_root and "sudo" not in as_root  # root often has no sudo
    assert debian_package("libxcb-render-util.so.0") == "libxcb-render-util0"


def test_only_the_x11_plugin_is_checked():
    assert uses_xcb({"DISPLAY": ":0"}) and uses_xcb({"QT_QPA_PLATFORM": "xcb"})
    assert not uses_xcb({"QT_QPA_PLATFORM": "offscreen"})
    assert not uses_xcb({"WAYLAND_DISPLAY": "wayland-0"})
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, ["libxcb-cursor.so.0"]) is None


def test_wenyang_gui_without_a_display_stops_at_once_with_a_sentence(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="xcb", WENYANG_HOME=str(tmp_path / "lib"), WENYANG_NO_DEMO="1")
    done = subprocess.run([sys.executable, "-c", "import sys; from app.ui.main import main; sys.exit(main())"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    # a machine without Qt's X11 libraries is told that first (a stock one lacks some)
    said = "needs system libraries" if missing_libraries() else "there is no display"
    assert said in done.stderr and "Aborted" not in done.stderr
    assert not (tmp_path / "lib").exists()  # stopped before anything was made


def test_a_machine_without_a_chinese_font_is_told_which_package_draws_it(window):
    from app.ui.fonts import chinese_font_missing

    assert chinese_font_missing([]) and not chinese_font_missing(["Noto Sans CJK SC"])
    warning = window.findChild(type(window.path_label), "fontWarning")
    assert "apt-get install fonts-noto-cjk" in warning.text()
    # shown exactly when Qt's own font database has nothing for Chinese on this machine
    assert warning.isVisibleTo(window) == chinese_font_missing()
