"""The main window's actions and menus, with their shortcuts; texts set in ``retranslate``.

Kept apart from the window so the list of commands a curator has (and their keys) reads in
one place.
"""
from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from app.ui import settings
from app.ui.i18n import LANGUAGES

THUMBNAIL_SIDES = (96, 160, 240)  # View ▸ Thumbnail size: small, medium, large (pixels)
GRID_ORDERS = ("accession", "title", "date", "modified", "imported", "collection")  # View ▸ Sort by (app.store.items)


class WindowActions(QObject):
    """Creates every action of ``window`` and fills its menu bar."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        w = window
        self.open_library = self._action(w.choose_library, QKeySequence.Open)
        self.new_library = self._action(w.new_library_dialog, QKeySequence.New)
        self.import_photos = self._action(w.import_photos_dialog, "Ctrl+I")
        self.import_folder = self._action(w.import_folder_dialog, "Ctrl+Shift+I")
        self.export = self._action(w.show_export, "Ctrl+E")
        self.quit = self._action(w.close, QKeySequence.Quit)
        stack = w.session.undo
        self.undo = self._action(stack.undo, "Ctrl+Z")
        self.redo = self._action(stack.redo, "Ctrl+Shift+Z")
        self.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        stack.canUndoChanged.connect(self.undo.setEnabled)
        stack.canRedoChanged.connect(self.redo.setEnabled)
        self._stack_texts = {"undo": "", "redo": ""}  # kept from the signals: the stack may
        stack.undoTextChanged.connect(self._undo_text)  # be gone when it clears at shutdown
        stack.redoTextChanged.connect(self._redo_text)
        self.undo.setEnabled(False)
        self.redo.setEnabled(False)
        self.find = self._action(w.focus_search, "Ctrl+F")
        self.tag = self._action(w.focus_tagging, "Ctrl+T")
        self.select_all = self._action(w.grid.selectAll, QKeySequence.SelectAll)
        self.new_collection = self._action(w.new_collection, "Ctrl+Shift+N")
        self.remove_from_collection = self._action(w.remove_selection_from_collection)
        self.delete_items = self._action(w.delete_selection, QKeySequence.StandardKey.Delete)
        self.trash = self._action(w.show_trash)
        self.batch_edit = self._action(w.show_batch_edit, "Ctrl+Shift+E")
        self.search_photo = self._action(w.search_photo_dialog, "Ctrl+Shift+F")
        self.more_like_this = self._action(w.more_like_this, "Ctrl+L")
        self.edit_attributes = self._action(w.edit_attributes_search, "Ctrl+Shift+L")
        self.train = self._action(w.show_training)
        self.encode = self._action(w.encode_now)
        self.models = self._action(w.show_models)
        self.evaluate = self._action(w.show_evaluation)
        self.clear_filters = self._action(w.clear_filters, "Ctrl+Shift+A")
        self.view_photo = self._action(w.show_viewer, "Ctrl+Return")
        self.as_table = self._action(lambda: w.set_table_view(self.as_table.isChecked()), "Ctrl+Shift+L")
        self.as_table.setCheckable(True)
        self.about = self._action(w.show_about)
        self.shortcuts = self._action(lambda: w.show_help("shortcuts"), "F1")
        self.guide = self._action(lambda: w.show_help("guide"))
        self.order_group, self.side_group = QActionGroup(self), QActionGroup(self)
        self.orders = {key: self._choice(self.order_group, lambda k=key: w.set_grid_order(k))
                       for key in GRID_ORDERS}
        self.sides = {side: self._choice(self.side_group, lambda s=side: w.set_thumbnail_side(s))
                      for side in THUMBNAIL_SIDES}
        self.language_group = QActionGroup(self)
        self.languages = {code: self._language_action(code) for code in ("system", *LANGUAGES)}
        self.search_actions = [self.search_photo, self.more_like_this, self.edit_attributes]
        self.writing_actions = [self.import_photos, self.import_folder, self.tag, self.new_collection,
                                self.remove_from_collection, self.delete_items, self.trash, self.train, self.batch_edit,
                                self.encode]
        self._menus()

    def _action(self, slot, shortcut=None) -> QAction:
        action = QAction(self.window)
        action.triggered.connect(lambda *_: slot())
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        self.window.addAction(action)  # shortcuts work wherever the focus is
        return action

    def _fill_recent(self) -> None:
        """File ▸ Open recent: the libraries opened lately that still exist (not this one)."""
        self.recent_menu.clear()
        here = str(self.window.lib.location)
        for root in settings.recent_libraries():
            if str(root) != here:
                self.recent_menu.addAction(str(root), lambda r=root: self.window.open_library_window(r))
        if self.recent_menu.isEmpty():
            none = self.recent_menu.addAction(self.tr("No other library opened yet"))
            none.setEnabled(False)

    def _choice(self, group: QActionGroup, slot) -> QAction:
        action = QAction(self.window)
        action.setCheckable(True)
        action.triggered.connect(lambda *_: slot())
        group.addAction(action)
        return action

    def _language_action(self, code: str) -> QAction:
        action = QAction(self.window)
        action.setCheckable(True)
        action.setChecked(settings.language() == code)
        action.triggered.connect(lambda *_: self.window.set_language(code))
        self.language_group.addAction(action)
        return action

    def _menus(self) -> None:
        bar = self.window.menuBar()
        self.file_menu = bar.addMenu("")
        for a in (self.new_library, self.open_library):
            self._add(self.file_menu, a)
        self.recent_menu = self.file_menu.addMenu("")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        for a in (None, self.import_photos, self.import_folder, self.export, None, self.quit):
            self._add(self.file_menu, a)
        self.edit_menu = bar.addMenu("")
        for a in (self.undo, self.redo, None, self.find, self.tag, self.batch_edit, self.select_all,
                  self.clear_filters, None, self.delete_items, self.trash):
            self._add(self.edit_menu, a)
        self.collections_menu = bar.addMenu("")
        for a in (self.new_collection, self.remove_from_collection):
            self._add(self.collections_menu, a)
        self.search_menu = bar.addMenu("")
        for a in (self.search_photo, self.more_like_this, self.edit_attributes):
            self._add(self.search_menu, a)
        self.model_menu = bar.addMenu("")
        for a in (self.train, self.encode, self.models, None, self.evaluate):
            self._add(self.model_menu, a)
        self.view_menu = bar.addMenu("")
        self.view_menu.addAction(self.view_photo)
        self.view_menu.addAction(self.as_table)
        self.sort_menu = self.view_menu.addMenu("")
        for action in self.orders.values():
            self.sort_menu.addAction(action)
        self.size_menu = self.view_menu.addMenu("")
        for action in self.sides.values():
            self.size_menu.addAction(action)
        self.view_menu.addSeparator()
        self.language_menu = self.view_menu.addMenu("")
        for action in self.languages.values():
            self.language_menu.addAction(action)
        self.view_menu.addSeparator()
        self.help_menu = bar.addMenu("")
        for action in (self.guide, self.shortcuts):
            self.help_menu.addAction(action)
        self.help_menu.addSeparator()
        self.help_menu.addAction(self.about)

    @staticmethod
    def _add(menu, action) -> None:
        if action is None:
            menu.addSeparator()
        else:
            menu.addAction(action)

    def add_panel_toggles(self, docks) -> None:
        for dock in docks:
            self.view_menu.addAction(dock.toggleViewAction())

    def set_search_available(self, available: bool) -> None:
        tip = "" if available else self.tr("no model yet")
        for action in self.search_actions:
            action.setEnabled(available)
            action.setToolTip(tip or action.text())

    def set_read_only(self, read_only: bool) -> None:
        """On a read-only library the commands that change it are off, and say why."""
        for action in self.writing_actions:
            action.setEnabled(not read_only)
            if read_only:
                action.setToolTip(self.tr("The library is read-only"))

    def _undo_text(self, text: str) -> None:
        self._stack_texts["undo"] = text
        self._undo_texts()

    def _redo_text(self, text: str) -> None:
        self._stack_texts["redo"] = text
        self._undo_texts()

    def _undo_texts(self) -> None:
        """'Undo Tag 2 item(s) with Dragon': our own actions, so the prefix follows the language."""
        for action, prefix, text in ((self.undo, self.tr("&Undo"), self._stack_texts["undo"]),
                                     (self.redo, self.tr("&Redo"), self._stack_texts["redo"])):
            action.setText(f"{prefix} {text}" if text else prefix)

    def retranslate(self) -> None:
        texts = {
            self.open_library: self.tr("&Open library…"), self.new_library: self.tr("&New library…"), self.import_photos: self.tr("Import &photos…"),
            self.import_folder: self.tr("Import &folder…"), self.export: self.tr("&Export…"),
            self.quit: self.tr("&Quit"),
            self.find: self.tr("&Find…"), self.tag: self.tr("&Tag selected items"),
            self.select_all: self.tr("Select &all"), self.clear_filters: self.tr("&Clear filters"),
            self.new_collection: self.tr("&New collection…"),
            self.remove_from_collection: self.tr("&Remove selection from this collection"),
            self.delete_items: self.tr("&Move to trash"), self.batch_edit: self.tr("&Edit selected items…"), self.trash: self.tr("T&rash…"),
            self.search_photo: self.tr("Search by &photo…"), self.more_like_this: self.tr("&More like this"),
            self.edit_attributes: self.tr("Like this, &but…"), self.train: self.tr("&Train…"),
            self.encode: self.tr("E&ncode new and changed items"), self.models: self.tr("&Models…"),
            self.view_photo: self.tr("&Full size / compare (Space)"),
            self.as_table: self.tr("As a ta&ble (columns)"),
            self.evaluate: self.tr("&Evaluation…"), self.about: self.tr("&About Wenyang"),
            self.shortcuts: self.tr("&Keyboard shortcuts"), self.guide: self.tr("&Getting started"),
            self.languages["system"]: self.tr("&System language"),
            self.orders["accession"]: self.tr("&Accession number"), self.orders["title"]: self.tr("&Title"),
            self.orders["date"]: self.tr("&Date (from the sheet)"), self.orders["modified"]: self.tr("Last &modified"),
            self.orders["imported"]: self.tr("&Import order"),
            self.orders["collection"]: self.tr("The &collection's own order (exhibition list)"),
            self.sides[96]: self.tr("&Small"), self.sides[160]: self.tr("&Medium"), self.sides[240]: self.tr("&Large"),
        }
        for action, text in texts.items():
            action.setText(text)
        self._undo_texts()
        for code, name in LANGUAGES.items():
            self.languages[code].setText(name)
        for menu, text in ((self.file_menu, self.tr("&File")), (self.edit_menu, self.tr("&Edit")),
                           (self.recent_menu, self.tr("Open &recent")),
                           (self.collections_menu, self.tr("&Collections")),
                           (self.search_menu, self.tr("&Search")), (self.model_menu, self.tr("&Model")),
                           (self.view_menu, self.tr("&View")), (self.language_menu, self.tr("&Language")),
                           (self.sort_menu, self.tr("&Sort by")), (self.size_menu, self.tr("&Thumbnail size")),
                           (self.help_menu, self.tr("&Help"))):
            menu.setTitle(text)
