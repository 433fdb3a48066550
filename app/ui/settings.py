"""The window's remembered settings (QSettings): last library, language, window geometry,
the folder of the last export.

Every read and write goes through this module, so the keys live in one place and tests can
point QSettings at a temporary folder (``use_settings_dir``) without touching the user's.
"""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings

from app.services.library import as_location, is_dsn, without_password

ORGANISATION = "Wenyang"
APPLICATION = "Wenyang"
LAST_LIBRARY = "library/last"
LANGUAGE = "ui/language"          # 'system', 'en' or 'zh_CN'
GEOMETRY = "window/geometry"
STATE = "window/state"
EXPORT_FOLDER = "export/folder"   # where the last export went: the next one starts there
STATE_VERSION = 1                  # bump when docks change, so an old layout is not restored


def configure_application(organisation: str = ORGANISATION, application: str = APPLICATION) -> None:
    """Names QSettings files after the organisation and application."""
    QCoreApplication.setOrganizationName(organisation)
    QCoreApplication.setApplicationName(application)


def use_settings_dir(folder: Path, organisation: str = "WenyangTest") -> None:
    """Keep settings as INI files under ``folder`` (tests: never the user's own settings)."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
    configure_application(organisation, APPLICATION)


def settings() -> QSettings:
    """The application's settings object (cheap to create; Qt caches the file)."""
    return QSettings()


def last_library() -> Path | str | None:
    """The library opened last: a folder, or a server's connection string."""
    value = settings().value(LAST_LIBRARY, "")
    return as_location(str(value)) if value else None


def remember_library(root: Path | str) -> None:
    """The library opened now: reopened next time, and first among the recent ones. A server's
    connection string is kept without its password (libpq's ~/.pgpass is the place for that)."""
    root = without_password(root) if isinstance(root, str) else root
    s = settings()
    s.setValue(LAST_LIBRARY, str(root))
    recent = [str(root)] + [p for p in recent_libraries_raw() if p != str(root)]
    s.setValue("recent_libraries", json.dumps(recent[:RECENT]))


RECENT = 8  # File ▸ Open recent holds this many


def recent_libraries_raw() -> list[str]:
    try:
        value = json.loads(str(settings().value("recent_libraries", "[]") or "[]"))
    except ValueError:
        return []
    return [str(v) for v in value if isinstance(v, str)] if isinstance(value, list) else []


def recent_libraries() -> list[Path | str]:
    """Recently opened libraries that still exist (folders) or may (servers), most recent first."""
    return [as_location(p) for p in recent_libraries_raw() if is_dsn(p) or Path(p).is_dir()]


def language() -> str:
    return str(settings().value(LANGUAGE, "system") or "system")


def set_language(code: str) -> None:
    settings().setValue(LANGUAGE, code)


def export_folder() -> Path:
    value = str(settings().value(EXPORT_FOLDER, "") or "")
    return Path(value) if value and Path(value).is_dir() else Path.home()


def remember_export_folder(folder: Path) -> None:
    settings().setValue(EXPORT_FOLDER, str(folder))


def window_state() -> tuple[QByteArray | None, QByteArray | None]:
    """Saved (geometry, dock state), or Nones when nothing was saved."""
    s = settings()
    return s.value(GEOMETRY, None), s.value(STATE, None)  # type: ignore[return-value]  # as saved


def save_window_state(geometry: QByteArray, state: QByteArray) -> None:
    s = settings()
    s.setValue(GEOMETRY, geometry)
    s.setValue(STATE, state)


def grid_view() -> tuple[str, int]:
    """The grid's remembered order (``app.store.items.ORDERS``) and thumbnail side in pixels."""
    s = settings()
    order = str(s.value("grid/order", "accession") or "accession")
    try:
        side = int(str(s.value("grid/side", 160)))
    except (TypeError, ValueError):
        side = 160
    return order, side


def table_view() -> bool:
    """Whether the items were last shown as a table (View ▸ As a table)."""
    return str(settings().value("grid/table", "false")).lower() == "true"


def save_table_view(table: bool) -> None:
    settings().setValue("grid/table", "true" if table else "false")


def save_grid_view(order: str, side: int) -> None:
    s = settings()
    s.setValue("grid/order", order)
    s.setValue("grid/side", int(side))
