"""Where Wenyang finds its shipped resources and its default library.

Kept free of third-party imports so every layer may use it.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

HOME_ENV = "WENYANG_HOME"


def _root() -> Path:
    # A PyInstaller bundle unpacks data next to the executable (sys._MEIPASS).
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    return Path(__file__).resolve().parent.parent


RESOURCES = _root() / "resources"
SHIPPED_MODELS = _root() / "models"


def resource(*parts: str) -> Path:
    """Path of a file shipped in ``resources/``."""
    return RESOURCES.joinpath(*parts)


def default_library_dir() -> Path:
    """The library folder used when none is named: ``$WENYANG_HOME`` or a per-user folder."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home()))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "Wenyang" / "library"


def user_cache_dir() -> Path:
    """Wenyang's own cache folder (the word segmenter's prefix dictionary lives there rather
    than in the shared temp folder): ``$XDG_CACHE_HOME/Wenyang`` or the platform's equivalent."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home()))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "Wenyang"
