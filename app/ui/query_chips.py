"""What a typed search was understood as, shown as removable chips ("Robe · 袍 ×") with an
"Add label…" box: the curator corrects the reading and the search runs again.

The widget only edits a list of label ids and says so with ``labelsEdited(list)``; the search
panel decides what to run. Adding accepts a completion, an id, a keyword path or any wording
query understanding knows (凤凰 → Phoenix).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCompleter, QFrame, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from app.core.errors import SchemeError
from app.services.search import understand
from app.ui.i18n import Retranslating, label_language
from app.ui.label_models import label_text

CHIP_STYLE = ("QFrame#queryChip { border: 1px solid palette(mid); border-radius: 9px; "
              "background: palette(alternate-base); }")


class Chip(QFrame):
    """One label: its name and a × that removes it."""

    removeClicked = Signal(str)

    def __init__(self, label_id: str, text: str, remove_tip: str, parent=None):
        super().__init__(parent)
        self.setObjectName("queryChip")
        self.setStyleSheet(CHIP_STYLE)
        self.label_id = label_id
        self.text = QLabel(text, self)
        self.remove = QToolButton(self)
        self.remove.setObjectName("chipRemove")
        self.remove.setText("×")
        self.remove.setAutoRaise(True)
        self.remove.setToolTip(remove_tip)
        self.remove.setAccessibleName(remove_tip)
        self.remove.clicked.connect(lambda: self.removeClicked.emit(self.label_id))
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.text)
        row.addWidget(self.remove)


class QueryChips(Retranslating, QWidget):
    """The understood labels of the last typed search; ``labelsEdited(ids)`` on every change."""

    labelsEdited = Signal(list)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("queryChips")
        self.scheme = None
        self.label_ids: list[str] = []
        self.chips: list[Chip] = []
        self._choices: dict[str, str] = {}  # completion text → label id
        self._build()
        self.retranslate()

    def _build(self) -> None:
        self.heading = QLabel(self)
        self.nothing = QLabel(self)
        self.add_button = QToolButton(self)
        self.add_button.setObjectName("addLabel")
        self.add_button.clicked.connect(self.open_editor)
        self.editor = QLineEdit(self)
        self.editor.setObjectName("addLabelEditor")
        self.editor.setClearButtonEnabled(True)
        self.editor.hide()
        self.editor.returnPressed.connect(lambda: self.add_typed(self.editor.text()))
        self.completer = QCompleter([], self.editor)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer.activated.connect(self.add_typed)
        self.editor.setCompleter(self.completer)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.heading, self.nothing, self.add_button, self.editor):
            self.row.addWidget(widget)
        self.row.addStretch(1)

    def retranslate(self) -> None:
        self.heading.setText(self.tr("Understood:"))
        self.nothing.setText(self.tr("no label — searching by words only"))
        self.add_button.setText(self.tr("Add label…"))
        self.add_button.setToolTip(self.tr("Add a label to this search"))
        self.editor.setPlaceholderText(self.tr("Type a label name"))
        if self.scheme is not None:
            self._refresh()

    # -- state -----------------------------------------------------------------------------
    def set_scheme(self, scheme) -> None:
        """Names and completions follow the library's scheme (and the interface language)."""
        self.scheme = scheme
        self._refresh()

    def set_labels(self, label_ids) -> None:
        """Show ``label_ids`` (what the search understood) without emitting ``labelsEdited``."""
        self.label_ids = [lid for lid in label_ids if self.scheme is None or lid in self.scheme.labels]
        self._refresh()

    def remove_label(self, label_id: str) -> None:
        """Drop one chip and ask for the search again without it."""
        if label_id in self.label_ids:
            self.label_ids = [lid for lid in self.label_ids if lid != label_id]
            self._refresh()
            self.labelsEdited.emit(list(self.label_ids))

    def add_labels(self, label_ids) -> None:
        """Add labels (each once) and ask for the search again with them."""
        new = [lid for lid in dict.fromkeys(label_ids) if lid not in self.label_ids]
        if new:
            self.label_ids = [*self.label_ids, *new]
            self._refresh()
            self.labelsEdited.emit(list(self.label_ids))

    # -- the add box -----------------------------------------------------------------------
    def open_editor(self) -> None:
        self.add_button.hide()
        self.editor.clear()
        self.editor.show()
        self.editor.setFocus()

    def close_editor(self) -> None:
        self.editor.hide()
        self.add_button.show()

    def add_typed(self, text: str) -> bool:
        """Add what was typed or picked; False (and the box stays open) when it names no label."""
        found = self.labels_for(text)
        if not found:
            self.editor.setToolTip(self.tr("No label called “{text}”").format(text=text.strip()))
            return False
        self.editor.setToolTip("")
        self.close_editor()
        self.add_labels(found)
        return True

    def labels_for(self, text: str) -> list[str]:
        """The label ids ``text`` names: a completion, an id, a name or path, or a wording."""
        text = text.strip()
        if not text or self.scheme is None:
            return []
        if text in self._choices:
            return [self._choices[text]]
        try:
            return [self.scheme.resolve(text).id]
        except SchemeError:
            return understand(text, self.scheme).labels

    # -- drawing ---------------------------------------------------------------------------
    def _refresh(self) -> None:
        lang = label_language()
        labels = self.scheme.labels if self.scheme is not None else {}
        self._choices = {label_text(l, lang): l.id for l in labels.values()}
        self.completer.model().setStringList(sorted(self._choices))  # type: ignore[attr-defined]  # a QStringListModel
        for chip in self.chips:
            self.row.removeWidget(chip)
            chip.deleteLater()
        self.chips = [self._chip(lid, labels, lang) for lid in self.label_ids]
        for position, chip in enumerate(self.chips, 1):
            self.row.insertWidget(position, chip)
        self.nothing.setVisible(not self.label_ids)

    def _chip(self, label_id: str, labels, lang: str) -> Chip:
        name = label_text(labels[label_id], lang) if label_id in labels else label_id
        chip = Chip(label_id, name, self.tr("Remove {label}").format(label=name), self)
        chip.removeClicked.connect(self.remove_label)
        return chip
