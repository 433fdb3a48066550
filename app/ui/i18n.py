"""Interface languages: a QTranslator that reads a JSON catalogue.

Why JSON rather than Qt's .ts/.qm: PySide6-Essentials ships ``pyside6-lupdate`` and
``pyside6-lrelease`` today, but a .qm file is a compiled binary that must be rebuilt and
committed whenever a string changes, and the tool is not guaranteed in every PySide6 wheel or
build machine. A JSON catalogue (``resources/i18n/zh_CN.json``: context → source → translation)
is diffable, needs no build step, works unchanged in a PyInstaller bundle, and
``app.ui.i18n_catalogue`` keeps it complete (a test fails when a marked string lacks a
translation). Strings are still marked the Qt way (``self.tr`` / ``QCoreApplication.translate``),
so switching to .qm later is a matter of running lupdate.

A lookup falls back from (context, source) to the source alone, because PySide6 reports the
runtime class as the context while the catalogue records the class that wrote the string.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app.paths import resource

LANGUAGES = {"en": "English", "zh_CN": "中文"}  # names shown in their own language
DEFAULT = "en"                                   # the source strings are English


def catalogue_path(code: str) -> Path:
    return resource("i18n", f"{code}.json")


def load_catalogue(code: str) -> dict[str, dict[str, str]]:
    """``{context: {source: translation}}`` of a language ({} for English or when missing)."""
    path = catalogue_path(code)
    if code == DEFAULT or not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {ctx: {src: tr for src, tr in entries.items() if tr}
            for ctx, entries in data.get("contexts", {}).items()}


class JsonTranslator(QTranslator):
    """Translates from a JSON catalogue; unknown strings fall through to the next translator."""

    def __init__(self, code: str, parent=None):
        super().__init__(parent)
        self.code = code
        self.contexts = load_catalogue(code)
        self.by_source: dict[str, str] = {}
        for entries in self.contexts.values():
            for source, translation in entries.items():
                self.by_source.setdefault(source, translation)

    def translate(self, context, source_text, disambiguation=None, n=-1):
        # None (not "") tells Qt "no translation here": "" would blank the string out.
        entries = self.contexts.get(context or "")
        if entries and source_text in entries:
            return entries[source_text]
        return self.by_source.get(source_text)

    def isEmpty(self) -> bool:
        return not self.by_source

    def language(self) -> str:
        return self.code


def system_language() -> str:
    """The catalogue that fits the system locale (Chinese locales → zh_CN, else English)."""
    return "zh_CN" if QLocale.system().name().lower().startswith("zh") else DEFAULT


def resolve_language(choice: str) -> str:
    """A saved choice ('system', 'en', 'zh_CN') → the language code to install."""
    return system_language() if choice in ("", "system") or choice not in LANGUAGES else choice


_installed: JsonTranslator | None = None


_qt_installed: QTranslator | None = None


def install_language(code: str) -> str:
    """Replace the installed translator with ``code``'s; Qt then sends LanguageChange to every
    widget, which retranslates itself (see ``Retranslating``). Returns the code installed.

    Qt's own catalogue (``qtbase_zh_CN.qm``: standard buttons, file and message dialogs) is
    installed beside ours when Qt has one for ``code``; the bundles carry it too."""
    global _installed, _qt_installed
    app = QCoreApplication.instance()
    if app is None:  # no application yet: nothing to translate
        return code
    for translator in (_installed, _qt_installed):
        if translator is not None:
            app.removeTranslator(translator)
    _installed = _qt_installed = None
    if code != DEFAULT:
        _installed = JsonTranslator(code, app)
        app.installTranslator(_installed)
        qt = QTranslator(app)
        if qt.load(f"qtbase_{code}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            app.installTranslator(qt)
            _qt_installed = qt
    return code


def current_language() -> str:
    return _installed.code if _installed is not None else DEFAULT


def label_language() -> str:
    """Which name of a bilingual label to show first: 'zh' or 'en'."""
    return "zh" if current_language().startswith("zh") else "en"


def tr(context: str, text: str) -> str:
    """Translate ``text`` in ``context`` (for code outside a QObject method)."""
    return Text(QCoreApplication.translate(context, text))


_COUNTED = re.compile(r"(\d[\d,]*)|\b([A-Za-z]+)\((s|es)\)")


def counted(text: str) -> str:
    """Real English plurals in a formatted string: "1 item(s)" → "1 item", "3 photo(s)" →
    "3 photos"; a "word(s)" follows the nearest number before it ("2 file(s) or folder(s)" →
    "2 files or folders"). Text without "(s)" (Chinese has no plural forms) is unchanged."""
    if "(" not in text:
        return text
    last: list[str] = [""]

    def one(match: re.Match) -> str:
        if match.group(1):
            last[0] = match.group(1)
            return match.group(1)
        word, ending = match.group(2), match.group(3)
        return word if last[0].replace(",", "") == "1" else word + ending

    return _COUNTED.sub(one, text)


class Text(str):
    """A translated string whose ``format`` gives real plurals (``counted``)."""

    def format(self, *args, **kwargs) -> str:  # type: ignore[override]  # returns str, as str's does
        return counted(str.format(self, *args, **kwargs))


class Retranslating:
    """Mixin for widgets: ``retranslate()`` sets every visible string and runs again on a
    LanguageChange event, so switching the language takes effect at once. Its ``tr`` returns
    a ``Text``, so "{n} item(s)" formats as "1 item" or "2 items"."""

    def tr(self, source: str, disambiguation: str | None = None, n: int = -1) -> str:
        return Text(super().tr(source, disambiguation, n))  # type: ignore[misc]  # the QObject mixed into

    def retranslate(self) -> None:  # overridden by each widget
        pass

    def changeEvent(self, event) -> None:
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)  # type: ignore[misc]  # the QWidget this is mixed into
