"""First run: a fresh ``$WENYANG_HOME`` opens on the demo collection with a model trained on
it (a tiny demo and tiny networks here), the opt-outs, and the quit-after hook that lets a
script start the real application offscreen."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from app.core.jobs import Progress
from tests.ui.helpers import wait_idle

TINY_NETS = {"semantic_dim": 64, "label_hidden": (128,), "image_hidden": (128,),
             "text_hidden": (128,), "disc_hidden": (32,)}


def test_the_opt_outs_and_options():
    from app.ui.first_run import demo_wanted
    from app.ui.main import parse_options

    assert demo_wanted([], {}) and demo_wanted([], {"WENYANG_NO_DEMO": "0"})
    assert not demo_wanted([], {"WENYANG_NO_DEMO": "1"})
    assert not demo_wanted(["--no-demo"], {})
    options = parse_options(["wenyang-gui", "-platform", "offscreen", "--demo-count", "24"])
    assert options["demo_count"] == 24
    assert parse_options(["wenyang-gui", "--no-demo"])["demo"] is False


@pytest.mark.slow
def test_a_fresh_home_opens_on_the_demo_with_a_model(tmp_path, monkeypatch, qtbot):
    pytest.importorskip("torch")
    pytest.importorskip("onnxruntime")
    from app.services.training import TrainOptions
    from app.ui.main import start

    monkeypatch.setenv("WENYANG_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("WENYANG_NO_DEMO", raising=False)
    options = TrainOptions(bits=16, epochs=1, image_size=32, net_overrides=TINY_NETS,
                           overrides={"warmup_epochs": 2})
    window = start(demo=True, demo_count=24, train_options=options)
    qtbot.addWidget(window)
    try:
        job = window.first_run
        assert window.first_run_dialog.isVisible()
        # the demo's photos are in the grid while the model is still training
        qtbot.waitUntil(lambda: window.grid_model.total == 24 and job.running, timeout=60_000)
        assert "ready to browse" in window.statusBar().currentMessage()
        with qtbot.waitSignal(job.finished, timeout=120_000) as done:
            pass
        assert done.args[0] is not None and done.args[0].model_id
        assert not window.first_run_dialog.isVisible()
        qtbot.waitUntil(lambda: window.grid_model.total == 24, timeout=20_000)
        qtbot.waitUntil(lambda: window.backend.available, timeout=20_000)
        assert window.model_label.text() == f"Model: {done.args[0].model_id}"
        window.search.query.setText("dragon robe")
        window.search.go.click()
        qtbot.waitUntil(lambda: window.search.photos.rowCount() > 0, timeout=20_000)
        wait_idle(qtbot, window)
    finally:
        window.close()


def test_cancel_keeps_a_usable_library(tmp_path, monkeypatch, qtbot):
    from app.ui.main import start

    monkeypatch.setenv("WENYANG_HOME", str(tmp_path / "home"))
    window = start(demo=True, demo_count=40)
    qtbot.addWidget(window)
    try:
        job = window.first_run
        with qtbot.waitSignal(job.progress, timeout=20_000):
            pass
        with qtbot.waitSignal(job.finished, timeout=60_000) as done:
            window.first_run_dialog.cancel_button.click()
        assert done.args[0] is None or not done.args[0].model_id
        wait_idle(qtbot, window)
        assert window.model_id is None and not window.backend.available
        assert window.grid_model.total == window.lib.items.count()
    finally:
        window.close()


def test_no_demo_and_quit_after_start_the_real_application(tmp_path):
    """``python -m app.ui.main`` as the installer's smoke test runs it: opens, quits itself."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", WENYANG_HOME=str(tmp_path / "home"),
               WENYANG_NO_DEMO="1", WENYANG_QUIT_AFTER="1", HOME=str(tmp_path),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    result = subprocess.run([sys.executable, "-m", "app.ui.main"], env=env, timeout=120,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "home" / "library.sqlite").exists()


@pytest.mark.slow
def test_without_torch_the_first_run_installs_the_shipped_model(tmp_path, tmp_path_factory, monkeypatch,
                                                               qtbot):
    """The viewer bundle: no training; the demo model shipped in models/demo/ is installed."""
    pytest.importorskip("torch")   # only to make the shipped model here
    from app.services import capabilities, demo
    from app.ui.main import start
    from tests.shipped_model import shipped_demo

    shipped = shipped_demo(tmp_path_factory, 24)
    monkeypatch.setattr(capabilities, "training_available", lambda: False)
    monkeypatch.setattr(demo, "DEMO_MODEL_DIR", shipped)
    monkeypatch.setenv("WENYANG_HOME", str(tmp_path / "home"))
    window = start(demo=True, demo_count=24)
    qtbot.addWidget(window)
    try:
        job = window.first_run
        assert job.source == shipped
        assert "comes with it" in window.first_run_dialog.intro.text()
        with qtbot.waitSignal(job.finished, timeout=120_000) as done:
            pass
        assert done.args[0].model_id and "train_s" not in job.timings
        qtbot.waitUntil(lambda: window.backend.available, timeout=20_000)
        assert window.model_label.text() == f"Model: {done.args[0].model_id}"
        window.search.query.setText("dragon robe")
        window.search.go.click()
        qtbot.waitUntil(lambda: window.search.photos.rowCount() > 0, timeout=20_000)
        wait_idle(qtbot, window)
    finally:
        window.close()


def test_without_torch_or_a_shipped_model_the_demo_opens_without_one(tmp_path, monkeypatch, qtbot):
    from app.services import capabilities, demo
    from app.ui.main import start

    monkeypatch.setattr(capabilities, "training_available", lambda: False)
    monkeypatch.setattr(demo, "DEMO_MODEL_DIR", tmp_path / "nothing")
    monkeypatch.setenv("WENYANG_HOME", str(tmp_path / "home"))
    window = start(demo=True, demo_count=12)
    qtbot.addWidget(window)
    try:
        job = window.first_run
        assert job.source is None
        with qtbot.waitSignal(job.failed, timeout=60_000) as failed:
            pass
        assert "full installation" in failed.args[0]
        wait_idle(qtbot, window)
        assert window.lib.items.count() == 12 and window.model_id is None
    finally:
        window.close()


def test_the_first_run_dialog_speaks_chinese_from_the_catalogue(window):
    from app.ui import i18n
    from app.ui.first_run import FirstRunDialog, FirstRunJob

    i18n.install_language("zh_CN")
    try:
        dialog = FirstRunDialog(FirstRunJob(window.session.root, 12, source=None), window)
        assert dialog.windowTitle() == "正在准备演示藏品" and dialog.demo_stage.text() == "等待中"
        dialog.on_progress(Progress("train", 3, 20))
        assert dialog.model_stage.text() == "训练：第 3 / 20 轮" and dialog.demo_stage.text() == "完成"
        assert not dialog.isModal()  # the grid stays usable while the model trains
    finally:
        i18n.install_language("en")
