"""The table view (View ▸ Table): the grid's items as rows with columns, for a curator who
reads records rather than photos.

The table shows the grid's own model (``GridModel``) through ``TableModel``: the same items,
order, filters, search results and lazy loading (every row at once, records a
page at a time). Its selection is the grid's: selecting rows here selects the same items there,
so the detail pane, the menus and every command that acts on "the selection" work unchanged.
A click on a sortable column heading sorts the library as View ▸ Sort by does.
"""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QItemSelection, QItemSelectionModel, QModelIndex, QPoint, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from app.ui.grid_model import DISPLAY, TOOLTIP, GridModel, ItemIdRole
from app.ui.grid_view import space_opens
from app.ui.i18n import label_language

COLUMNS = ("accession", "title", "date", "labels", "photos", "modified")
SORTS = {"accession": "accession", "title": "title", "date": "date", "modified": "modified"}


class TableModel(QAbstractTableModel):
    """``GridModel``'s rows with one column per field of the record."""

    def __init__(self, source: GridModel, parent=None):
        super().__init__(parent)
        self.source = source
        self.scheme = None  # label names (set when the scheme loads)
        self.headers = dict.fromkeys(COLUMNS, "")
        source.modelAboutToBeReset.connect(self.beginResetModel)
        source.modelReset.connect(self.endResetModel)
        source.rowsAboutToBeInserted.connect(lambda _parent, first, last: self.beginInsertRows(QModelIndex(), first, last))
        source.rowsInserted.connect(lambda *_: self.endInsertRows())  # the rest after a first page
        source.dataChanged.connect(self._source_changed)

    def _source_changed(self, top, bottom, _roles=()) -> None:
        self.dataChanged.emit(self.index(top.row(), 0), self.index(bottom.row(), len(COLUMNS) - 1))

    def set_scheme(self, scheme) -> None:
        self.scheme = scheme
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 3), self.index(self.rowCount() - 1, 3))

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else self.source.rowCount()

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role: int = DISPLAY):
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY and 0 <= section < len(COLUMNS):
            return self.headers[COLUMNS[section]]
        return None

    def data(self, index, role: int = DISPLAY):
        if not index.isValid():
            return None
        row, column = index.row(), COLUMNS[index.column()]
        source = self.source.index(row)
        if role == ItemIdRole:
            return self.source.data(source, ItemIdRole)
        if role not in (DISPLAY, TOOLTIP):
            return None
        first = self.source.data(source, DISPLAY)  # asks for the record's page when missing
        record = self.source.record(self.source.item_id(row))
        if record is None:
            return first if column == "accession" else None
        value = self.cell(record, column)
        return value if role == DISPLAY or column in ("title", "labels") else None

    def cell(self, record, column: str) -> str:
        if column == "labels":
            return self.label_names(record.labels)
        if column == "photos":
            return str(record.photos)
        if column == "modified":
            return record.modified[:16].replace("T", " ")
        return str(getattr(record, column))

    def label_names(self, label_ids) -> str:
        """The item's most specific labels (an implied ancestor is not repeated), by name."""
        if self.scheme is None:
            return ""
        ids = [l for l in label_ids if l in self.scheme.labels]
        carried = set(ids)
        leaves = [l for l in ids if not carried & set(self.scheme.descendants(l))]
        lang = label_language()
        return ", ".join(self.scheme.labels[l].name(lang) for l in leaves)

    def flags(self, index):
        return self.source.flags(self.source.index(index.row())) if index.isValid() else Qt.ItemFlag.NoItemFlags

    def mimeTypes(self) -> list[str]:
        return self.source.mimeTypes()

    def mimeData(self, indexes):
        return self.source.mimeData([self.source.index(i.row()) for i in indexes if i.isValid()])


class TableView(QTableView):
    """Rows of items; selection mirrored into the grid's (``follow``)."""

    itemsContextMenu = Signal(QPoint, list)
    viewRequested = Signal(list)
    sortRequested = Signal(str)  # an order of GRID_ORDERS

    def __init__(self, model: TableModel, grid, parent=None):
        super().__init__(parent)
        self.setObjectName("table")
        self.grid = grid
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COLUMNS.index("labels"), QHeaderView.ResizeMode.Stretch)
        for column, width in (("accession", 120), ("title", 260), ("date", 90), ("photos", 60), ("modified", 130)):
            self.setColumnWidth(COLUMNS.index(column), width)
        header.setSectionsClickable(True)
        header.sectionClicked.connect(self._header_clicked)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        self.doubleClicked.connect(lambda index: self.viewRequested.emit([index.data(ItemIdRole)]))
        self.selectionModel().selectionChanged.connect(self._mirror)
        self._mirroring = False

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.selectionModel().selectedRows()})
        return [self.model().index(r, 0).data(ItemIdRole) for r in rows]

    def take_selection_from_grid(self) -> None:
        """Select the rows the grid has selected (on switching to the table)."""
        rows = sorted({i.row() for i in self.grid.selectionModel().selectedIndexes()})
        selection = QItemSelection()
        last = self.model().columnCount() - 1
        for row in rows:
            selection.select(self.model().index(row, 0), self.model().index(row, last))
        self._mirroring = True
        try:
            self.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        finally:
            self._mirroring = False
        if rows:
            self.scrollTo(self.model().index(rows[0], 0))

    def _mirror(self, *_args) -> None:
        """The table's selection becomes the grid's (which the window listens to)."""
        if self._mirroring:
            return
        grid_model = self.grid.model()
        selection = QItemSelection()
        for row in sorted({i.row() for i in self.selectionModel().selectedRows()}):
            selection.select(grid_model.index(row), grid_model.index(row))
        self.grid.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def _header_clicked(self, section: int) -> None:
        order = SORTS.get(COLUMNS[section])
        if order is not None:
            self.sortRequested.emit(order)

    def keyPressEvent(self, event) -> None:
        if not space_opens(self, event):
            super().keyPressEvent(event)

    def _context_menu(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        if index.isValid() and not self.selectionModel().isRowSelected(index.row(), QModelIndex()):
            self.selectRow(index.row())
        ids = self.selected_ids()
        if ids:
            self.itemsContextMenu.emit(self.viewport().mapToGlobal(pos), ids)
