"""The export dialog: what to export, the format, original or resized photos, where to; then
progress, cancel, and a sentence saying what was written (or why nothing was).

The export itself is ``ExportJob`` (``app.ui.export_job``) on the session's job pool; the
exchange layer writes atomically, so a cancelled or failed export leaves no file behind.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.ui import settings
from app.ui.export_job import ExportJob, ExportSource
from app.ui.i18n import Retranslating

FORMATS = ("csv", "json", "zip", "iiif", "research")
FOLDER_FORMATS = ("iiif", "research")       # these write a new folder, the others one file
PHOTO_FORMATS = ("zip", "iiif", "research")  # these carry photos, original or resized
DEFAULT_MAX_SIDE = 2000


class ExportDialog(Retranslating, QDialog):
    """Choose, start, watch, cancel; ``exported(result)`` once a file or folder is written."""

    exported = Signal(object)

    def __init__(self, session, sources: list[ExportSource], preferred: int = 0, parent=None):
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.session = session
        self.sources = list(sources)
        self.job: ExportJob | None = None
        self.written = None
        self._confirmed = ""  # a path the file dialog already asked about replacing
        self._build_widgets()
        self.retranslate()
        self.source_box.setCurrentIndex(preferred)
        self.format_box.setCurrentIndex(FORMATS.index("zip"))
        self._suggest_destination()
        session.on_close(self.cancel)

    # -- widgets ---------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.source_box, self.format_box = QComboBox(self), QComboBox(self)
        for _ in self.sources:
            self.source_box.addItem("")
        for fmt in FORMATS:
            self.format_box.addItem("", fmt)
        self.source_box.currentIndexChanged.connect(lambda _i: self._suggest_destination())
        self.format_box.currentIndexChanged.connect(lambda _i: self._format_changed())
        self.original, self.resized = QRadioButton(self), QRadioButton(self)
        self.original.setChecked(True)
        self.photo_choice = QButtonGroup(self)
        for button in (self.original, self.resized):
            self.photo_choice.addButton(button)
        self.max_side = QSpinBox(self)
        self.max_side.setRange(16, 20_000)
        self.max_side.setValue(DEFAULT_MAX_SIDE)
        self.resized.toggled.connect(lambda _on: self._update_enabled())
        self.base_uri = QLineEdit(self)  # IIIF: where the folder will be published
        self.base_uri.setObjectName("exportBaseUri")
        self.destination = QLineEdit(self)
        self.destination.setObjectName("exportDestination")
        self.browse = QPushButton(self)
        self.browse.clicked.connect(self.choose_destination)
        self.progress = QProgressBar(self)
        self.status, self.summary = QLabel(self), QLabel(self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.hide()
        self.buttons = QDialogButtonBox(self)
        self.start_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.RejectRole)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel_or_close)
        self._lay_out()

    def _lay_out(self) -> None:
        photos, where = QWidget(self), QWidget(self)
        row = QHBoxLayout(photos)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.original, self.resized, self.max_side):
            row.addWidget(widget)
        row.addStretch(1)
        path_row = QHBoxLayout(where)
        path_row.setContentsMargins(0, 0, 0, 0)
        path_row.addWidget(self.destination, 1)
        path_row.addWidget(self.browse)
        self.form = QFormLayout()
        self.form_labels = [QLabel(self) for _ in range(5)]
        for label, field in zip(self.form_labels, (self.source_box, self.format_box, photos, self.base_uri, where)):
            self.form.addRow(label, field)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        for part in (self.progress, self.status, self.summary, self.details, self.buttons):
            layout.addWidget(part)
        self.resize(620, 300)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Export"))
        for label, text in zip(self.form_labels, (self.tr("Export:"), self.tr("Format:"),
                                                  self.tr("Photos:"), self.tr("Web address:"),
                                                  self.tr("Save to:"))):
            label.setText(text)
        for row, source in enumerate(self.sources):
            self.source_box.setItemText(row, self._source_text(source))
        names = {"csv": self.tr("CSV sheet (.csv)"), "json": self.tr("JSON records (.json)"),
                 "zip": self.tr("ZIP package with photos (.zip; imports back into Wenyang)"),
                 "iiif": self.tr("IIIF manifests with photos (a new folder)"),
                 "research": self.tr("Research data set (a new folder)")}
        for row, fmt in enumerate(FORMATS):
            self.format_box.setItemText(row, names[fmt])
        self.original.setText(self.tr("Original files"))
        self.resized.setText(self.tr("Resized, longer side at most"))
        self.max_side.setSuffix(self.tr(" px"))
        self.base_uri.setPlaceholderText(self.tr("https://museum.example/iiif/ (empty: the folder's own file address)"))
        self.base_uri.setToolTip(self.tr("Where the IIIF folder will be published; every manifest and photo "
                                         "address starts with it, so the folder can be copied there as it is."))
        self.browse.setText(self.tr("Browse…"))
        self.start_button.setText(self.tr("Export"))
        self._update_enabled()

    def _source_text(self, source: ExportSource) -> str:
        n = source.size if source.size is not None else "?"
        if source.kind == "collection":
            return self.tr("Collection “{name}” ({n} items)").format(name=source.name, n=n)
        if source.kind == "items":
            return self.tr("The selected items ({n})").format(n=n)
        if source.kind == "search":
            return self.tr("The search result for “{query}” ({n} items)").format(query=source.name, n=n)
        return self.tr("The whole library ({n} items)").format(n=n)

    # -- choices ---------------------------------------------------------------------------
    @property
    def source(self) -> ExportSource:
        return self.sources[self.source_box.currentIndex()]

    @property
    def format(self) -> str:
        return self.format_box.currentData()

    def _format_changed(self) -> None:
        self._suggest_destination()
        self._update_enabled()

    def _suggest_destination(self) -> None:
        """Name the destination after the source, with the format's extension (the folder
        stays the one the curator chose, or the last export's)."""
        if not self.sources or self.format is None:
            return
        text = self.destination.text().strip()
        folder = Path(text).parent if text else settings.export_folder()
        suffix = "" if self.format in FOLDER_FORMATS else f".{self.format}"
        self.destination.setText(str(folder / f"{self.source.file_stem()}{suffix}"))

    def choose_destination(self) -> None:
        """Ask for the destination with the platform's file dialog."""
        if self.format in FOLDER_FORMATS:
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Name a new folder for the export"),
                                                  self.destination.text(), "",
                                                  options=QFileDialog.Option.DontConfirmOverwrite)
        else:
            pattern = self.tr("{fmt} files (*.{fmt})").format(fmt=self.format)
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Export to"), self.destination.text(),
                                                  pattern)
            if path and not path.lower().endswith(f".{self.format}"):
                path += f".{self.format}"
            self._confirmed = path
        if path:
            self.destination.setText(path)

    def _update_enabled(self) -> None:
        idle = self.job is None or not self.job.running
        photos = idle and self.format in PHOTO_FORMATS
        for widget in (self.source_box, self.format_box, self.destination, self.browse,
                       self.start_button):
            widget.setEnabled(idle)
        self.original.setEnabled(photos)
        self.resized.setEnabled(photos)
        self.max_side.setEnabled(photos and self.resized.isChecked())
        self.base_uri.setEnabled(idle and self.format == "iiif")
        self.cancel_button.setText(self.tr("Close") if idle else self.tr("Cancel"))

    # -- running ---------------------------------------------------------------------------
    def start(self) -> None:
        """Check the destination, then start the export on a worker thread."""
        if self.job is not None and self.job.running:
            return
        out = self._destination()
        if out is None:
            return
        from app.services.exchange import ExportOptions, valid_base_uri

        resize = self.format in PHOTO_FORMATS and self.resized.isChecked()
        base_uri = self.base_uri.text().strip() if self.format == "iiif" else ""
        if base_uri and not valid_base_uri(base_uri):
            self.summary.setText(self.tr("The web address needs a scheme, e.g. https://museum.example/iiif/"))
            return
        options = ExportOptions(max_side=self.max_side.value() if resize else None, base_uri=base_uri or None)
        self.written = None
        self.job = ExportJob(self.session.root, self.source, self.format, out, options, self)
        self.job.progress.connect(self._on_progress)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(self._on_failed)
        self.progress.setRange(0, 0)  # busy until the first step is reported
        self.status.setText(self.tr("Starting…"))
        self.summary.setText("")
        self.details.hide()
        self.job.start(self.session.jobs)
        self._update_enabled()

    def _destination(self) -> Path | None:
        text = self.destination.text().strip()
        if not text:
            self.summary.setText(self.tr("Choose where to save the export."))
            return None
        out = Path(text).expanduser()
        if out.exists() and self.format not in FOLDER_FORMATS and text != self._confirmed:
            answer = QMessageBox.question(self, self.tr("Replace file"), self.tr(
                "{path} exists already. Replace it?").format(path=out))
            if answer != QMessageBox.StandardButton.Yes:
                return None
        return out

    def cancel(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.status.setText(self.tr("Cancelling…"))

    def reject(self) -> None:
        """Closing the dialog cancels a running export (nothing is left half-written)."""
        self.cancel()
        super().reject()

    def _cancel_or_close(self) -> None:
        if self.job is not None and self.job.running:
            self.cancel()
        else:
            self.reject()

    def _on_progress(self, event) -> None:
        done, total = event.done, event.total
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        if event.stage == "items":
            self.status.setText(self.tr("Item {done} of {total}").format(done=done, total=total))
        else:
            self.status.setText(self.tr("Writing {name}").format(name=event.detail))

    def _on_finished(self, done) -> None:
        """The export's op ran: one step of the undo stack (undo takes the export away)."""
        result = done.value
        self.session.record(done, self.tr("Export to {name}").format(name=Path(result.path).name))
        self.written = result
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.status.setText("")
        self.summary.setText(self.tr(
            "Exported {items} item(s) and {photos} photo(s) to {path} ({mb:.1f} MB in {s:.1f} s).")
            .format(items=result.items, photos=result.photos, path=result.path,
                    mb=result.bytes / 1e6, s=result.seconds))
        self._show_details(result)
        settings.remember_export_folder(Path(result.path).parent)
        self._update_enabled()
        self.exported.emit(result)

    def _show_details(self, result) -> None:
        lines = []
        if result.missing_photos:
            lines.append(self.tr("{n} photo(s) could not be read and were left out:")
                         .format(n=len(result.missing_photos)))
            lines += [f"  {line}" for line in result.missing_photos]
        lines += result.notes
        self.details.setPlainText("\n".join(lines))
        self.details.setVisible(bool(lines))

    def _on_failed(self, message: str, cancelled: bool) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status.setText("")
        self.summary.setText(self.tr("Cancelled; nothing was written.") if cancelled
                             else self.tr("The export failed: {error}").format(error=message))
        self._update_enabled()
