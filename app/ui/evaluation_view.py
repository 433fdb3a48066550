"""The evaluation view: "how good is my model?" for the active model.

It shows the numbers the model card records (MAP@all, MAP@K, precision/recall@K, NDCG...,
under ``evaluation`` or ``metrics``, plus the validation MAP) as a table, the validation MAP
per epoch when the card keeps a history, and the precision–recall curve when it has one.
The card is read on the library thread.
"""
from __future__ import annotations

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from app.ui import queries
from app.ui.i18n import Retranslating
from app.ui.plot import LinePlot


def flatten_metrics(card: dict) -> list[tuple[str, str]]:
    """(name, value) rows of every number found in the card's evaluation sections."""
    rows: list[tuple[str, str]] = []

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            rows.append((prefix, f"{value:.4f}" if isinstance(value, float) else str(value)))

    for section in ("evaluation", "metrics", "val_map", "val_detail"):
        if section in card:
            walk(section, card[section])
    return rows


def pr_points(card: dict) -> list[tuple[float, float]]:
    """(recall, precision) points of a PR curve kept in the card, if any."""
    curve = card.get("pr_curve") or (card.get("evaluation") or {}).get("pr_curve")
    if isinstance(curve, dict) and "precision" in curve and "recall" in curve:
        return list(zip(curve["recall"], curve["precision"]))
    if isinstance(curve, list):
        return [(p[1], p[0]) for p in curve if isinstance(p, (list, tuple)) and len(p) >= 2]
    return []


class EvaluationView(Retranslating, QDialog):
    """Numbers and curves of the active model."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.setObjectName("evaluationView")
        self.session = session
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 2, self)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.history = LinePlot("", self)
        self.history.y_range = (0.0, 1.0)
        self.pr = LinePlot("", self)
        self.pr.y_range = (0.0, 1.0)
        buttons = QDialogButtonBox(QDialogButtonBox.Close, self)
        buttons.rejected.connect(self.reject)
        plots = QHBoxLayout()
        plots.addWidget(self.history)
        plots.addWidget(self.pr)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(plots, 1)
        layout.addWidget(buttons)
        self.card: dict = {}
        self.model_id = None
        self.retranslate()
        self.resize(640, 560)
        self.reload()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Evaluation"))
        self.table.setHorizontalHeaderLabels([self.tr("Measure"), self.tr("Value")])
        self.history.title = self.tr("Validation MAP by epoch")
        self.pr.title = self.tr("Precision–recall (Hamming radius)")
        self._show()

    def reload(self) -> None:
        self.session.run(queries.library_summary, self._loaded)

    def _loaded(self, summary: dict) -> None:
        self.model_id, self.card = summary["model"], summary["card"]
        self._show()

    def _show(self) -> None:
        if self.model_id is None:
            self.summary.setText(self.tr("There is no trained model yet (Model ▸ Train…)."))
        else:
            self.summary.setText(self.tr("Model {model}: {bits} bits, {mode}").format(
                model=self.model_id, bits=self.card.get("bits", "?"), mode=self.card.get("mode", "?")))
        rows = flatten_metrics(self.card)
        self.table.setRowCount(len(rows))
        for i, (name, value) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(name))
            self.table.setItem(i, 1, QTableWidgetItem(value))
        history = [(h.get("epoch", i), h["val_map"]) for i, h in enumerate(self.card.get("history", []))
                   if isinstance(h, dict) and h.get("val_map") is not None]
        self.history.set_series("MAP", history)
        self.pr.set_series("PR", pr_points(self.card))
