"""The training dialog: code length, method, epochs; live losses and validation MAP; cancel.

Training runs the ``Train`` op (``app.services.training.train_op``) in a child process; its progress
callback (called on that thread) posts throttled copies of the events to the GUI thread.
When it ends, the library has a new active model and the window re-checks search.
"""
from __future__ import annotations

import importlib.util

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from app.core.jobs import Progress
from app.ui.i18n import Retranslating
from app.ui.jobs import Job
from app.ui.plot import LinePlot

BITS = (16, 32, 64, 128)
MODES = (("ssah", "SSAH"), ("dcmh", "DCMH"))


def training_module():
    """``app.services.training`` when it offers ``train_op`` and ``TrainOptions`` and
    PyTorch is installed (the viewer bundle has none)."""
    from app.services.capabilities import training_available

    if importlib.util.find_spec("app.services.training") is None or not training_available():
        return None
    try:
        import app.services.training as module
    except ImportError:
        return None
    return module if hasattr(module, "train_op") and hasattr(module, "TrainOptions") else None


class TrainJob(Job):
    """One training run in a child process, watched from a worker thread."""

    def __init__(self, root, bits: int, mode: str, epochs: int, extra: dict | None = None,
                 parent=None):
        super().__init__(parent)
        self.root, self.bits, self.mode, self.epochs = root, bits, mode, epochs
        self.extra = dict(extra or {})

    def work(self):
        from app.services.isolation import run_isolated

        module = training_module()
        options = module.TrainOptions(bits=self.bits, mode=self.mode, epochs=self.epochs, **self.extra)
        # in a child process: importing torch, the epochs and the ONNX export would otherwise
        # hold this process's GIL for up to 350 ms at a time and freeze the window; at a lower
        # priority, so that the window gets a core first when both want one
        return run_isolated(module.train_op, self.root, options, progress=self.report,
                            cancel=self.cancel_token, nice=5)

    def important(self, event: Progress) -> bool:
        """Epoch ends carry the curves' points: none may be dropped."""
        return event.data.get("kind") in ("epoch", "done") or super().important(event)


class TrainingDialog(Retranslating, QDialog):
    """Choose options, start, watch, cancel; ``trained(outcome)`` when a model is ready."""

    trained = Signal(object)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.setObjectName("trainingDialog")
        self.session = session
        self.job: TrainJob | None = None
        self.extra_options: dict = {}  # further TrainOptions fields (advanced use, tests)
        self._build_widgets()
        self.retranslate()
        session.on_close(self.cancel)

    def _build_widgets(self) -> None:
        self._build_options()
        self.stage = QLabel(self)
        self.progress = QProgressBar(self)
        self.losses = LinePlot("", self)
        self.val_map = LinePlot("", self)
        self.val_map.y_range = (0.0, 1.0)
        self.start_button, self.cancel_button = QPushButton(self), QPushButton(self)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel_or_close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        plots = QHBoxLayout()
        plots.addWidget(self.losses)
        plots.addWidget(self.val_map)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.stage)
        layout.addWidget(self.progress)
        layout.addLayout(plots)
        layout.addLayout(buttons)
        layout.setStretchFactor(plots, 1)
        self.resize(720, 480)

    def _build_options(self) -> None:
        self.bits = QComboBox(self)
        for bits in BITS:
            self.bits.addItem(str(bits), bits)
        self.bits.setCurrentIndex(BITS.index(32))
        self.mode = QComboBox(self)
        for key, name in MODES:
            self.mode.addItem(name, key)
        self.epochs = QSpinBox(self)
        self.epochs.setRange(1, 1000)
        self.epochs.setValue(30)
        self.form = QFormLayout()
        self.form_labels = [QLabel(self) for _ in range(3)]
        for label, widget in zip(self.form_labels, (self.bits, self.mode, self.epochs)):
            self.form.addRow(label, widget)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Train a model"))
        for label, text in zip(self.form_labels, (self.tr("Code length (bits)"), self.tr("Method"),
                                                  self.tr("Epochs"))):
            label.setText(text)
        self.mode.setToolTip(self.tr("SSAH: self-supervised adversarial hashing; DCMH: the baseline"))
        self.losses.title = self.tr("Losses")
        self.val_map.title = self.tr("Validation MAP")
        self.start_button.setText(self.tr("Start"))
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.job is not None and self.job.running
        available = training_module() is not None
        self.start_button.setEnabled(available and not running)
        self.start_button.setToolTip("" if available else self.tr("no model yet: training is not "
                                                                  "available in this version"))
        self.cancel_button.setText(self.tr("Cancel") if running else self.tr("Close"))

    def start(self) -> None:
        if training_module() is None or (self.job is not None and self.job.running):
            return
        self.losses.clear()
        self.val_map.clear()
        self.job = TrainJob(self.session.root, self.bits.currentData(), self.mode.currentData(),
                            self.epochs.value(), self.extra_options, self)
        self.job.progress.connect(self.on_event)
        self.job.finished.connect(self._finished)
        self.job.failed.connect(self._failed)
        self.stage.setText(self.tr("Starting…"))
        self.job.start(self.session.jobs)
        self._update_buttons()

    def on_event(self, event: Progress) -> None:
        """Show one progress event: stage, epoch bar, loss and MAP curves."""
        data = event.data
        epoch, epochs = data.get("epoch") or 0, data.get("epochs") or 0
        if data.get("kind") == "epoch":  # per-step losses are noisy: plot the epoch means
            for name, value in (data.get("losses") or {}).items():
                if value is not None:
                    self.losses.add_point(str(name), epoch, value)
        if data.get("val_map") is not None:
            self.val_map.add_point("MAP", epoch, data["val_map"])
        if epochs and event.stage in ("train", "warmup"):
            self.progress.setRange(0, epochs)
            self.progress.setValue(min(epoch, epochs))
        self.stage.setText(self._stage_text(event, epoch, epochs))

    def _stage_text(self, event: Progress, epoch: int, epochs: int) -> str:
        if event.stage == "features" and event.total:
            return self.tr("Reading photos: {done} of {total}").format(done=event.done, total=event.total)
        if epochs and event.stage == "train":
            return self.tr("Training: epoch {epoch} of {epochs}").format(epoch=epoch, epochs=epochs)
        return event.detail or event.stage

    def cancel(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.stage.setText(self.tr("Cancelling…"))

    def _cancel_or_close(self) -> None:
        if self.job is not None and self.job.running:
            self.cancel()
        else:
            self.accept()

    def _finished(self, result) -> None:
        """The ``Train`` op ran: its model is one step of the undo stack (undo forgets it)."""
        outcome = result.value
        model_id = getattr(outcome, "model_id", None)
        if model_id:
            self.session.record(result, self.tr("Train model {model}").format(model=model_id))
        if getattr(outcome, "cancelled", False) and not model_id:
            self.stage.setText(self.tr("Cancelled; no new model."))
        else:
            text = (self.tr("Done: model {model} is now in use.") if getattr(outcome, "activated", True)
                    else self.tr("Done: model {model} is kept beside the active one, which validated "
                                 "better and stays in use.")).format(model=model_id)
            if getattr(outcome, "val_map", None) is not None:
                text += " " + self.tr("Validation MAP {map:.3f}.").format(map=outcome.val_map)
            self.stage.setText(text)
        self._update_buttons()
        self.trained.emit(outcome)

    def _failed(self, message: str, _cancelled: bool = False) -> None:
        self.stage.setText(self.tr("Training failed: {error}").format(error=message))
        self._update_buttons()
