"""First run: an empty library is filled with the demo collection and a model trained on it,
so the application opens on something a curator can browse and search at once.

Both steps run on a worker thread (``Session.jobs``) through the services; the worker only
posts progress to the GUI thread, where :class:`FirstRunDialog` shows it. Cancelling leaves a
usable library: the items imported so far stay (each item is its own transaction), and a model
exists only when training finished.

An installation without PyTorch (the viewer bundle) cannot train: it installs the demo model
the build trained and shipped in ``models/demo/`` instead (same options, seed 0) and encodes
the demo with it on ONNX Runtime. With neither, the demo opens without a model.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout

from app.core.jobs import Progress
from app.services.demo import DEMO_COUNT, DEMO_TRAINING
from app.ui.i18n import Retranslating, Text
from app.ui.jobs import Job

log = logging.getLogger(__name__)
NO_DEMO_ENV = "WENYANG_NO_DEMO"

def _tr(source: str) -> str:
    """The interface string in the current language (context "FirstRun" of the catalogue)."""
    return Text(QCoreApplication.translate("FirstRun", source))


def demo_wanted(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> bool:
    """False when ``--no-demo`` is given or ``WENYANG_NO_DEMO`` is set to a true value."""
    values = os.environ if env is None else env
    if "--no-demo" in (argv or []):
        return False
    return values.get(NO_DEMO_ENV, "").strip().lower() in ("", "0", "false", "no")


def default_train_options():
    """What a first run trains: 32-bit SSAH codes, 20 epochs (``DEMO_TRAINING``)."""
    from app.services.training import TrainOptions

    return TrainOptions(**DEMO_TRAINING)


def model_source(count: int = DEMO_COUNT):
    """How a first run gets its model: 'train' where PyTorch is installed, else the shipped
    demo model's folder when one fits the demo drawn (seed 0, ``count`` items), else None."""
    from app.services.capabilities import training_available
    from app.services.demo import shipped_demo_model

    return "train" if training_available() else shipped_demo_model(0, count)


class FirstRunJob(Job):
    """Create the demo, then train (or install the shipped model), on a worker thread.

    Its progress is the demo's stages ('generate', 'import') and the model's ('features',
    'train' with done/total the epoch of the epochs, 'encode')."""

    def __init__(self, root, count: int = DEMO_COUNT, options=None, parent=None, source="auto"):
        super().__init__(parent)
        self.root, self.count = root, count
        self.source = model_source(count) if source == "auto" else source  # 'train', a folder, None
        self.options = options if options is not None or self.source != "train" else default_train_options()
        self.timings: dict[str, float] = {}
        self.shown = False  # the demo's items were announced to the window (before the model)

    def work(self):  # worker thread: services only, never a widget
        from app.core.errors import WenyangError
        from app.services.demo import create_demo_library
        from app.services.isolation import BACKGROUND_NICE, run_isolated
        from app.services.training import train_library

        started = time.monotonic()
        try:
            create_demo_library(self.root, seed=0, count=self.count, progress=self.report,
                                cancel=self.cancel_token)
        except WenyangError:
            if not self.cancel_token.is_set():
                raise
            return None  # cancelled while generating or importing: keep what is there
        self.timings["demo_s"] = time.monotonic() - started
        if self.cancel_token.is_set():
            return None
        if self.source != "train":
            return self._shipped_model(started)
        # a child process, as in the training dialog: torch's import, the epochs and the ONNX
        # export would otherwise hold this process's GIL for 100–350 ms and freeze the window
        outcome = run_isolated(train_library, self.root, self.options, progress=self._model_event,
                               cancel=self.cancel_token, nice=BACKGROUND_NICE)
        self.timings["train_s"] = time.monotonic() - started - self.timings["demo_s"]
        return outcome

    def _shipped_model(self, started: float):
        """No PyTorch here: install the shipped demo model and encode with it, or say why not."""
        from app.core.errors import WenyangError
        from app.services.capabilities import TRAINING_NEEDS_FULL
        from app.services.demo import install_demo_model

        if self.source is None:
            raise WenyangError("The demo collection is ready, but it has no search model: this "
                               "installation carries no demo model. " + TRAINING_NEEDS_FULL)
        outcome = install_demo_model(self.root, self.source, progress=self._model_event,
                                     cancel=self.cancel_token)
        self.timings["model_s"] = time.monotonic() - started - self.timings["demo_s"]
        return outcome

    def _model_event(self, event: Progress) -> None:
        """The dialog's model bar: photos read, then epochs (the first pass's, then training's),
        then encoding."""
        if event.stage in ("features", "encode"):
            self.report(event)
        elif event.data.get("epochs"):
            self.report(Progress("train", event.data.get("epoch") or 0, event.data["epochs"]))


