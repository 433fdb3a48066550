"""The collections sidebar: pick one to filter the grid, drop items on one to add them,
create, rename and delete from the buttons or the context menu."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.models import Collection
from app.services import ops
from app.ui import queries
from app.ui.grid_model import ITEM_IDS_MIME, ids_from_mime
from app.ui.i18n import Retranslating

CollectionIdRole = Qt.ItemDataRole.UserRole + 20


class CollectionList(QListWidget):
    """A list that accepts item ids dropped onto a collection row."""

    itemsDropped = Signal(int, list)  # collection id, item ids

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)

    def _target(self, event):
        item = self.itemAt(event.position().toPoint())
        return item.data(CollectionIdRole) if item is not None else None

    def dragEnterEvent(self, event) -> None:
        event.setAccepted(event.mimeData().hasFormat(ITEM_IDS_MIME))

    def dragMoveEvent(self, event) -> None:
        event.setAccepted(event.mimeData().hasFormat(ITEM_IDS_MIME) and self._target(event) is not None)

    def dropEvent(self, event) -> None:
        target, ids = self._target(event), ids_from_mime(event.mimeData())
        if target is None or not ids:
            event.ignore()
            return
        event.acceptProposedAction()
        self.itemsDropped.emit(target, ids)


class CollectionsPanel(Retranslating, QWidget):
    """Sidebar of collections; ``collectionSelected(id or None)`` filters the grid."""

    collectionSelected = Signal(object)
    exportRequested = Signal(int)      # the context menu's "Export…" on a collection

    def __init__(self, session, selected_items: Callable[[], list[int]], parent=None):
        super().__init__(parent)
        self.setObjectName("collectionsPanel")
        self.session = session
        self.selected_items = selected_items
        self.collections: list[Collection] = []
        self.current: int | None = None
        self._build_widgets()
        session.changed.connect(self._on_changed)
        self.retranslate()
        self.reload()

    def _build_widgets(self) -> None:
        self.list = CollectionList(self)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.currentItemChanged.connect(self._current_changed)
        self.list.itemsDropped.connect(self.add_items)
        self.new_button, self.rename_button, self.delete_button = (QToolButton(self) for _ in range(3))
        self.new_button.clicked.connect(lambda: self.create_collection())
        self.rename_button.clicked.connect(lambda: self.rename_collection(self.current))
        self.delete_button.clicked.connect(lambda: self.delete_collection(self.current))
        buttons = QHBoxLayout()
        for button in (self.new_button, self.rename_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    def retranslate(self) -> None:
        self.new_button.setText(self.tr("New…"))
        self.new_button.setToolTip(self.tr("Create a collection (Ctrl+Shift+N)"))
        self.rename_button.setText(self.tr("Rename…"))
        self.delete_button.setText(self.tr("Delete"))
        self._fill()

    # -- loading ---------------------------------------------------------------------------
    def reload(self) -> None:
        self.session.run(queries.collections_list, self._on_loaded)

    def _on_loaded(self, collections) -> None:
        self.collections = collections
        if self.current is not None and self.current not in {c.id for c in collections}:
            self.current = None
            self.collectionSelected.emit(None)
        self._fill()

    def _fill(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        everything = QListWidgetItem(self.tr("All items"), self.list)
        everything.setData(CollectionIdRole, None)
        for coll in self.collections:
            row = QListWidgetItem(f"{coll.name} ({coll.size})", self.list)
            row.setData(CollectionIdRole, coll.id)
            row.setToolTip(coll.description or coll.name)
            if coll.id == self.current:
                self.list.setCurrentItem(row)
        if self.current is None:
            self.list.setCurrentItem(everything)
        self.list.blockSignals(False)
        self._update_buttons()

    def select(self, coll_id: int | None) -> None:
        """Show this collection (None: all items), as a click on it would."""
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(CollectionIdRole) == coll_id:
                self.list.setCurrentItem(item)
                return

    def _current_changed(self, item, _previous=None) -> None:
        self.current = item.data(CollectionIdRole) if item is not None else None
        self._update_buttons()
        self.collectionSelected.emit(self.current)

    read_only = False  # a library on a read-only medium: collections are shown, not changed

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.new_button.setEnabled(not self.read_only)
        self.rename_button.setEnabled(self.current is not None and not self.read_only)
        self.delete_button.setEnabled(self.current is not None and not self.read_only)

    def name_of(self, coll_id) -> str:
        return next((c.name for c in self.collections if c.id == coll_id), "")

    # -- curating --------------------------------------------------------------------------
    def create_collection(self, name: str | None = None, item_ids=None) -> None:
        """Create a collection (asking for its name when none is given), optionally filled."""
        if name is None:
            name, ok = QInputDialog.getText(self, self.tr("New collection"), self.tr("Name:"))
            if not ok or not name.strip():
                return
        ids = list(item_ids or [])
        self.session.apply(ops.CreateCollection(name, item_ids=ids),
                           self.tr("Create collection {name}").format(name=name.strip()))

    def rename_collection(self, coll_id, name: str | None = None) -> None:
        if coll_id is None:
            return
        if name is None:
            name, ok = QInputDialog.getText(self, self.tr("Rename collection"), self.tr("New name:"),
                                            text=self.name_of(coll_id))
            if not ok or not name.strip():
                return
        self.session.apply(ops.RenameCollection(coll_id, name),
                           self.tr("Rename collection {name}").format(name=self.name_of(coll_id)))

    def describe_collection(self, coll_id, text: str | None = None) -> None:
        """What the collection is for (an exhibition, a loan): shown as its tooltip, exported."""
        if text is None:
            current = next((c.description for c in self.collections if c.id == coll_id), "")
            text, ok = QInputDialog.getMultiLineText(self, self.tr("Describe collection"),
                                                     self.tr("What is {name} for?").format(name=self.name_of(coll_id)),
                                                     current)
            if not ok:
                return
        self.session.apply(ops.DescribeCollection(coll_id, text),
                           self.tr("Describe collection {name}").format(name=self.name_of(coll_id)))

    def delete_collection(self, coll_id, confirm: bool = True) -> None:
        """Delete a collection (its items stay in the library)."""
        if coll_id is None:
            return
        if confirm and QMessageBox.question(
                self, self.tr("Delete collection"),
                self.tr("Delete the collection “{name}”? Its items stay in the library.")
                .format(name=self.name_of(coll_id))) != QMessageBox.StandardButton.Yes:
            return
        self.session.apply(ops.DeleteCollection(coll_id),
                           self.tr("Delete collection {name}").format(name=self.name_of(coll_id)))

    def add_items(self, coll_id: int, item_ids: list[int]) -> None:
        ids = list(item_ids)
        text = self.tr("Add {n} item(s) to {name}").format(n=len(ids), name=self.name_of(coll_id))
        self.session.apply(ops.AddToCollection(coll_id, ids), text, self._added)

    def remove_items(self, coll_id: int, item_ids: list[int]) -> None:
        ids = list(item_ids)
        text = self.tr("Remove {n} item(s) from {name}").format(n=len(ids), name=self.name_of(coll_id))
        self.session.apply(ops.RemoveFromCollection(coll_id, ids), text, self._removed)

    def _on_changed(self, changes) -> None:
        if not changes.collections:
            return
        self.reload()
        if self.current is not None and changes.items:
            self.collectionSelected.emit(self.current)  # the grid shows its members: refresh

    def _added(self, n: int) -> None:
        self.session.message.emit(self.tr("{n} item(s) added to the collection").format(n=n))

    def _removed(self, n: int) -> None:
        self.session.message.emit(self.tr("{n} item(s) removed from the collection").format(n=n))

    def context_menu(self, item) -> QMenu:
        """The menu for a row of the list (``item``; None: the empty space below the rows)."""
        coll_id = item.data(CollectionIdRole) if item is not None else None
        menu = QMenu(self)
        menu.addAction(self.tr("New collection…"), lambda: self.create_collection())
        selected = self.selected_items()
        if selected:
            menu.addAction(self.tr("New collection from selection…"),
                           lambda: self.create_collection(item_ids=selected))
        if coll_id is not None:
            menu.addSeparator()
            if selected:
                menu.addAction(self.tr("Add selected items"), lambda: self.add_items(coll_id, selected))
                menu.addAction(self.tr("Remove selected items"),
                               lambda: self.remove_items(coll_id, selected))
            menu.addAction(self.tr("Rename…"), lambda: self.rename_collection(coll_id))
            menu.addAction(self.tr("Describe…"), lambda: self.describe_collection(coll_id))
            menu.addAction(self.tr("Delete"), lambda: self.delete_collection(coll_id))
            menu.addSeparator()
            menu.addAction(self.tr("Export…"), lambda: self.exportRequested.emit(coll_id))
        return menu

    def _context_menu(self, pos) -> None:
        self.context_menu(self.list.itemAt(pos)).exec(self.list.viewport().mapToGlobal(pos))
