"""Editing the label scheme in the window: right-click a label (or a facet) in the facet tree.

Add a label below it, rename it (both languages), move it under another label, merge it into
another, delete it. Each dialog says how many items the change touches before the curator
says OK (counted over the whole library, the label's subtree included), and each change is
one op (``app.services.ops``): one step of Edit ▸ Undo, announced to every view.
"""
from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QVBoxLayout,
)

from app.ui import queries
from app.ui.i18n import Retranslating, label_language

KINDS = ("add", "rename", "move", "merge", "delete")


class LabelDialog(Retranslating, QDialog):
    """One scheme edit of ``kind`` on ``label_id`` (for "add": below the label, or at the top of
    ``facet_id``). ``op()`` is the change the fields describe; OK applies it."""

    def __init__(self, session, scheme, kind: str, label_id: str | None, facet_id: str | None = None,
                 parent=None):
        super().__init__(parent)
        self.setObjectName("labelDialog")
        self.session, self.scheme, self.kind = session, scheme, kind
        self.label = scheme.labels.get(label_id) if label_id else None
        self.facet_id = self.label.facet if self.label is not None else facet_id
        self.affected: int | None = None
        self.what = QLabel(self)
        self.what.setWordWrap(True)
        self.name_en, self.name_zh = QLineEdit(self), QLineEdit(self)
        self.place = QComboBox(self)  # the new parent (move) or the target (merge)
        self.place.setObjectName("placeChoice")
        self.note = QLabel(self)
        self.note.setObjectName("affectedNote")
        self.note.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        self.form = QFormLayout()
        self.form_labels = [QLabel(self) for _ in range(3)]
        if kind in ("add", "rename"):
            self.form.addRow(self.form_labels[0], self.name_en)
            self.form.addRow(self.form_labels[1], self.name_zh)
        else:
            for widget in (self.name_en, self.name_zh, *self.form_labels[:2]):
                widget.hide()
        if kind in ("move", "merge"):
            self.form.addRow(self.form_labels[2], self.place)
            self._fill_places()
        else:
            self.place.hide()
            self.form_labels[2].hide()
        if kind == "rename" and self.label is not None:
            self.name_en.setText(self.label.name_en)
            self.name_zh.setText(self.label.name_zh)
        self.setMinimumWidth(480)  # wrapped notes need the width, or they are cut off
        layout = QVBoxLayout(self)
        layout.addWidget(self.what)
        layout.addLayout(self.form)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.retranslate()
        if self.label is not None and kind != "add":
            subtree = [self.label.id, *scheme.descendants(self.label.id)]
            session.run(lambda lib: queries.items_carrying(lib, subtree), self._counted)

    def _name(self, label_id: str) -> str:
        return " › ".join(self.scheme.path(label_id, label_language()))

    def _fill_places(self) -> None:
        """Labels outside the label's own subtree (a move can also go to the top of its facet)."""
        own = {self.label.id, *self.scheme.descendants(self.label.id)} if self.label is not None else set()
        if self.kind == "move":
            self.place.addItem("", None)  # the top of the facet: text set in retranslate
        for label in self.scheme.ordered():
            if label.id in own or (self.kind == "move" and label.id == (self.label.parent if self.label else None)):
                continue
            self.place.addItem(self._name(label.id), label.id)  # the path starts with its facet
        if self.kind == "merge" and self.label is not None:  # a label of its own facet first
            same = [i for i in range(self.place.count())
                    if self.scheme.labels[self.place.itemData(i)].facet == self.label.facet]
            if same:
                self.place.setCurrentIndex(same[0])

    def retranslate(self) -> None:
        name = self._name(self.label.id) if self.label is not None else ""
        facet = self.scheme.facets[self.facet_id].name(label_language()) if self.facet_id in self.scheme.facets else ""
        titles = {"add": self.tr("Add label"), "rename": self.tr("Rename label"), "move": self.tr("Move label"),
                  "merge": self.tr("Merge labels"), "delete": self.tr("Delete label")}
        self.setWindowTitle(titles[self.kind])
        if self.kind == "add":
            self.what.setText(self.tr("A new label below {name}.").format(name=name) if name
                              else self.tr("A new label at the top of {facet}.").format(facet=facet))
        else:
            self.what.setText(name)
        for widget, text in zip(self.form_labels, (self.tr("English name"), self.tr("Chinese name"),
                                                   self.tr("Into") if self.kind == "merge" else self.tr("Under"))):
            widget.setText(text)
        if self.kind == "move" and self.place.count():
            self.place.setItemText(0, self.tr("(top of {facet})").format(facet=facet))
        self._update_note()

    def _counted(self, n: int) -> None:
        self.affected = n
        self._update_note()

    def _update_note(self) -> None:
        if self.kind == "add":
            self.note.setText(self.tr("No item carries it yet; tag items with it afterwards."))
            return
        if self.affected is None:
            self.note.setText(self.tr("Counting the items it touches…"))
            return
        n = self.affected
        notes = {
            "rename": self.tr("{n} item(s) carry it; they keep it under its new name."),
            "move": self.tr("{n} item(s) carry it; they keep it, and its new place above it."),
            "merge": self.tr("{n} item(s) carry it; they will carry the label it is merged into instead, "
                             "and labels below it move there too."),
            "delete": self.tr("{n} item(s) carry it or a label below it; they lose those labels. "
                              "Edit ▸ Undo brings them back."),
        }
        self.note.setText(notes[self.kind].format(n=n))
        self.adjustSize()  # the note may have grown a line

    def op(self):
        """The op the fields describe (None when they do not make one)."""
        from app.services import ops

        label_id = self.label.id if self.label is not None else None
        en, zh = self.name_en.text().strip(), self.name_zh.text().strip()
        if self.kind == "add":
            if not (en or zh):
                return None
            return ops.AddLabel(en or zh, zh, parent=label_id, facet=None if label_id else self.facet_id)
        assert label_id is not None
        seen = self.scheme.label_versions.get(label_id)  # as the window showed it: changed since is refused
        if self.kind == "rename":
            if not (en or zh):
                return None
            return ops.RenameLabel(label_id, en or None, zh or None, expected_version=seen)
        if self.kind == "move":
            parent = self.place.currentData()
            return ops.MoveLabel(label_id, parent, facet=None if parent else self.facet_id, expected_version=seen)
        if self.kind == "merge":
            target = self.place.currentData()
            return None if target is None else ops.MergeLabels(label_id, target, expected_version=seen)
        return ops.DeleteLabel(label_id, force=True, expected_version=seen)

    def step_name(self) -> str:
        name = self._name(self.label.id) if self.label is not None else self.name_en.text().strip()
        texts = {"add": self.tr("Add label {name}"), "rename": self.tr("Rename label {name}"),
                 "move": self.tr("Move label {name}"), "merge": self.tr("Merge label {name}"),
                 "delete": self.tr("Delete label {name}")}
        return texts[self.kind].format(name=name or self.name_zh.text().strip())

    def apply(self) -> None:
        op = self.op()
        if op is None:
            self.note.setText(self.tr("Give the label a name in English or Chinese.") if self.kind in ("add", "rename")
                              else self.tr("Choose a label to merge it into."))
            return
        self.session.apply(op, self.step_name())
        self.accept()


