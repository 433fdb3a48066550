"""Undoable edits: tag, untag, field edits, accepting or rejecting suggestions.

Each command's redo and undo run on the library thread through the session's serial queue,
so an undo always sees the effect of the redo before it. What a redo changed (which items
lacked a label, which labels an untag removed) is recorded by the redo itself, on that
thread, and read back by the undo: the inverse is exact rather than a guess made in the GUI.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QUndoCommand


def _tr(text: str) -> str:
    return QCoreApplication.translate("Commands", text)


@dataclass
class _Record:
    """What a redo did, written on the library thread, read by the matching undo."""

    items: list[int] = field(default_factory=list)
    carried: dict[int, set[str]] = field(default_factory=dict)


class LibraryCommand(QUndoCommand):
    """Base: ``apply(lib)`` and ``revert(lib)`` run on the library thread."""

    touches_labels = True

    def __init__(self, session, item_ids, text: str):
        super().__init__(text)
        self.session = session
        self.item_ids = list(item_ids)
        self.record = _Record()

    def redo(self) -> None:
        self.session.run(self.apply, self._done)

    def undo(self) -> None:
        self.session.run(self.revert, self._done)

    def _done(self, _result) -> None:
        self.session.itemsEdited.emit(self.item_ids)
        if self.touches_labels:
            self.session.labelsChanged.emit()

    def apply(self, lib) -> None:
        raise NotImplementedError

    def revert(self, lib) -> None:
        raise NotImplementedError


class TagCommand(LibraryCommand):
    """Tag items with a label; only items that lacked it are tagged (and untagged on undo)."""

    def __init__(self, session, item_ids, label_id: str, label_name: str):
        text = _tr("Tag {n} item(s) with {label}").format(n=len(list(item_ids)), label=label_name)
        super().__init__(session, item_ids, text)
        self.label_id = label_id

    def apply(self, lib) -> None:
        lacking = [i for i in self.item_ids if self.label_id not in lib.labels.labels_of(i)]
        lib.labels.tag(lacking, [self.label_id])
        self.record.items = lacking

    def revert(self, lib) -> None:
        lib.labels.untag(self.record.items, [self.label_id])


class UntagCommand(LibraryCommand):
    """Remove a label (and the labels below it) from items; undo puts back what each had."""

    def __init__(self, session, item_ids, label_id: str, label_name: str):
        text = _tr("Remove {label} from {n} item(s)").format(n=len(list(item_ids)), label=label_name)
        super().__init__(session, item_ids, text)
        self.label_id = label_id

    def apply(self, lib) -> None:
        scheme = lib.labels.scheme()
        subtree = {self.label_id, *scheme.descendants(self.label_id)}
        carried = {i: subtree & set(lib.labels.labels_of(i)) for i in self.item_ids}
        self.record.carried = {i: labels for i, labels in carried.items() if labels}
        lib.labels.untag(list(self.record.carried), [self.label_id])

    def revert(self, lib) -> None:
        scheme = lib.labels.scheme()
        with lib.atomic():
            for item_id, labels in self.record.carried.items():
                # re-tag the deepest labels; their ancestors come back implied, as they were
                leaves = [l for l in labels if not set(scheme.descendants(l)) & labels]
                lib.labels.tag([item_id], leaves)


class EditFieldCommand(LibraryCommand):
    """Change an item's title, description or metadata."""

    touches_labels = False

    def __init__(self, session, item_id: int, field_name: str, old, new):
        names = {"title": _tr("Edit title"), "description": _tr("Edit description"),
                 "metadata": _tr("Edit metadata")}
        super().__init__(session, [item_id], names.get(field_name) or _tr("Edit item"))
        self.field_name, self.old, self.new = field_name, old, new

    def apply(self, lib) -> None:
        lib.items.update(self.item_ids[0], **{self.field_name: self.new})

    def revert(self, lib) -> None:
        lib.items.update(self.item_ids[0], **{self.field_name: self.old})


class SuggestionCommand(LibraryCommand):
    """Accept (tag + mark accepted) or reject suggestions; one transaction, one undo step."""

    def __init__(self, session, decisions: list[tuple[int, str]], accept: bool):
        n = len(decisions)
        text = (_tr("Accept {n} suggestion(s)") if accept else _tr("Reject {n} suggestion(s)")).format(n=n)
        super().__init__(session, sorted({item for item, _ in decisions}), text)
        self.decisions = list(decisions)
        self.accept = accept

    def apply(self, lib) -> None:
        codes = lib.codes
        with lib.atomic():
            tagged = []
            for item_id, label_id in self.decisions:
                if self.accept and label_id not in lib.labels.labels_of(item_id):
                    lib.labels.tag([item_id], [label_id])
                    tagged.append((item_id, label_id))
                codes.set_suggestion_status(item_id, label_id, "accepted" if self.accept else "rejected")
        self.record.carried = {}
        for item_id, label_id in tagged:
            self.record.carried.setdefault(item_id, set()).add(label_id)

    def revert(self, lib) -> None:
        with lib.atomic():
            for item_id, labels in self.record.carried.items():
                lib.labels.untag([item_id], sorted(labels))
            for item_id, label_id in self.decisions:
                lib.codes.set_suggestion_status(item_id, label_id, "open")
