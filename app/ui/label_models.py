"""Qt item models of the label scheme (facets with their label trees) and a type-ahead filter.

Both the facet filter in the sidebar and the tagging tree in the detail pane are built here:
facet rows are headings, label rows are checkable, and each label row knows its id. A label
shows its name in the interface language first and the other language second, and the filter
matches either, so a curator can type "dragon" or "龙".
"""
from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel

LabelIdRole = Qt.ItemDataRole.UserRole + 10
FacetIdRole = Qt.ItemDataRole.UserRole + 11
SearchTextRole = Qt.ItemDataRole.UserRole + 12


def label_text(label, lang: str, count: int | None = None) -> str:
    """``Dragon · 龙`` (interface language first); ``(12)`` appended when a count is given."""
    first, second = (label.name_zh, label.name_en) if lang == "zh" else (label.name_en, label.name_zh)
    text = first if not second or second == first else f"{first} · {second}"
    return text if count is None else f"{text} ({count})"


def build_label_model(scheme, lang: str, checkable: bool, counts: dict[str, int] | None = None,
                      parent=None) -> QStandardItemModel:
    """One heading per facet, its labels below in scheme order."""
    model = QStandardItemModel(parent)
    bold = QFont()
    bold.setBold(True)
    for facet in scheme.facets.values():
        heading = QStandardItem(facet.name(lang))
        heading.setData(facet.id, FacetIdRole)
        heading.setData(f"{facet.name_en} {facet.name_zh}", SearchTextRole)
        heading.setFont(bold)
        heading.setEditable(False)
        heading.setSelectable(False)
        for top in scheme.children(None, facet.id):
            heading.appendRow(_label_row(scheme, top, lang, checkable, counts))
        model.appendRow(heading)
    return model


def _label_row(scheme, label, lang: str, checkable: bool, counts) -> QStandardItem:
    count = None if counts is None else counts.get(label.id, 0)
    row = QStandardItem(label_text(label, lang, count))
    row.setData(label.id, LabelIdRole)
    row.setData(f"{label.name_en} {label.name_zh} {label.id}", SearchTextRole)
    row.setEditable(False)
    row.setCheckable(checkable)
    if checkable:
        row.setCheckState(Qt.CheckState.Unchecked)
    for child in scheme.children(label.id):
        row.appendRow(_label_row(scheme, child, lang, checkable, counts))
    return row


def label_items(model: QStandardItemModel):
    """Every label row of a model built by ``build_label_model``, depth first."""
    stack = [model.item(r) for r in range(model.rowCount())]
    while stack:
        item = stack.pop()
        for r in range(item.rowCount()):
            stack.append(item.child(r))
        if item.data(LabelIdRole) is not None:
            yield item


def rows_by_label(model: QStandardItemModel) -> dict[str, QStandardItem]:
    return {item.data(LabelIdRole): item for item in label_items(model)}


class LabelFilterProxy(QSortFilterProxyModel):
    """Type-ahead filtering: a row is shown when it, or any row below it, matches; the
    facet or parent of a match stays visible (recursive filtering) so context is kept."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setRecursiveFilteringEnabled(True)
        self.setFilterCaseSensitivity(Qt.CaseInsensitive)
        self.setFilterRole(SearchTextRole)

    def first_label(self):
        """The source index of the first label that itself matches (Enter in the filter tags it)."""
        pattern = self.filterRegularExpression()
        stack = [self.index(r, 0) for r in range(self.rowCount())][::-1]
        while stack:
            index = stack.pop()
            if index.data(LabelIdRole) is not None and \
                    pattern.match(str(index.data(SearchTextRole))).hasMatch():
                return self.mapToSource(index)
            stack.extend(self.index(r, 0, index) for r in reversed(range(self.rowCount(index))))
        return None