class SchemeEditor(Retranslating, QMenu):
    """The context menu of one label (or facet heading) in the facet tree."""

    def __init__(self, session, scheme, label_id: str | None, facet_id: str | None, parent=None,
                 read_only: bool = False):
        super().__init__(parent)
        self.setObjectName("schemeMenu")
        self.session, self.scheme = session, scheme
        self.label_id, self.facet_id = label_id, facet_id
        self.dialog: LabelDialog | None = None
        self.entries = {kind: self.addAction("") for kind in KINDS if label_id is not None or kind == "add"}
        for kind, action in self.entries.items():
            action.setObjectName(f"scheme_{kind}")
            action.setEnabled(not read_only)
            action.triggered.connect(lambda _c=False, k=kind: self.open_dialog(k))
        self.retranslate()

    def retranslate(self) -> None:
        texts = {"add": self.tr("Add a label below…") if self.label_id else self.tr("Add a label…"),
                 "rename": self.tr("Rename…"), "move": self.tr("Move…"), "merge": self.tr("Merge into…"),
                 "delete": self.tr("Delete…")}
        for kind, action in self.entries.items():
            action.setText(texts[kind])

    def open_dialog(self, kind: str) -> LabelDialog:
        """Open (not run) the dialog of ``kind``: window-modal, it applies its op on OK."""
        self.dialog = LabelDialog(self.session, self.scheme, kind, self.label_id, self.facet_id,
                                  self.parentWidget())
        self.dialog.open()
        return self.dialog
