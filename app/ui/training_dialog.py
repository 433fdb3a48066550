"""The training dialog: code length, method, epochs; live losses and validation MAP; cancel.

Training runs the ``Train`` op (``app.services.training.train_op``) in a child process; its progress
callback (called on that thread) posts throttled copies of the events to the GUI thread.
When it ends, the library has a new active model and the window re-checks search.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.jobs import Progress
from app.ui.i18n import Retranslating
from app.ui.jobs import Job
from app.ui.plot import LinePlot

BITS = (16, 32, 64, 128)
MODES = (("ssah", "SSAH"), ("dcmh", "DCMH"))
# Where each stage sits on the one progress bar (start, end, as shares of the whole run), so the
# bar only moves forward: the CNN's first pass and the epochs each used to restart it at zero.
STAGE_SPAN = {"text": (0.0, 0.02), "warmup": (0.02, 0.5), "features": (0.5, 0.55), "train": (0.55, 0.9),
              "export": (0.9, 0.92), "encode": (0.92, 1.0)}
PROGRESS_STEPS = 1000


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
        from app.services.isolation import BACKGROUND_NICE, run_isolated

        module = training_module()
        options = module.TrainOptions(bits=self.bits, mode=self.mode, epochs=self.epochs, **self.extra)
        # in a child process: importing torch, the epochs and the ONNX export would otherwise
        # hold this process's GIL for up to 350 ms at a time and freeze the window; at a lower
        # priority, so that the window gets a core first when both want one
        return run_isolated(module.train_op, self.root, options, progress=self.report,
                            cancel=self.cancel_token, nice=BACKGROUND_NICE)

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
        self.readiness = None  # app.services.training.Readiness, once counted
        self.active_model: str | None = None
        self.replace_answer: bool | None = None  # tests answer "replace the active model?" here
        self._activate = True
        self._clock = QElapsedTimer()
        self._fraction = 0.0
        self._build_widgets()
        self.retranslate()
        session.on_close(self.cancel)
        self._count()

    def _build_widgets(self) -> None:
        self._build_options()
        self.counts = QLabel(self)
        self.counts.setWordWrap(True)
        self.stage = QLabel(self)
        self.stage.setWordWrap(True)
        self.eta = QLabel(self)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, PROGRESS_STEPS)
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
        layout.addWidget(self.counts)
        layout.addLayout(self.form)
        layout.addWidget(self.stage)
        layout.addWidget(self.progress)
        layout.addWidget(self.eta)
        layout.addLayout(plots)
        layout.addLayout(buttons)
        layout.setStretchFactor(plots, 1)
        self.resize(780, 640)  # the explanations wrap to two lines in Chinese too; the plots keep room

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
        self.weights = QLineEdit(self)  # a pretrained CNN's weights file (the CLI's --backbone-weights)
        self.weights.setObjectName("trainingWeights")
        self.weights_button = QPushButton(self)
        self.weights_button.clicked.connect(self._choose_weights)
        weights = QWidget(self)
        row = QHBoxLayout(weights)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.weights, 1)
        row.addWidget(self.weights_button)
        self.bits_help, self.mode_help = QLabel(self), QLabel(self)
        for help_label in (self.bits_help, self.mode_help):
            help_label.setWordWrap(True)
            help_label.setEnabled(False)  # drawn greyed: an explanation, not a setting
        self.form = QFormLayout()
        self.form_labels = [QLabel(self) for _ in range(4)]
        for label, widget in zip(self.form_labels, (self.bits, self.mode, self.epochs, weights)):
            self.form.addRow(label, widget)
            if widget is self.bits:
                self.form.addRow("", self.bits_help)
            if widget is self.mode:
                self.form.addRow("", self.mode_help)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Train a model"))
        for label, text in zip(self.form_labels, (self.tr("Code length (bits)"), self.tr("Method"),
                                                  self.tr("Epochs (at most)"),
                                                  self.tr("Pretrained CNN (optional)"))):
            label.setText(text)
        self.bits_help.setText(self.tr("Each photo and text becomes a code of this many bits: longer codes tell "
                                       "more patterns apart and take a little more memory; 32 suits most "
                                       "collections."))
        self.mode_help.setText(self.tr("SSAH learns from your labels, photos and texts together (recommended); "
                                       "DCMH is the older method, kept for comparison."))
        self.mode.setToolTip(self.tr("SSAH: self-supervised adversarial hashing; DCMH: the baseline"))
        self.weights.setPlaceholderText(self.tr("none: the CNN learns from your photos alone"))
        self.weights.setToolTip(self.tr("A ResNet weights file (.pth) you already have; nothing is downloaded."))
        self.weights_button.setText(self.tr("Browse…"))
        self._show_counts()
        self.losses.title = self.tr("Losses")
        self.val_map.title = self.tr("Validation MAP")
        self.start_button.setText(self.tr("Start"))
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.job is not None and self.job.running
        available = training_module() is not None
        enough = self.readiness is None or self.readiness.enough
        self.start_button.setEnabled(available and not running and enough)
        for widget in (self.bits, self.mode, self.epochs, self.weights, self.weights_button):
            widget.setEnabled(not running)
        self.start_button.setToolTip("" if available else self.tr("no model yet: training is not "
                                                                  "available in this version"))
        self.cancel_button.setText(self.tr("Cancel") if running else self.tr("Close"))

    def _count(self) -> None:
        """Count what training would learn from, off the GUI thread."""
        module = training_module()
        if module is None or not hasattr(module, "training_readiness"):
            return

        def count(lib):
            active = lib.models.active()
            return module.training_readiness(lib), (active.id if active else None)

        self.session.run(count, self._counted)

    def _counted(self, found) -> None:
        self.readiness, self.active_model = found
        self._show_counts()
        self._update_buttons()

    def _show_counts(self) -> None:
        ready = self.readiness
        if ready is None:
            self.counts.setText("")
            return
        text = self.tr("{tagged} of {items} items carry labels ({photos} of them with a photo). The model learns "
                       "from them and keeps {held} aside to measure itself; untagged items are searched by "
                       "what it sees.").format(tagged=ready.tagged, items=ready.items, photos=ready.with_photo,
                                               held=ready.held_out)
        if not ready.enough:
            text += " " + self.tr("Training needs at least {n} tagged items: tag more first.").format(n=ready.needed)
        self.counts.setText(text)

    def _choose_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Pretrained CNN weights"), "",
                                              self.tr("PyTorch weights (*.pth *.pt);;All files (*)"))
        if path:
            self.weights.setText(path)

    def _ask_to_replace(self) -> bool | None:
        """With a model in use: may the new one replace it (when it validates better)? None: cancel."""
        if self.active_model is None:
            return True
        if self.replace_answer is not None:
            return self.replace_answer
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Replace the model in use?"), self.tr(
            "Model {model} is in use for search. When the new model validates better, should search "
            "use it instead? (Either way the new model is kept, and Undo takes it away.)").format(
                model=self.active_model), parent=self)
        use = box.addButton(self.tr("Use the better one"), QMessageBox.ButtonRole.YesRole)
        keep = box.addButton(self.tr("Keep model {model}").format(model=self.active_model),
                             QMessageBox.ButtonRole.NoRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return True if box.clickedButton() is use else False if box.clickedButton() is keep else None

    def start(self) -> None:
        if training_module() is None or (self.job is not None and self.job.running):
            return
        weights = self.weights.text().strip()
        if weights and not Path(weights).expanduser().is_file():
            self.stage.setText(self.tr("The weights file {path} does not exist.").format(path=weights))
            return
        activate = self._ask_to_replace()
        if activate is None:
            return
        self._activate = activate
        options = dict(self.extra_options, activate=activate)
        if weights:
            options["backbone_weights"] = str(Path(weights).expanduser())
        self.losses.clear()
        self.val_map.clear()
        self._fraction = 0.0
        self.progress.setValue(0)
        self.eta.setText("")
        self._clock.start()
        self.job = TrainJob(self.session.root, self.bits.currentData(), self.mode.currentData(),
                            self.epochs.value(), options, self)
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
        self._advance(event, epoch, epochs)
        self.stage.setText(self._stage_text(event, epoch, epochs))

    def _advance(self, event: Progress, epoch: int, epochs: int) -> None:
        """Move the one bar forward (never back) and say about how long is left."""
        start, end = STAGE_SPAN.get(event.stage, (self._fraction, self._fraction))
        within = 0.0
        if event.stage == "train" and epochs:
            within = min(epoch, epochs) / epochs  # early stopping jumps ahead, never back
        elif event.stage == "warmup" and epochs:
            within = (max(epoch - 1, 0) + (event.done / event.total if event.total else 0)) / epochs
        elif event.total:
            within = event.done / event.total
        self._fraction = max(self._fraction, start + (end - start) * min(within, 1.0))
        self.progress.setValue(int(round(self._fraction * PROGRESS_STEPS)))
        elapsed = self._clock.elapsed() / 1000 if self._clock.isValid() else 0.0
        if self._fraction >= 0.05 and elapsed >= 5:
            left = elapsed * (1 - self._fraction) / self._fraction
            self.eta.setText(self.tr("About {minutes} min left").format(minutes=max(1, round(left / 60)))
                             if left >= 60 else self.tr("Less than a minute left"))

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
        self.eta.setText("")
        if getattr(outcome, "cancelled", False) and not model_id:
            self.stage.setText(self.tr("Cancelled; no new model."))
        else:
            self.progress.setValue(PROGRESS_STEPS)
            self.stage.setText(" ".join(self._outcome_lines(outcome, model_id)))
        self._update_buttons()
        self._count()  # the model in use may have changed
        self.trained.emit(outcome)

    def _outcome_lines(self, outcome, model_id) -> list[str]:
        """What happened, in the curator's words: which model search uses, why it stopped."""
        if getattr(outcome, "activated", True):
            lines = [self.tr("Done: model {model} is now in use.").format(model=model_id)]
        elif self._activate and self.active_model:
            lines = [self.tr("Done: model {model} is kept beside the active one, which validated "
                             "better and stays in use.").format(model=model_id)]
        else:
            lines = [self.tr("Done: model {model} is kept; search still uses {active}, as you asked.").format(
                model=model_id, active=self.active_model)]
        run, best = getattr(outcome, "epochs_run", 0), getattr(outcome, "best_epoch", 0)
        if 0 < run < self.epochs.value():
            lines.append(self.tr("It stopped early, after epoch {run} of {epochs}: the validation score had "
                                 "not improved for a while, so the best epoch ({best}) is kept.").format(
                run=run, epochs=self.epochs.value(), best=best))
        if best == 1 and run > 1:
            lines.append(self.tr("The score never improved after the first epoch: this model has learnt "
                                 "little. Tag more items, or train longer."))
        if getattr(outcome, "val_map", None) is not None:
            lines.append(self.tr("Validation score {map:.3f}.").format(map=outcome.val_map))
        return lines

    def _failed(self, message: str, _cancelled: bool = False) -> None:
        self.stage.setText(self.tr("Training failed: {error}").format(error=message))
        self._update_buttons()
