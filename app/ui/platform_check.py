"""Before Qt starts: can its X11 platform plugin load here? Say exactly what to install if not.

On a fresh Debian 12 desktop, Qt 6's ``xcb`` plugin needs libraries that a stock install lacks
(libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1 …). Qt then aborts the whole process with
"could not load the Qt platform plugin xcb", which names no package. This check runs ``ldd`` on
the plugin first and, when something is missing, returns a message with the one command that
installs it. It needs no Qt import, so it runs before the ``QApplication`` exists.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found", re.MULTILINE)


def _plugin() -> Path | None:
    try:
        import PySide6
    except ImportError:
        return None
    path = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return path if path.is_file() else None


def uses_xcb(env=os.environ) -> bool:
    """Whether Qt will pick its X11 plugin: on Linux, unless another platform is named or a
    Wayland session is running (Qt 6 prefers its Wayland plugin there)."""
    if not sys.platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(":")[0].split(";")[0] == "xcb"
    return not env.get("WAYLAND_DISPLAY")


def missing_libraries(plugin: Path | None = None, ldd: str | None = None) -> list[str]:
    """The shared libraries ``ldd`` reports as not found for the plugin ([] when it cannot tell)."""
    plugin = plugin or _plugin()
    ldd = ldd or shutil.which("ldd")
    if plugin is None or ldd is None:
        return []
    try:
        out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(set(_NOT_FOUND.findall(out)))


def debian_package(soname: str) -> str:
    """libxcb-cursor.so.0 → libxcb-cursor0; libxkbcommon-x11.so.0 → libxkbcommon-x11-0 (Debian's
    rule: the version follows the name, after a hyphen when the name ends in a digit)."""
    name, _, version = soname.partition(".so.")
    version = version.split(".")[0]
    if not version:
        return name
    return f"{name}-{version}" if name[-1:].isdigit() else f"{name}{version}"


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def display_problem(env=os.environ, missing: list[str] | None = None,
                    as_root: bool | None = None) -> str | None:
    """Why the window cannot open here, with the command that fixes it; None when it can. The command
    has no ``sudo`` for root (a root shell on a stock Debian often has no sudo installed)."""
    if not uses_xcb(env):
        return None
    libraries = missing_libraries() if missing is None else missing
    if libraries:
        packages = " ".join(debian_package(lib) for lib in libraries)
        sudo = "" if (_is_root() if as_root is None else as_root) else "sudo "
        return ("The window cannot open: Qt's X11 plugin needs system libraries that are not installed "
                f"({', '.join(libraries)}).\nOn Debian or Ubuntu, install them with:\n\n"
                f"    {sudo}apt-get install -y {packages}\n\nthen start Wenyang again.")
    if not env.get("DISPLAY"):
        return ("The window cannot open: there is no display (DISPLAY is not set). Start Wenyang from a "
                "desktop session, or for a check without a screen set QT_QPA_PLATFORM=offscreen.")
    return None