class FirstRunDialog(Retranslating, QDialog):
    """Two stages with a bar each, and Cancel; closes itself when the job ends."""

    def __init__(self, job: FirstRunJob, parent=None):
        super().__init__(parent)
        self.setObjectName("firstRunDialog")
        # not modal: the grid fills with the demo while the model trains, and can be browsed
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.job = job
        self.intro, self.demo_title, self.model_title = QLabel(self), QLabel(self), QLabel(self)
        self.intro.setWordWrap(True)
        self.demo_bar, self.model_bar = QProgressBar(self), QProgressBar(self)
        self.demo_stage, self.model_stage = QLabel(self), QLabel(self)
        self.cancel_button = QPushButton(self)
        self.cancel_button.clicked.connect(self.cancel)
        self._layout()
        self._texts: dict[str, tuple[str, dict[str, Any]]] = {"demo": ("waiting", {}), "model": ("waiting", {})}
        job.progress.connect(self.on_progress)
        job.finished.connect(lambda _outcome: self.accept())
        job.failed.connect(lambda _message, _cancelled: self.accept())
        self.retranslate()

    def _layout(self) -> None:
        layout = QVBoxLayout(self)
        for widget in (self.intro, self.demo_title, self.demo_bar, self.demo_stage,
                       self.model_title, self.model_bar, self.model_stage):
            layout.addWidget(widget)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        self.resize(520, 260)

    def retranslate(self) -> None:
        self.setWindowTitle(_tr("Preparing the demo collection"))
        if self.job.source == "train":
            self.intro.setText(_tr(
                "Wenyang is setting up a demo collection and training a search model on it, so you can "
                "browse and search straight away. Cancel keeps what is done so far."))
        else:
            self.intro.setText(_tr(
                "Wenyang is setting up a demo collection and the search model that comes with it, so you "
                "can browse and search straight away. Cancel keeps what is done so far."))
        self.demo_title.setText(_tr("1. Demo collection"))
        self.model_title.setText(_tr("2. Search model"))
        self.cancel_button.setText(_tr("Cancelling…") if self.job.cancel_token.is_set()
                                   else _tr("Cancel"))
        self._show_stages()

    def _show_stages(self) -> None:
        for label, key in ((self.demo_stage, "demo"), (self.model_stage, "model")):
            stage, args = self._texts[key]
            label.setText(_stage_text(stage).format(**args))

    STAGE_BAR = {"generate": "demo", "import": "demo", "features": "model", "train": "model", "encode": "model"}

    def on_progress(self, event: Progress) -> None:
        """Move the bar of the stage an event belongs to and say what is happening."""
        stage, done, total = event.stage, event.done, event.total
        key = self.STAGE_BAR.get(stage, "model")
        bar = self.demo_bar if key == "demo" else self.model_bar
        bar.setRange(0, max(total, 1))
        bar.setValue(min(done, max(total, 1)))
        if key == "model":
            self.demo_bar.setValue(self.demo_bar.maximum())
            self._texts["demo"] = ("done", {})
        self._texts[key] = (stage, {"done": done, "total": total, "epoch": done, "epochs": total})
        self._show_stages()

    def cancel(self) -> None:
        self.job.cancel()
        self.cancel_button.setEnabled(False)
        self.retranslate()

    def reject(self) -> None:  # Escape or the close box cancel the job, the dialog stays
        if self.job.running:
            self.cancel()
        else:
            super().reject()


def _stage_text(stage: str) -> str:
    """What the dialog says of a stage (its values filled in by the caller)."""
    texts = {"generate": _tr("Drawing garments: {done} of {total}"), "import": _tr("Importing: {done} of {total}"),
             "features": _tr("Reading photos: {done} of {total}"), "train": _tr("Training: epoch {epoch} of {epochs}"),
             "encode": _tr("Encoding the collection"), "waiting": _tr("Waiting"), "done": _tr("Done")}
    return texts.get(stage, stage)


def start_first_run(window, count: int = DEMO_COUNT, options=None) -> FirstRunJob:
    """Fill ``window``'s (empty) library with the demo and train on it, showing progress."""
    job = FirstRunJob(window.session.root, count, options, window)
    dialog = FirstRunDialog(job, window)
    job.progress.connect(lambda event: _demo_ready(window, job, event))
    job.finished.connect(lambda outcome: _finished(window, job, outcome))
    job.failed.connect(lambda message, _cancelled: _failed(window, message))
    window.session.on_close(job.cancel)
    window.first_run, window.first_run_dialog = job, dialog
    dialog.show()
    job.start(window.session.jobs)
    return job


def _announce_changes(session) -> None:
    """Everything the demo touched: items, labels, collections, and perhaps a model."""
    from app.services.ops import EVERYTHING

    session.announce(EVERYTHING)


def _demo_ready(window, job: FirstRunJob, event: Progress) -> None:
    """The model's first event means the demo's items are all in: show them now, while it trains."""
    if event.stage not in ("generate", "import") and not job.shown:
        job.shown = True
        _announce_changes(window.session)
        window.session.message.emit(_tr("The demo collection is ready to browse; the search model is on its way."))


def _finished(window, job: FirstRunJob, outcome) -> None:
    _announce_changes(window.session)
    timings = ", ".join(f"{k} {v:.0f} s" for k, v in job.timings.items())
    model = getattr(outcome, "model_id", None)
    window.session.message.emit(_tr("The demo collection is ready; search uses model {model}.").format(model=model)
                                if model else _tr("The demo collection is ready."))
    log.info("first run: model %s; %s", model, timings)


def _failed(window, message: str) -> None:
    _announce_changes(window.session)
    window.session.message.emit(message)
