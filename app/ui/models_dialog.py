"""Model ▸ Models…: the library's trained models; use one for search, go back to the previous
one, delete one. Each is an op on the undo stack (``ActivateModel``, ``DeleteModel``)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from app.ui.i18n import Retranslating

COLUMNS = 6


def _models(lib) -> list:
    return lib.models.all()


class ModelsDialog(Retranslating, QDialog):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.setObjectName("modelsDialog")
        self.session = session
        self.models: list = []
        self.delete_answer: bool | None = None  # tests answer "delete this model?" here
        self.table = QTableWidget(0, COLUMNS, self)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.use_selected())
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.use_button, self.back_button = QPushButton(self), QPushButton(self)
        self.delete_button, self.close_button = QPushButton(self), QPushButton(self)
        self.use_button.clicked.connect(self.use_selected)
        self.back_button.clicked.connect(self.use_previous)
        self.delete_button.clicked.connect(self.delete_selected)
        self.close_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for button in (self.use_button, self.back_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        self.resize(760, 360)
        self.retranslate()
        session.changed.connect(lambda changes: self.reload() if changes.models else None)
        self.reload()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Models"))
        self.table.setHorizontalHeaderLabels([self.tr("Model"), self.tr("Trained"), self.tr("Bits"),
                                              self.tr("Method"), self.tr("Validation score"),
                                              self.tr("In use")])
        self.use_button.setText(self.tr("Use for search"))
        self.delete_button.setText(self.tr("Delete…"))
        self.close_button.setText(self.tr("Close"))
        self.note.setText(self.tr("Search and tag suggestions use one model at a time. Every change here "
                                  "can be undone (Edit ▸ Undo)."))
        self._update_buttons()

    # -- contents --------------------------------------------------------------------------
    def reload(self) -> None:
        self.session.run(_models, self._loaded)

    def _loaded(self, models: list) -> None:
        chosen = self.selected()
        self.models = list(models)
        self.table.setRowCount(len(self.models))
        for row, model in enumerate(self.models):
            validation = (model.card or {}).get("validation") or {}
            score = validation.get("map")
            cells = (model.id, str(model.created)[:16].replace("T", " "), str(model.bits), model.mode.upper(),
                     f"{score:.3f}" if isinstance(score, (int, float)) else "–", "✓" if model.active else "")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, model.id)
                self.table.setItem(row, column, item)
        ids = [m.id for m in self.models]
        if chosen in ids:
            self.table.selectRow(ids.index(chosen))
        self._update_buttons()

    def selected(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.models[rows[0].row()].id if rows and rows[0].row() < len(self.models) else None

    def active(self) -> str | None:
        return next((m.id for m in self.models if m.active), None)

    def previous(self) -> str | None:
        """The model trained last before the one in use (what "go back" returns to)."""
        ids = [m.id for m in self.models]  # oldest first
        active = self.active()
        if active is None:
            return ids[-1] if ids else None
        before = ids[:ids.index(active)]
        return before[-1] if before else None

    def _update_buttons(self) -> None:
        chosen, previous = self.selected(), self.previous()
        self.use_button.setEnabled(chosen is not None and chosen != self.active())
        self.delete_button.setEnabled(chosen is not None)
        self.back_button.setEnabled(previous is not None)
        self.back_button.setText(self.tr("Back to {model}").format(model=previous) if previous
                                 else self.tr("Back to the previous model"))

    # -- actions ---------------------------------------------------------------------------
    def use_selected(self) -> None:
        chosen = self.selected()
        if chosen is not None and chosen != self.active():
            self._activate(chosen)

    def use_previous(self) -> None:
        previous = self.previous()
        if previous is not None:
            self._activate(previous)

    def _activate(self, model_id: str) -> None:
        from app.services.ops import ActivateModel

        self.session.apply(ActivateModel(model_id), self.tr("Use model {model}").format(model=model_id))

    def delete_selected(self) -> None:
        from app.services.ops import DeleteModel

        chosen = self.selected()
        if chosen is None or not self._confirm_delete(chosen):
            return
        self.session.apply(DeleteModel(chosen), self.tr("Delete model {model}").format(model=chosen))

    def _confirm_delete(self, model_id: str) -> bool:
        if self.delete_answer is not None:
            return self.delete_answer
        text = self.tr("Delete model {model} and its codes?").format(model=model_id)
        if model_id == self.active():
            text += " " + self.tr("Search uses it now; until another model is in use, only words and tags are "
                                  "searched.")
        answer = QMessageBox.question(self, self.tr("Delete model"), text)
        return answer == QMessageBox.StandardButton.Yes
