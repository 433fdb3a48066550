"""Edit ▸ Edit selected items…: one title or metadata value for many items at once (the
``EditItems`` op: one undo step)."""
from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from app.ui.i18n import Retranslating


def _fields(lib, item_ids: list[int]) -> list[str]:
    """The metadata fields the selected items (and the library) use, most common first."""
    counts: dict[str, int] = {}
    for item_id in item_ids:
        for key in lib.items.get(item_id).metadata:
            counts[key] = counts.get(key, 0) + 1
    return sorted(counts, key=lambda k: (-counts[k], k))


class BatchEditDialog(Retranslating, QDialog):
    def __init__(self, session, item_ids: list[int], parent=None):
        super().__init__(parent)
        self.setObjectName("batchEditDialog")
        self.session, self.item_ids = session, list(item_ids)
        self.what = QLabel(self)
        self.set_title = QCheckBox(self)
        self.title = QLineEdit(self)
        self.title.textEdited.connect(lambda _t: self.set_title.setChecked(True))
        self.field = QComboBox(self)
        self.field.setEditable(True)  # an existing field, or a new one typed in
        self.value = QLineEdit(self)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        self.form = QFormLayout()
        self.form_labels = [QLabel(self) for _ in range(3)]
        for label, widget in zip(self.form_labels, (self.title, self.field, self.value)):
            self.form.addRow(label, widget)
        layout = QVBoxLayout(self)
        layout.addWidget(self.what)
        layout.addWidget(self.set_title)
        layout.addLayout(self.form)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.retranslate()
        ids = list(self.item_ids)
        session.run(lambda lib: _fields(lib, ids), self._fields_loaded)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Edit selected items"))
        self.what.setText(self.tr("{n} item(s) selected").format(n=len(self.item_ids)))
        self.set_title.setText(self.tr("Give them all this title"))
        for label, text in zip(self.form_labels, (self.tr("Title"), self.tr("Field"), self.tr("Value"))):
            label.setText(text)
        self.note.setText(self.tr("The field gets the value on every selected item (an empty value removes the "
                                  "field); their other fields stay as they are. Edit ▸ Undo takes it back."))

    def _fields_loaded(self, fields: list[str]) -> None:
        for name in fields:
            if self.field.findText(name) < 0:
                self.field.addItem(name)

    def apply(self) -> None:
        from app.services.ops import EditItems

        field, value = self.field.currentText().strip(), self.value.text()
        title = self.title.text() if self.set_title.isChecked() else None
        metadata = {field: value} if field else {}
        if title is None and not metadata:
            self.reject()
            return
        self.session.apply(EditItems(self.item_ids, title=title, metadata=metadata),
                           self.tr("Edit {n} item(s)").format(n=len(self.item_ids)))
        self.accept()
