"""What the main window does when asked: import (menu or drop), open another library, switch
language, curate, search, train. A mixin of ``MainWindow``; it relies on the attributes the
window builds (session, grid, panels, backend, actions)."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QMainWindow, QMenu, QMessageBox

from app.services import ops
from app.ui import settings
from app.ui.i18n import Text, install_language, resolve_language
from app.ui.import_dialog import ImportDialog, split_sheet
from app.ui.search_panel import dropped_photo


def _tr(text: str) -> str:
    return Text(QCoreApplication.translate("MainWindow", text))


def local_paths(mime) -> list[Path]:
    """Local files and folders among dropped urls."""
    if not mime.hasUrls():
        return []
    return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]


if TYPE_CHECKING:  # what the flows use of the main window they are mixed into
    from PySide6.QtWidgets import QDockWidget

    from app.ui.actions import WindowActions
    from app.ui.collections_panel import CollectionsPanel
    from app.ui.detail_pane import DetailPane
    from app.ui.grid_model import GridModel
    from app.ui.grid_view import GridView
    from app.ui.keep_encoded import KeepEncoded
    from app.ui.search_backend import SearchBackend
    from app.ui.search_panel import SearchPanel
    from app.ui.session import Session

    _Window = QMainWindow
else:
    _Window = object


class WindowFlows(_Window):
    """Dialog-opening flows of the main window."""

    if TYPE_CHECKING:
        session: Session
        backend: SearchBackend
        keeper: KeepEncoded
        grid_model: GridModel
        search: SearchPanel
        collections: CollectionsPanel
        detail: DetailPane
        grid: GridView
        actions: WindowActions  # type: ignore[assignment]  # shadows QWidget.actions(), unused here
        docks: list[QDockWidget]
        collection: int | None

        def set_grid_order(self, order: str) -> None: ...  # MainWindow's

    # -- import ----------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        event.setAccepted(bool(local_paths(event.mimeData())))

    def dragMoveEvent(self, event) -> None:
        event.setAccepted(bool(local_paths(event.mimeData())))

    def dropEvent(self, event) -> None:
        """Dropped files or folders open the import dialog (the curator checks the sheet and the
        copy option, then presses Import); with Shift held, a photo is searched for."""
        paths = local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        photo = dropped_photo(event.mimeData())
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier and photo and self.backend.available:
            self.search.search_photo(photo)
            self.docks[3].raise_()
            return
        photos, sheet = split_sheet(paths)
        if not photos:  # a sheet alone: nothing to import it into
            self.session.message.emit(_tr("Drop photos or folders (with their sheet) to import them."))
            return
        self.import_paths(photos, sheet)

    def import_paths(self, paths, metadata: Path | None = None, auto_start: bool = False) -> ImportDialog:
        """Open the import dialog for ``paths``; it imports when the curator presses Import
        (``auto_start`` starts it at once, for callers that have already asked)."""
        dialog = ImportDialog(self.session, paths, metadata, self)
        dialog.imported.connect(self._imported)
        self._present(dialog, "import_dialog")
        if auto_start:
            dialog.start()
        return dialog

    def _imported(self, report) -> None:
        """The dialog has put the import on the undo stack (which told the views); say so."""
        if report is not None:
            self.session.message.emit(_tr("Import finished: {n} item(s) added").format(n=report.added_items))

    def import_photos_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, _tr("Import photos"), "",
            _tr("Photos (*.jpg *.jpeg *.png *.tif *.tiff *.webp *.bmp);;All files (*)"))
        if files:
            self.import_paths([Path(f) for f in files])

    def import_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _tr("Import a folder of photos"))
        if folder:
            self.import_paths([Path(folder)])

    # -- library and language --------------------------------------------------------------
    def choose_library(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _tr("Open or create a library folder"))
        if folder:
            self.open_library_window(Path(folder))

    def new_library_dialog(self) -> None:
        """File ▸ New library: an empty folder (or a new one) becomes a library, in a new window."""
        folder = QFileDialog.getExistingDirectory(self, _tr("Choose an empty folder for the new library"))
        if folder:
            self.new_library_at(Path(folder))

    def new_library_at(self, root: Path):
        from app.services.library import has_library

        if has_library(root):
            self.session.message.emit(_tr("{path} already holds a library; it is opened instead.").format(path=root))
            return self.open_library_window(root)
        if root.exists() and any(root.iterdir()):
            QMessageBox.warning(self, _tr("New library"), _tr(
                "{path} is not empty. Choose an empty folder (or type a new folder name) for a new library.").format(
                    path=root))
            return None
        return self.open_library_window(root, ask=False)

    def open_library_window(self, root: Path, ask: bool = True):
        """Open ``root`` (creating a library there if the curator agrees) in a new window."""
        from app.core.errors import WenyangError
        from app.services.library import has_library, open_library

        create = has_library(root) or not ask or QMessageBox.question(
            self, _tr("Create library"),
            _tr("There is no library in {path}. Create one there?").format(path=root)) == QMessageBox.StandardButton.Yes
        if not create:
            return None
        try:
            lib = open_library(root, create=True)
        except WenyangError as exc:
            QMessageBox.warning(self, _tr("Cannot open the library"), str(exc))
            return None
        from app.ui.main_window import MainWindow

        window = MainWindow(lib, owns_library=True)
        window.show()
        self.close()
        return window

    def set_language(self, code: str) -> None:
        """Remember the choice and switch the interface language now."""
        settings.set_language(code)
        install_language(resolve_language(code))

    # -- focus shortcuts -------------------------------------------------------------------
    def focus_search(self) -> None:
        self.docks[3].show()
        self.docks[3].raise_()
        self.search.focus_query()

    def focus_tagging(self) -> None:
        self.docks[2].show()
        self.docks[2].raise_()
        self.detail.tags.focus_filter()

    # -- curating --------------------------------------------------------------------------
    def new_collection(self) -> None:
        self.collections.create_collection(item_ids=self.grid.selected_ids() or None)

    def delete_selection(self, item_ids: list[int] | None = None) -> None:
        """Move the selected items to the trash (Delete); Edit ▸ Undo brings them back."""
        ids = list(item_ids if item_ids is not None else self.grid.selected_ids())
        if not ids:
            return
        self.session.apply(ops.DeleteItems(ids), _tr("Move {n} item(s) to the trash").format(n=len(ids)),
                           lambda n: self.session.message.emit(
                               _tr("{n} item(s) moved to the trash (Edit ▸ Undo brings them back).").format(n=n)))

    def show_trash(self):
        """The trash: restore deleted items, or empty it."""
        from app.ui.trash_dialog import TrashDialog

        return self._present(TrashDialog(self.session, self), "trash_dialog")

    def remove_selection_from_collection(self) -> None:
        if self.collection is not None and self.grid.selected_ids():
            self.collections.remove_items(self.collection, self.grid.selected_ids())

    def grid_context_menu(self, global_pos, item_ids: list[int]) -> None:
        self.build_grid_menu(item_ids).exec(global_pos)

    def build_grid_menu(self, item_ids: list[int]) -> QMenu:
        """The grid's context menu for the selected items."""
        menu = QMenu(self)
        add_menu = menu.addMenu(_tr("Add to collection"))
        for coll in self.collections.collections:
            add_menu.addAction(coll.name, functools.partial(self.collections.add_items, coll.id, item_ids))
        add_menu.addSeparator()
        add_menu.addAction(_tr("New collection…"),
                           lambda: self.collections.create_collection(item_ids=item_ids))
        if self.collection is not None:
            menu.addAction(_tr("Remove from this collection"),
                           functools.partial(self.collections.remove_items, self.collection, item_ids))
            order = menu.addMenu(_tr("Place in this collection's order"))
            for to, text in (("start", _tr("At the start")), ("up", _tr("One place earlier")),
                             ("down", _tr("One place later")), ("end", _tr("At the end"))):
                order.addAction(text, functools.partial(self.place_in_collection, item_ids, to))
        menu.addSeparator()
        menu.addAction(_tr("View full size") if len(item_ids) == 1 else _tr("Compare the first two"),
                       lambda: self.show_viewer(item_ids[:2]))
        for action in (self.actions.more_like_this, self.actions.edit_attributes):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(_tr("Edit selected items…"), lambda: self.show_batch_edit(item_ids))
        menu.addAction(_tr("Export selected items…"), lambda: self.show_export(item_ids=item_ids))
        menu.addAction(_tr("Move to trash"), lambda: self.delete_selection(item_ids))
        return menu

    def place_in_collection(self, item_ids: list[int], to: str) -> None:
        """Move items within the chosen collection's own order, and show the grid in that order."""
        if self.collection is None:
            return
        self.session.apply(ops.PlaceInCollection(self.collection, list(item_ids), to),
                           _tr("Move {n} item(s) in {name}").format(n=len(item_ids),
                                                                    name=self.collections.name_of(self.collection)))
        if self.grid_model.order != "collection":
            self.set_grid_order("collection")

    def show_batch_edit(self, item_ids: list[int] | None = None):
        """Edit ▸ Edit selected items…: one title or field value for all of them."""
        from app.ui.batch_edit import BatchEditDialog

        ids = self._chosen(item_ids, _tr("Select the items to edit first."))
        return self._present(BatchEditDialog(self.session, ids, self), "batch_edit_dialog") if ids else None

    def show_viewer(self, item_ids: list[int] | None = None):
        """The full-size viewer on ``item_ids`` (default: the selection; two compare side by side)."""
        from app.ui.viewer import PhotoViewer

        ids = self._chosen(item_ids, _tr("Select an item (or two, to compare) first."))[:2]
        return self._present(PhotoViewer(self.session, ids, self), "viewer") if ids else None

    def show_export(self, collection: int | None = None, item_ids: list[int] | None = None):
        """The export dialog, on ``collection`` or ``item_ids`` when given, else on what the
        window shows (the chosen collection, the selection, the search result, everything)."""
        from app.ui.export_dialog import ExportDialog
        from app.ui.export_job import window_sources

        sources, preferred = window_sources(self, collection, item_ids)
        dialog = ExportDialog(self.session, sources, preferred, self)
        dialog.exported.connect(lambda result: self.session.message.emit(
            _tr("Exported {n} item(s) to {path}").format(n=result.items, path=result.path)))
        return self._present(dialog, "export_dialog")

    # -- search ----------------------------------------------------------------------------
    def search_photo_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, _tr("Search by photo"), "", _tr("Photos (*.jpg *.jpeg *.png *.tif *.tiff *.webp *.bmp)"))
        if path:
            self.search.search_photo(path)
            self.docks[3].raise_()

    def search_region(self, path: str, region: tuple) -> None:
        self.search.search_photo(path, region)
        self.docks[3].raise_()

    def more_like_this(self) -> None:
        ids = self.grid.selected_ids()
        if ids:
            self.search.search_like(ids[0])
            self.docks[3].raise_()

    def edit_attributes_search(self, choice=None) -> None:
        """"Like this, but…": pick labels to add and remove, then search."""
        from app.ui.edit_picker import EditPicker

        ids = self.grid.selected_ids()
        if not ids or self.detail.scheme is None:
            return
        if choice is None:
            labels = self.detail.detail.labels if self.detail.detail else []
            picker = EditPicker(self.detail.scheme, labels, self)
            if picker.exec() != QDialog.DialogCode.Accepted:
                return
            choice = picker.choice()
        add, remove, weight = choice
        self.search.search_edit(ids[0], add, remove, weight)
        self.docks[3].raise_()

    # -- model -----------------------------------------------------------------------------
    def show_training(self):
        from app.ui.training_dialog import TrainingDialog

        return self._present(TrainingDialog(self.session, self), "training_dialog")

    def show_models(self):
        """Model ▸ Models…: use, go back to or delete a trained model."""
        from app.ui.models_dialog import ModelsDialog

        return self._present(ModelsDialog(self.session, self), "models_dialog")

    def encode_now(self) -> None:
        """Model ▸ Encode: bring the active model's codes up to date now."""
        self.keeper.check()

    def show_evaluation(self):
        from app.ui.evaluation_view import EvaluationView

        return self._present(EvaluationView(self.session, self), "evaluation_view")

    def show_help(self, kind: str):
        """Help ▸ Getting started ("guide") or Keyboard shortcuts ("shortcuts")."""
        from app.ui.help_dialogs import HelpDialog

        return self._present(HelpDialog(self, kind), "help_dialog")

    def _present(self, dialog, name: str):
        """Show a window-owned dialog, freed when closed, and keep it as ``self.<name>``."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        setattr(self, name, dialog)
        dialog.show()
        return dialog

    def _chosen(self, item_ids: list[int] | None, nothing: str) -> list[int]:
        """``item_ids``, else the grid's selection; when there is none, say ``nothing``."""
        ids = list(item_ids if item_ids is not None else self.grid.selected_ids())
        if not ids:
            self.session.message.emit(nothing)
        return ids

    def show_about(self) -> None:
        import app

        QMessageBox.about(self, _tr("About Wenyang"), _tr(
            "Wenyang 纹样 {version}\nCross-modal search and labelling for museum costume "
            "collections.").format(version=app.__version__))
