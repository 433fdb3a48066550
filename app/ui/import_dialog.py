"""Importing photos: the job (a worker with its own library connection) and its dialog.

The dialog shows a progress bar and the file being read, cancels on request (the importer
stops after the current file; every item written so far is complete), and lists at the end
every file that was skipped and why.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from app.services.library import as_location
from app.ui.i18n import Retranslating
from app.ui.jobs import Job

SHEET_SUFFIXES = {".csv", ".tsv", ".json", ".jsonl"}


def split_sheet(paths: list[Path]) -> tuple[list[Path], Path | None]:
    """Dropped files may include a metadata sheet: return (photos and folders, the sheet)."""
    sheets = [p for p in paths if p.is_file() and p.suffix.lower() in SHEET_SUFFIXES]
    rest = [p for p in paths if p not in sheets]
    return rest, (sheets[0] if sheets else None)


class ImportJob(Job):
    """One import run on a worker thread (stage 'import', one step per file)."""

    def __init__(self, root: Path, paths: list[Path], metadata: Path | None = None,
                 copy: bool = False, parent: QObject | None = None):
        super().__init__(parent)
        self.root, self.paths = as_location(root), list(paths)
        self.metadata, self.copy = metadata, copy

    def work(self):
        """The ``ImportFiles`` op on the writer's own connection (WAL: readers go on)."""
        from app.services.importing import ImportFiles, ImportOptions
        from app.services.ops import run_on

        options = ImportOptions(metadata=self.metadata, copy=self.copy)
        return run_on(self.root, ImportFiles(self.paths, options, self.report, self.cancel_token))


class ImportDialog(Retranslating, QDialog):
    """Options, progress, cancel and the skipped-files report of one import."""

    imported = Signal(object)  # the report, once the job has ended (finished or cancelled)

    def __init__(self, session, paths: list[Path], metadata: Path | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.session = session
        self.paths = [Path(p) for p in paths]
        self.job: ImportJob | None = None
        self.report = None
        self._build_widgets(metadata)
        self.retranslate()
        session.on_close(self.cancel)

    def _build_widgets(self, metadata: Path | None) -> None:
        self.what = QLabel(self)
        self.what.setWordWrap(True)
        self.sheet_label = QLabel(self)
        self.sheet_edit = QLineEdit(str(metadata) if metadata else "", self)
        self.sheet_button = QPushButton(self)
        self.sheet_button.clicked.connect(self._choose_sheet)
        self.copy_box = QCheckBox(self)
        self.progress = QProgressBar(self)
        self.current = QLabel(self)
        self.current.setTextFormat(Qt.TextFormat.PlainText)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.skipped = QTreeWidget(self)
        self.skipped.setColumnCount(3)
        self.skipped.setRootIsDecorated(False)
        self.skipped.hide()
        self._build_buttons()
        self._lay_out()

    def _build_buttons(self) -> None:
        self.buttons = QDialogButtonBox(self)
        self.start_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.RejectRole)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel_or_close)

    def _lay_out(self) -> None:
        sheet = QHBoxLayout()
        sheet.addWidget(self.sheet_edit, 1)
        sheet.addWidget(self.sheet_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.what)
        layout.addWidget(self.sheet_label)
        layout.addLayout(sheet)
        for widget in (self.copy_box, self.progress, self.current, self.summary, self.skipped,
                       self.buttons):
            layout.addWidget(widget)
        self.resize(640, 360)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Import photos"))
        self.what.setText(self.tr("{n} file(s) or folder(s): {names}").format(
            n=len(self.paths), names=", ".join(p.name for p in self.paths[:5]) +
            ("…" if len(self.paths) > 5 else "")))
        self.sheet_label.setText(self.tr("Metadata sheet (CSV or JSON, optional):"))
        self.sheet_button.setText(self.tr("Browse…"))
        self.copy_box.setText(self.tr("Copy the photos into the library folder"))
        self.start_button.setText(self.tr("Import"))
        self.skipped.setHeaderLabels([self.tr("File"), self.tr("Reason"), self.tr("Detail")])
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.job is not None and self.job.running
        self.start_button.setEnabled(self.job is None)
        self.cancel_button.setText(self.tr("Cancel") if running or self.job is None else self.tr("Close"))
        for widget in (self.sheet_edit, self.sheet_button, self.copy_box):
            widget.setEnabled(self.job is None)

    def _choose_sheet(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Metadata sheet"), "",
                                              self.tr("Sheets (*.csv *.tsv *.json *.jsonl)"))
        if path:
            self.sheet_edit.setText(path)

    # -- running ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the import on a worker thread (once)."""
        if self.job is not None:
            return
        sheet = Path(self.sheet_edit.text()) if self.sheet_edit.text().strip() else None
        self.job = ImportJob(self.session.root, self.paths, sheet, self.copy_box.isChecked(), self)
        self.job.progress.connect(self._on_progress)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(self._on_failed)
        self.progress.setRange(0, 0)  # busy until the files are counted
        self.job.start(self.session.imports)
        self._update_buttons()

    def cancel(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.current.setText(self.tr("Cancelling after the current file…"))

    def reject(self) -> None:
        """Closing the dialog cancels a running import (the report still arrives)."""
        self.cancel()
        super().reject()

    def _cancel_or_close(self) -> None:
        if self.job is not None and self.job.running:
            self.cancel()
        else:
            self.reject()

    def _on_progress(self, event) -> None:
        self.progress.setRange(0, max(event.total, 1))
        self.progress.setValue(event.done)
        self.current.setText(Path(event.detail).name)

    def _on_finished(self, result) -> None:
        """The import's op ran: it becomes one step of the undo stack (a cancelled import keeps
        what it wrote, and one undo takes that out)."""
        report = result.value
        self.session.record(result, self.tr("Import {n} item(s)").format(n=report.added_items))
        self.report = report
        self.progress.setRange(0, max(report.total_files, 1))
        self.progress.setValue(report.total_files if not report.cancelled else self.progress.value())
        self.current.setText("")
        self.summary.setText(self._summary(report))
        self._show_skipped(report.skipped)
        self._update_buttons()
        self.imported.emit(report)

    def _on_failed(self, message: str, _cancelled: bool = False) -> None:
        self.summary.setText(self.tr("The import stopped: {error}").format(error=message))
        self._update_buttons()
        self.imported.emit(None)

    def _summary(self, report) -> str:
        text = self.tr("{items} item(s) and {photos} photo(s) added; {dups} duplicate(s); "
                       "{skipped} file(s) skipped.").format(
            items=report.added_items, photos=report.added_photos, dups=len(report.duplicates),
            skipped=len(report.skipped))
        if report.cancelled:
            text = self.tr("Cancelled.") + " " + text
        if report.error:
            text += " " + report.error
        if report.unknown_labels:
            text += " " + self.tr("Unknown labels: {labels}.").format(
                labels=", ".join(sorted(report.unknown_labels)))
        return text

    def _show_skipped(self, skipped) -> None:
        self.skipped.clear()
        for entry in skipped:
            row = QTreeWidgetItem(self.skipped, [entry.path, entry.reason, entry.detail])
            row.setToolTip(0, entry.path)
        self.skipped.setVisible(bool(skipped))
        self.skipped.resizeColumnToContents(1)
