"""The trash: items deleted from the library, restorable as they were until it is emptied."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from app.services import ops
from app.ui.i18n import Retranslating

ItemIdRole = Qt.ItemDataRole.UserRole + 50
PhotoEntryRole = Qt.ItemDataRole.UserRole + 51


class TrashDialog(Retranslating, QDialog):
    """What the trash holds; Restore (undoable, like the delete) and Empty (for good)."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.setObjectName("trashDialog")
        self.session = session
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.list = QTreeWidget(self)
        self.list.setColumnCount(3)
        self.list.setRootIsDecorated(False)
        self.list.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # titles are long
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.buttons = QDialogButtonBox(self)
        self.restore_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.ActionRole)
        self.empty_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.close_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.RejectRole)
        self.restore_button.clicked.connect(self.restore_selected)
        self.empty_button.clicked.connect(self.empty)
        self.close_button.clicked.connect(self.reject)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        layout = QVBoxLayout(self)
        for widget in (self.summary, self.list, self.buttons):
            layout.addWidget(widget)
        self.resize(640, 400)
        self.trashed: list = []
        self.photos: list = []  # single photos deleted from items that stayed
        session.changed.connect(lambda changes: self.reload() if changes.item_set or changes.photos else None)
        self.retranslate()
        self.reload()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Trash"))
        self.list.setHeaderLabels([self.tr("Accession"), self.tr("Title"), self.tr("Deleted")])
        self.restore_button.setText(self.tr("&Restore"))
        self.empty_button.setText(self.tr("&Empty trash…"))
        self.close_button.setText(self.tr("Close"))
        self._show_summary()

    def reload(self) -> None:
        self.session.run(lambda lib: (lib.trash.items(), lib.trash.lone_photos()), self._fill)

    def _fill(self, found) -> None:
        trashed, photos = found
        self.trashed, self.photos = list(trashed), list(photos)
        self.list.clear()
        for t in self.trashed:
            row = QTreeWidgetItem(self.list, [t.accession, t.title, t.trashed.replace("T", " ")[:16]])
            row.setData(0, ItemIdRole, t.id)
        for p in self.photos:
            owner = p.accession or self.tr("an item in the trash")
            row = QTreeWidgetItem(self.list, [self.tr("Photo {n} of {owner}").format(n=p.position + 1, owner=owner),
                                              p.path.rsplit("/", 1)[-1], p.trashed.replace("T", " ")[:16]])
            row.setData(0, PhotoEntryRole, p.id)
            row.setToolTip(1, p.path)
        self._show_summary()
        self._update_buttons()

    def _show_summary(self) -> None:
        text = self.tr("{n} item(s) in the trash. Restoring puts them back with their photos, "
                       "labels and collections.").format(n=len(self.trashed))
        if self.photos:
            text += " " + self.tr("{n} single photo(s) deleted from items that stayed; restoring puts each "
                                  "back on its item.").format(n=len(self.photos))
        self.summary.setText(text)

    def _update_buttons(self) -> None:
        self.restore_button.setEnabled(bool(self.list.selectedItems()))
        self.empty_button.setEnabled(bool(self.trashed or self.photos))

    def selected_ids(self) -> list[int]:
        return [int(row.data(0, ItemIdRole)) for row in self.list.selectedItems() if row.data(0, ItemIdRole) is not None]

    def selected_photos(self) -> list[int]:
        return [int(row.data(0, PhotoEntryRole)) for row in self.list.selectedItems()
                if row.data(0, PhotoEntryRole) is not None]

    def restore_selected(self) -> None:
        ids, photos = self.selected_ids(), self.selected_photos()
        if ids:
            self.session.apply(ops.RestoreItems(ids), self.tr("Restore {n} item(s)").format(n=len(ids)))
        if photos:
            self.session.apply(ops.RestorePhotos(photos), self.tr("Restore {n} photo(s)").format(n=len(photos)))

    def empty(self, confirm: bool = True) -> None:
        if confirm and QMessageBox.question(
                self, self.tr("Empty trash"),
                self.tr("Forget the {n} item(s) and {p} single photo(s) in the trash for good, with the photos "
                        "copied into the library for them? This cannot be undone.").format(
                    n=len(self.trashed), p=len(self.photos))
        ) != QMessageBox.StandardButton.Yes:
            return
        from app.services.trash import empty_trash

        self.session.run(empty_trash, self._emptied)

    def _emptied(self, result) -> None:
        items, files = result
        self.session.message.emit(self.tr("Trash emptied: {items} item(s), {files} file(s) removed.")
                                  .format(items=items, files=files))
        self.reload()
