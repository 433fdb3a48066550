"""The detail pane: preview, accession number, title, description, metadata, labels, suggestions.

One selected item shows everything and is editable (each edit one undo step); several show
the shared tagging tree with partial ticks. Everything is loaded on the library thread; a
newer selection makes older answers stale (they are dropped by generation number).
"""
from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QIcon, QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.services import ops
from app.ui import queries
from app.ui.i18n import Retranslating, label_language
from app.ui.label_models import label_text
from app.ui.preview import PhotoPreview
from app.ui.suggestions import SuggestionsPanel
from app.ui.tagging import TagTree

STRIP_SIDE = 56  # the photo strip's thumbnails, in pixels
PhotoIdRole = Qt.ItemDataRole.UserRole + 30
PhotoPathRole = Qt.ItemDataRole.UserRole + 31
CHIP_COLOUR = "#dde7f3"  # a label chip's background: readable on light and dark text

if TYPE_CHECKING:
    from app.services.library import Library


class CommitTextEdit(QPlainTextEdit):
    """A text box that reports ``editingFinished`` when it loses focus (like QLineEdit) and
    grows with its text between ``MIN_LINES`` and ``MAX_LINES`` (a museum description runs to
    paragraphs; a two-line box made the curator scroll inside it)."""

    editingFinished = Signal()
    MIN_LINES, MAX_LINES = 6, 18

    def __init__(self, parent=None):
        super().__init__(parent)
        self.document().documentLayout().documentSizeChanged.connect(lambda _size: self._fit_height())
        self._fit_height()

    def _fit_height(self) -> None:
        line = self.fontMetrics().lineSpacing()
        lines = max(self.MIN_LINES, min(self.MAX_LINES, int(self.document().size().height()) + 1))
        margins = self.contentsMargins().top() + self.contentsMargins().bottom()
        self.setFixedHeight(lines * line + 2 * int(self.document().documentMargin()) + margins + 2)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_height()  # the text re-wraps at the new width

    def focusOutEvent(self, event) -> None:
        self.editingFinished.emit()
        super().focusOutEvent(event)


def _load(lib: Library, item_ids: list[int]) -> dict:
    """Worker: what the pane needs for a selection."""
    found = {"scheme": lib.labels.scheme(), "usage": queries.label_usage(lib, item_ids)}
    if len(item_ids) == 1:
        found["detail"] = queries.item_detail(lib, item_ids[0])
        found["suggestions"] = queries.suggestions_of(lib, item_ids[0])
    return found


