"""Help ▸ Keyboard shortcuts and Help ▸ Getting started: what a new curator needs on one page.

The shortcut list is read from the window's own actions (so it cannot drift from them), with
the keys that live in single widgets (Space on the grid, Shift+drag on the photo) added.
"""
from __future__ import annotations

import html

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from app.ui.i18n import Retranslating


def _plain(text: str) -> str:
    """A menu text without its mnemonic marker or trailing ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


class HelpDialog(Retranslating, QDialog):
    """One page of help (``kind``: "shortcuts" or "guide")."""

    def __init__(self, window, kind: str, parent=None):
        super().__init__(parent or window)
        self.setObjectName(f"help_{kind}")
        self.window_, self.kind = window, kind
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(620, 560)
        self.retranslate()

    def retranslate(self) -> None:
        if self.kind == "shortcuts":
            self.setWindowTitle(self.tr("Keyboard shortcuts"))
            self.browser.setHtml(self._shortcuts_html())
        else:
            self.setWindowTitle(self.tr("Getting started"))
            self.browser.setHtml(self._guide_html())

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every window action with a shortcut, then the widgets' own."""
        rows = []
        for action in QWidget.actions(self.window_):  # the window's own list: ``actions`` is shadowed
            keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
            if keys and action.text():
                rows.append((" / ".join(keys), _plain(action.text())))
        rows.sort(key=lambda row: row[1].lower())
        rows += [(self.tr("Space"), self.tr("On the grid: the selected photo full size; two selected: side by side")),
                 (self.tr("Double-click"), self.tr("On the grid: the photo full size")),
                 (self.tr("Shift+drag"), self.tr("On the photo: search for the detail you draw")),
                 (self.tr("Type, then Enter"), self.tr("In the tagging box (Ctrl+T): tag the selection")),
                 (self.tr("Wheel, + − 0 1"), self.tr("In a photo: zoom, fit, actual pixels"))]
        return rows

    def _shortcuts_html(self) -> str:
        cells = "".join(f"<tr><td style='padding-right:16px'><b>{html.escape(keys)}</b></td>"
                        f"<td>{html.escape(what)}</td></tr>" for keys, what in self.shortcut_rows())
        return f"<h3>{html.escape(self.tr('Keyboard shortcuts'))}</h3><table>{cells}</table>"

    def _guide_html(self) -> str:
        steps = [
            (self.tr("Import"), self.tr("Drop photos or a folder on the window (with a CSV or JSON sheet of "
                                        "accession numbers, titles, descriptions and labels), check the "
                                        "options and press Import. Nothing is lost: Edit ▸ Undo takes an "
                                        "import back.")),
            (self.tr("Browse"), self.tr("Tick labels in the Labels panel to narrow the grid; the counts say how "
                                        "many items each tick would show. Collections on the left keep "
                                        "exhibition lists.")),
            (self.tr("Tag"), self.tr("Select items, press Ctrl+T, type a label name in either language and "
                                     "press Enter. Suggestions from the model can be accepted or rejected "
                                     "one by one.")),
            (self.tr("Search"), self.tr("Type what you look for (Ctrl+F), in Chinese or English: words find "
                                        "titles, descriptions and accession numbers; label names find the "
                                        "photos that show them, tagged or not. Drop a photo, or draw a "
                                        "rectangle on one, to find the same kind of garment and motif.")),
            (self.tr("Train"), self.tr("Model ▸ Train learns from your tagged items. New photos are encoded "
                                       "in the background; Model ▸ Models… lets you go back to an earlier "
                                       "model.")),
            (self.tr("Export"), self.tr("File ▸ Export writes a sheet, a ZIP package that imports back, IIIF "
                                        "manifests or a research data set, for the library, a collection, "
                                        "a search result or the selection.")),
        ]
        items = "".join(f"<li><b>{html.escape(title)}.</b> {html.escape(text)}</li>" for title, text in steps)
        return f"<h3>{html.escape(self.tr('Getting started'))}</h3><ol>{items}</ol>"
