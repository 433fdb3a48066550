"""A list model of search hits: accession, Hamming distance, why each hit is there, thumbnail."""
from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from app.services.search import describe_all
from app.ui import queries
from app.ui.grid_model import ITEM_IDS_MIME, ItemIdRole, ThumbStateRole, item_ids_mime
from app.ui.thumbnails import LruCache

DistanceRole = Qt.ItemDataRole.UserRole + 30
ReasonsRole = Qt.ItemDataRole.UserRole + 31  # "tagged Dragon · distance 5", in the interface language


class HitsModel(QAbstractListModel):
    """Hits of one search tab; records and thumbnails are loaded like the grid's."""

    def __init__(self, session, loader, parent=None, reasons_line: bool = False):
        """``reasons_line``: show the reasons as a second line of text (a list without
        thumbnails has room for it); they are always in the tooltip."""
        super().__init__(parent)
        self.reasons_line = reasons_line
        self.reasons: list[str] = []
        self.session = session
        self.loader = loader
        self.hits: list = []
        self.records: dict[int, queries.Record] = {}
        self.pixmaps = LruCache(300)
        self.label_names: dict[str, str] = {}
        self.passages: dict[int, str] = {}  # descriptions tab: the matched part of each description
        self._generation = 0
        loader.loaded.connect(self._on_pixmap)

    def set_hits(self, hits, label_names: dict[str, str] | None = None, scheme=None,
                 language: str = "en") -> None:
        """Show ``hits`` (best first); their records load on the library thread. ``scheme`` and
        ``language`` ('en'/'zh') put each hit's reasons into words."""
        self.beginResetModel()
        self.hits = list(hits)
        self.reasons = [describe_all(getattr(h, "reasons", None) or [], scheme, language)
                        for h in self.hits]
        # the search gives each hit what the list shows; only hits without it need a trip
        self.records = {h.item_id: queries.Record(h.item_id, h.accession, h.title, tuple(h.paths))
                        for h in self.hits if getattr(h, "accession", "")}
        self.label_names = label_names or {}
        self.passages = {}
        self._generation += 1
        self.endResetModel()
        ids = [h.item_id for h in self.hits if h.item_id not in self.records]
        generation = self._generation
        if ids:
            self.session.run(lambda lib: queries.item_records(lib, ids),
                             lambda records: self._on_records(generation, records))
        if self.reasons_line and self.hits:  # the descriptions tab shows the text that matched
            wanted = [h.item_id for h in self.hits]
            terms = {h.item_id: [r.term for r in getattr(h, "reasons", None) or [] if getattr(r, "term", "")]
                     for h in self.hits}
            self.session.run(lambda lib: {i: queries.passage(text, terms.get(i, []))
                                          for i, text in queries.descriptions_of(lib, wanted).items()},
                             lambda found: self._on_passages(generation, found))

    def _on_records(self, generation: int, records: dict) -> None:
        if generation == self._generation:
            self.records.update(records)
            if self.hits:
                self.dataChanged.emit(self.index(0), self.index(len(self.hits) - 1))

    def _on_passages(self, generation: int, passages: dict) -> None:
        if generation == self._generation:
            self.passages.update(passages)
            if self.hits:
                self.dataChanged.emit(self.index(0), self.index(len(self.hits) - 1))

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.hits)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        hit = self.hits[index.row()]
        record = self.records.get(hit.item_id)
        if role == ItemIdRole:
            return hit.item_id
        if role == DistanceRole:
            return hit.distance
        if role == ReasonsRole:
            return self.reasons[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(hit, record, self.reasons[index.row()])
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(hit, record, self.reasons[index.row()])
        if role == Qt.ItemDataRole.DecorationRole:
            return self._pixmap(hit.item_id, record)
        if role == ThumbStateRole:
            return "ready" if hit.item_id in self.pixmaps else ("none" if record and not record.paths else "loading")
        return None

    def flags(self, index):
        return Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled if index.isValid() else Qt.NoItemFlags

    def mimeTypes(self):
        return [ITEM_IDS_MIME]

    def mimeData(self, indexes):
        return item_ids_mime([self.hits[i.row()].item_id for i in indexes if i.isValid()])

    def _display(self, hit, record, reasons: str) -> str:
        name = record.accession if record else f"#{hit.item_id}"
        # a hit found by words or labels alone has no Hamming distance (-1): show none
        first = f"{name}  ·  d={hit.distance}" if hit.distance >= 0 else name
        if not self.reasons_line:
            return first
        title = record.title if record and record.title else ""
        lines = [f"{first}  {title}".rstrip(), self.passages.get(hit.item_id, ""), reasons]
        return "\n".join(line for line in lines if line)

    def _tooltip(self, hit, record, reasons: str) -> str:
        lines = [record.title] if record and record.title else []
        if reasons:
            lines.append(self.tr("Why: {reasons}").format(reasons=reasons))
        elif hit.matched_labels:  # a service that gives no reasons: the labels it matched
            names = [self.label_names.get(l, l) for l in hit.matched_labels]
            lines.append(", ".join(names))
        lines.append(f"Hamming {hit.distance} · {hit.modality}")
        return "\n".join(lines)

    def _pixmap(self, item_id: int, record):
        pixmap = self.pixmaps.get(item_id)
        if pixmap is None and record is not None and record.paths:
            self.loader.request(("hit", item_id), record.paths)
        return pixmap

    def _on_pixmap(self, key, pixmap) -> None:
        if not (isinstance(key, tuple) and key[0] == "hit"):
            return
        self.pixmaps.put(key[1], pixmap)
        for row, hit in enumerate(self.hits):
            if hit.item_id == key[1]:
                self.dataChanged.emit(self.index(row), self.index(row), [Qt.ItemDataRole.DecorationRole])