class DetailPane(Retranslating, QWidget):
    """Shows and edits the selected item(s); ``cropSearch(path, (x, y, w, h))`` for search."""

    cropSearch = Signal(str, tuple)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.setObjectName("detailPane")
        self.session = session
        self.item_ids: list[int] = []
        self.detail: queries.Detail | None = None
        # For each field, the item's version its text was read at and how many edits this pane
        # had sent by then: an edit is made from that version plus the pane's own edits since,
        # and is refused if another curator changed the item meanwhile (app.store.items.update).
        self._field_version: dict[str, tuple[int, int]] = {}
        self._sent = 0  # edits this pane has sent for the item on show
        self._keep_typed: set[str] = set()  # refused edits: their text stays for another try
        self.scheme = None
        self.search_available = False
        self._generation = 0
        self._build_widgets()
        session.changed.connect(self._edited)
        self.set_search_available(False)  # until the search service says otherwise
        self.show_items([])

    read_only = False  # a library on a read-only medium: shown, never edited

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        self.tags.read_only = read_only
        self.suggestions.setEnabled(not read_only)
        for widget in (self.title_edit, self.description_edit):
            widget.setReadOnly(read_only)
        self.delete_photo_button.setEnabled(not read_only and self.strip.count() > 0)

    def _build_widgets(self) -> None:
        self.preview = PhotoPreview(self)
        self.preview.regionSelected.connect(self._region)
        self.heading = QLabel(self)
        font = QFont(self.heading.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.heading.setFont(font)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title_edit = QLineEdit(self)
        self.title_edit.editingFinished.connect(lambda: self._commit("title", self.title_edit.text()))
        self.description_edit = CommitTextEdit(self)
        self.description_edit.editingFinished.connect(
            lambda: self._commit("description", self.description_edit.toPlainText()))
        self.metadata_table = QTableWidget(0, 2, self)
        self.metadata_table.horizontalHeader().setStretchLastSection(True)
        self.metadata_table.verticalHeader().hide()
        self.metadata_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.collections_label = QLabel(self)
        self.collections_label.setWordWrap(True)
        self.labels_label = QLabel(self)
        self.labels_label.setObjectName("labelsSummary")
        self.labels_label.setTextFormat(Qt.TextFormat.RichText)
        self.labels_label.setWordWrap(True)
        self.tags = TagTree(self)
        self.tags.tagRequested.connect(self.tag)
        self.tags.untagRequested.connect(self.untag)
        self.suggestions = SuggestionsPanel(self)
        self.suggestions.decided.connect(self.decide)
        self._layout()

    def _layout(self) -> None:
        self.strip = QListWidget(self)  # the item's photos, when it has more than one
        self.strip.setObjectName("photoStrip")
        self.strip.setViewMode(QListWidget.ViewMode.IconMode)
        self.strip.setFlow(QListWidget.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setIconSize(QSize(STRIP_SIDE, STRIP_SIDE))
        self.strip.setFixedHeight(STRIP_SIDE + 28)
        self.strip.currentRowChanged.connect(self._show_photo_at)
        self.strip.hide()
        self.delete_photo_button = QToolButton(self)
        self.delete_photo_button.setObjectName("deletePhoto")
        self.delete_photo_button.clicked.connect(self.delete_photo)
        self.fit_button, self.crop_button = QToolButton(self), QToolButton(self)
        self.fit_button.clicked.connect(self.preview.fit)
        self.crop_button.setCheckable(True)
        self.crop_button.toggled.connect(lambda on: setattr(self.preview, "crop_mode", on))
        tools = QHBoxLayout()
        tools.addWidget(self.heading, 1)
        tools.addWidget(self.fit_button)
        tools.addWidget(self.crop_button)
        tools.addWidget(self.delete_photo_button)
        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(tools)
        top_layout.addWidget(self.preview, 1)
        top_layout.addWidget(self.strip)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form_box = QWidget(self)
        form_box.setLayout(self.form)
        self.record = QScrollArea(self)  # the record scrolls as a whole, never a box inside it
        self.record.setWidgetResizable(True)
        self.record.setFrameShape(QFrame.Shape.NoFrame)
        self.record.setWidget(form_box)
        self.form_labels = [QLabel(self) for _ in range(5)]
        for label, field in zip(self.form_labels, (self.title_edit, self.description_edit,
                                                   self.metadata_table, self.labels_label,
                                                   self.collections_label)):
            self.form.addRow(label, field)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        for widget in (top, self.record, self.tags, self.suggestions):
            splitter.addWidget(widget)
        splitter.setSizes([300, 320, 240, 110])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

    def retranslate(self) -> None:
        for label, text in zip(self.form_labels, (self.tr("Title"), self.tr("Description"),
                                                  self.tr("Metadata"), self.tr("Labels"),
                                                  self.tr("Collections"))):
            label.setText(text)
        if self.detail is not None:  # label names follow the interface language
            self.labels_label.setText(self._labels_summary(self.detail.labels))
        self.metadata_table.setHorizontalHeaderLabels([self.tr("Field"), self.tr("Value")])
        self.fit_button.setText(self.tr("Fit"))
        self.fit_button.setToolTip(self.tr("Fit the photo in the view (double-click)"))
        self.delete_photo_button.setText(self.tr("Delete photo"))
        self.delete_photo_button.setToolTip(self.tr("Move the photo on show to the trash; the item and its other "
                                                    "photos stay (Edit ▸ Undo, or restore it from the trash)"))
        self.crop_button.setText(self.tr("Search a detail"))
        self.crop_button.setToolTip(self.tr("Draw a rectangle on the photo to search by that detail "
                                            "(or Shift+drag)") if self.search_available
                                    else self.tr("no model yet"))
        self._show_heading()

    def set_search_available(self, available: bool) -> None:
        """Crop search needs a model: enable the tool (and say why not) accordingly."""
        self.search_available = available
        self.crop_button.setEnabled(available)
        if not available:
            self.crop_button.setChecked(False)
        self.retranslate()

    # -- selection -------------------------------------------------------------------------
    def show_items(self, item_ids: list[int]) -> None:
        """Show these items (none: an empty pane)."""
        self.item_ids = list(item_ids)
        self._generation += 1
        if len(self.item_ids) != 1:
            self._show_detail(None)
        if not self.item_ids:
            self.tags.set_selection([], {})
            self.suggestions.set_suggestions(None, [], self.scheme)
            return
        generation, ids = self._generation, list(self.item_ids)
        self.session.run(lambda lib: _load(lib, ids), lambda found: self._loaded(generation, found))

    def _edited(self, changes) -> None:
        """Reload when a shown item changed, the scheme did (names, chips) or its suggestions did."""
        if changes.items & set(self.item_ids) or changes.scheme or changes.models or changes.collections:
            self.show_items(self.item_ids)

    def _loaded(self, generation: int, found: dict) -> None:
        if generation != self._generation:
            return
        if self.scheme is None or found["scheme"].version != self.scheme.version:
            self.scheme = found["scheme"]
            self.tags.set_scheme(self.scheme)
        self.tags.set_selection(self.item_ids, found["usage"])
        detail = found.get("detail")
        self._show_detail(detail)
        self.suggestions.set_suggestions(detail.item_id if detail else None,
                                         found.get("suggestions", []), self.scheme)

    def _show_detail(self, detail: queries.Detail | None) -> None:
        changed_photo = (detail.photo if detail else None) != (self.detail.photo if self.detail else None)
        if detail is None or self.detail is None or detail.item_id != self.detail.item_id:
            self._field_version, self._keep_typed, self._sent = {}, set(), 0
        self.detail = detail
        single = detail is not None
        version = detail.version if detail is not None else 0
        for widget in (self.title_edit, self.description_edit):
            widget.setEnabled(single)
            widget.setReadOnly(self.read_only)
        for name, widget, show in (("title", self.title_edit, self.title_edit.setText),
                                   ("description", self.description_edit, self.description_edit.setPlainText)):
            if name in self._keep_typed:  # refused: the curator's text stays (until saved or another item)
                self._field_version[name] = (version, self._sent)
            elif not widget.hasFocus() or detail is None:
                show(getattr(detail, name) if detail is not None else "")
                self._field_version[name] = (version, self._sent)
        self._fill_metadata(detail.metadata if detail is not None else {})
        self._field_version["metadata"] = (version, self._sent)
        self.collections_label.setText(", ".join(detail.collections) if detail is not None else "")
        self.labels_label.setText(self._labels_summary(detail.labels) if detail is not None else "")
        if changed_photo or detail is None:
            self.preview.show_photo(detail.photo if detail is not None else None)
        self._fill_strip(detail.photos if detail is not None else [])
        self._show_heading()

    def _fill_strip(self, photos: list) -> None:
        """Thumbnails of the item's photos (two or more); a click shows that photo."""
        shown = [self.strip.item(r).data(PhotoIdRole) for r in range(self.strip.count())]
        if shown == [p[0] for p in photos] and self.strip.count():
            return
        self.strip.blockSignals(True)
        self.strip.clear()
        for n, (photo_id, path, thumb) in enumerate(photos, start=1):
            pixmap = QPixmap(thumb)
            row = QListWidgetItem(QIcon(pixmap) if not pixmap.isNull() else QIcon(), str(n), self.strip)
            row.setData(PhotoIdRole, photo_id)
            row.setData(PhotoPathRole, path)
            row.setToolTip(path)
        if photos:
            self.strip.setCurrentRow(0)
        self.strip.blockSignals(False)
        self.strip.setVisible(len(photos) > 1)
        self.delete_photo_button.setEnabled(bool(photos) and not self.read_only)

    def _show_photo_at(self, row: int) -> None:
        if row >= 0:
            self.preview.show_photo(self.strip.item(row).data(PhotoPathRole))

    def shown_photo_id(self) -> int | None:
        """The photo on show (the strip's current one; the first when the strip is hidden)."""
        row = self.strip.currentRow()
        return self.strip.item(row).data(PhotoIdRole) if row >= 0 else None

    def delete_photo(self) -> None:
        """Move the photo on show to the trash (one undo step); the item stays."""
        photo_id = self.shown_photo_id()
        if photo_id is None or self.detail is None or self.read_only:
            return
        number = self.strip.currentRow() + 1
        self.session.apply(ops.DeletePhotos([photo_id]), self.tr("Move photo {n} of {accession} to the trash")
                           .format(n=number, accession=self.detail.accession))

    def _leaves(self, label_ids: list[str]) -> list:
        """The deepest labels an item carries (their ancestors are implied), in scheme order."""
        carried = set(label_ids) & set(self.scheme.labels) if self.scheme is not None else set()
        return [l for l in self.scheme.ordered()
                if l.id in carried and not set(self.scheme.descendants(l.id)) & carried] if carried else []

    def _labels_summary(self, label_ids: list[str]) -> str:
        """The item's labels as chips, named in the interface language (full paths in the tooltip)."""
        if self.scheme is None:
            return html.escape(", ".join(label_ids))
        lang = label_language()
        leaves = self._leaves(label_ids)
        self.labels_label.setToolTip("\n".join(self.scheme.keyword_path(l.id, lang) for l in leaves))
        return " ".join(f'<span style="background-color:{CHIP_COLOUR};">&nbsp;{html.escape(l.name(lang))}&nbsp;</span>'
                        for l in leaves)

    def _fill_metadata(self, metadata: dict) -> None:
        table = self.metadata_table
        table.setRowCount(len(metadata))
        for row, (key, value) in enumerate(sorted(metadata.items())):
            cell = QTableWidgetItem(str(value))
            cell.setToolTip(str(value))
            table.setItem(row, 0, QTableWidgetItem(str(key)))
            table.setItem(row, 1, cell)
        table.resizeRowsToContents()
        # every row on show: the record scrolls as a whole, the table never inside it
        rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
        table.setFixedHeight(table.horizontalHeader().height() + rows + 2 * table.frameWidth() + 2)

    def _show_heading(self) -> None:
        n = len(self.item_ids)
        if self.detail is not None:
            self.heading.setText(self.detail.accession)
        elif n > 1:
            self.heading.setText(self.tr("{n} items selected").format(n=n))
        else:
            self.heading.setText(self.tr("No item selected"))

    # -- edits (each one undoable) ---------------------------------------------------------
    def _commit(self, field_name: str, value: str) -> None:
        if self.detail is None or getattr(self.detail, field_name) == value:
            return
        setattr(self.detail, field_name, value)  # so a second editingFinished is a no-op
        names = {"title": self.tr("Edit title"), "description": self.tr("Edit description"),
                 "metadata": self.tr("Edit metadata")}
        item_id = self.detail.item_id
        read, sent_then = self._field_version.get(field_name, (self.detail.version, self._sent))
        expected = read + (self._sent - sent_then)  # this pane's own edits since are not someone else's
        self._sent += 1
        self._keep_typed.discard(field_name)  # sent again: refused again, it comes back
        self.session.apply(ops.EditItem(item_id, {field_name: value}, expected_version=expected),
                           names.get(field_name) or self.tr("Edit item"),
                           on_error=lambda exc: self._refused(item_id, field_name))

    def _refused(self, item_id: int, field_name: str) -> None:
        """Someone changed the item first (the status bar says who): show theirs, keep the
        curator's text in the field, so that committing it again replaces theirs knowingly."""
        if self.detail is not None and self.detail.item_id == item_id:
            if field_name in ("title", "description"):
                self._keep_typed.add(field_name)
            self.show_items(self.item_ids)

    def _label_name(self, label_id: str) -> str:
        label = self.scheme.labels.get(label_id) if self.scheme else None
        return label_text(label, label_language()) if label else label_id

    def tag(self, item_ids: list[int], label_id: str) -> None:
        text = self.tr("Tag {n} item(s) with {label}").format(n=len(item_ids), label=self._label_name(label_id))
        self.session.apply(ops.Tag(list(item_ids), [label_id]), text)

    def untag(self, item_ids: list[int], label_id: str) -> None:
        text = self.tr("Remove {label} from {n} item(s)").format(n=len(item_ids), label=self._label_name(label_id))
        self.session.apply(ops.Untag(list(item_ids), [label_id]), text)

    def decide(self, decisions: list, accept: bool) -> None:
        n = len(decisions)
        text = (self.tr("Accept {n} suggestion(s)") if accept else self.tr("Reject {n} suggestion(s)")).format(n=n)
        self.session.apply(ops.DecideSuggestions(list(decisions), accept), text)

    def _region(self, x: int, y: int, w: int, h: int) -> None:
        if self.preview.path:
            self.cropSearch.emit(self.preview.path, (x, y, w, h))
