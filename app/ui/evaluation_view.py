"""The evaluation view: "how good is my model?" for the active model.

Before anything is computed it shows what the model card records (validation score and any
evaluation numbers, the score per epoch when the card keeps a history). "Evaluate" runs, on the
library thread, first what a curator experiences — every label name typed as a query over the
photos held out of training, treated as uncatalogued: precision@10 per facet beside chance
(``app.services.evaluation_typed``) — then the published protocol's numbers (MAP@all, MAP@K,
P@K, R@K, NDCG@K with "relevant = shares a label") and precision–recall curves.
"""
from __future__ import annotations

import importlib.util
import math
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from app.ui import queries
from app.ui.i18n import Retranslating
from app.ui.plot import BarChart, LinePlot

if TYPE_CHECKING:
    from app.services.library import Library

K = 50
TYPED_FACETS = ("category", "motif", "colour", "technique", "material", "era", "region")
COLUMNS = ("direction", "map_all", "map_at_k", "precision_at_k", "recall_at_k", "ndcg_at_k", "n_queries")


def flatten_metrics(card: dict) -> list[tuple[str, str]]:
    """(name, value) rows of every number in the card's evaluation sections."""
    rows: list[tuple[str, str]] = []

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            rows.append((prefix, f"{value:.4f}" if isinstance(value, float) else str(value)))

    for section in ("evaluation", "metrics", "validation", "val_map"):
        if section in card:
            walk(section, card[section])
    return rows


def evaluate_active(lib: Library, k: int = K) -> dict:
    """Worker: metric rows and PR curves of the active model (service imported lazily)."""
    from app.services.evaluation import evaluate_model

    model = lib.models.active()
    curves: dict = {}
    from app.services.evaluation_typed import typed_label_precision

    rows, _definitions = evaluate_model(lib, model, k, curves)
    points = {name: [(float(r), float(p)) for r, p in zip(c.recall, c.precision) if not math.isnan(p)]
              for name, c in curves.items()}
    return {"rows": [{c: getattr(r, c) for c in COLUMNS} for r in rows], "curves": points,
            "typed": typed_label_precision(lib, model)}


def evaluation_available() -> bool:
    return importlib.util.find_spec("app.services.evaluation") is not None


class EvaluationView(Retranslating, QDialog):
    """Numbers and curves of the active model."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.setObjectName("evaluationView")
        self.session = session
        self.card: dict = {}
        self.model_id = None
        self.report: dict = {}  # what evaluate_library returned (empty before it has run)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 2, self)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.history, self.pr = LinePlot("", self), LinePlot("", self)
        self.history.y_range = self.pr.y_range = (0.0, 1.0)
        self.facets = BarChart("", self)  # typed label names per facet, beside chance
        self.facets.hide()
        self.evaluate_button = QPushButton(self)
        self.evaluate_button.clicked.connect(self.evaluate)
        buttons = QDialogButtonBox(QDialogButtonBox.Close, self)
        buttons.addButton(self.evaluate_button, QDialogButtonBox.ActionRole)
        buttons.rejected.connect(self.reject)
        plots = QHBoxLayout()
        plots.addWidget(self.facets, 2)  # seven named bars need the room
        plots.addWidget(self.history, 1)
        plots.addWidget(self.pr, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(plots, 1)
        layout.addWidget(buttons)
        self.retranslate()
        self.resize(980, 640)
        self.reload()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Evaluation"))
        self.history.title = self.tr("Validation score by epoch")
        self.facets.title = self.tr("Typed label names: right among the first 10 photos")
        self.facets.chance_name = self.tr("what a random order would give")
        self.pr.title = self.tr("Precision–recall (Hamming radius)")
        self.evaluate_button.setText(self.tr("Evaluate"))
        self.evaluate_button.setToolTip(self.tr("Measure retrieval on the items held out of training"))
        self._show()

    def reload(self) -> None:
        self.session.run(queries.library_summary, self._loaded)

    def _loaded(self, summary: dict) -> None:
        self.model_id, self.card = summary["model"], summary["card"]
        self._show()

    def evaluate(self) -> None:
        """Compute the metrics on the library thread."""
        if self.model_id is None or not evaluation_available():
            return
        self.evaluate_button.setEnabled(False)
        self.summary.setText(self.tr("Evaluating…"))
        self.session.run(evaluate_active, self._evaluated, self._failed)

    def _evaluated(self, result: dict) -> None:
        self.report = result
        self._show()

    def _failed(self, exc) -> None:
        self._show()
        self.summary.setText(str(exc))

    def _show(self) -> None:
        self.evaluate_button.setEnabled(self.model_id is not None and evaluation_available())
        if self.model_id is None:
            self.summary.setText(self.tr("There is no trained model yet (Model ▸ Train…)."))
        else:
            self.summary.setText(self.tr("Model {model}: {bits} bits, {mode}").format(
                model=self.model_id, bits=self.card.get("bits", "?"), mode=self.card.get("mode", "?")))
        if self.report:
            self._show_result()
        else:
            self._show_card()

    def _show_card(self) -> None:
        rows = flatten_metrics(self.card)
        self._fill([self.tr("Measure"), self.tr("Value")], [[self._plain_name(k), v] for k, v in rows])
        self.facets.hide()
        history = [(h.get("epoch", i), h["val_map"]) for i, h in enumerate(self.card.get("history", []))
                   if isinstance(h, dict) and h.get("val_map") is not None]
        self.history.set_series("MAP", history)

    def _show_result(self) -> None:
        headers = [self.tr("Measure"), self.tr("Right in the first 10"), self.tr("By chance"), self.tr("Best possible"),
                   "MAP@all", f"MAP@{K}", f"NDCG@{K}", self.tr("Queries")]
        typed = self._typed_facets()
        cells = [[self.tr("Typed label names, {facet}").format(facet=name), f"{p:.2f}", f"{c:.2f}",
                  f"{best:.2f}" if best is not None else "", "", "", "", str(n)] for name, p, c, best, n in typed]
        cells += [[self.tr("For comparison with papers (shares at least one label): {direction}").format(
                       direction=r["direction"]), "", "", "", *(f"{r[c]:.4f}" for c in ("map_all", "map_at_k", "ndcg_at_k")),
                   str(r["n_queries"])] for r in self.report["rows"]]
        self._fill(headers, cells)
        self.table.resizeColumnsToContents()
        self.facets.set_bars([(name, p, c) for name, p, c, _best, _n in typed])
        self.facets.setVisible(bool(typed))
        if not typed and self.report["rows"]:
            held = max(int(r["n_queries"]) for r in self.report["rows"])
            self.summary.setText(self.summary.text() + " · " + self.tr(
                "Typed label names need at least 10 held-out photos to be measured; this model has {n}. "
                "Tag more items and train again.").format(n=held))
        self.pr.clear()
        for name, points in self.report["curves"].items():
            self.pr.set_series(name, points)

    def _plain_name(self, key: str) -> str:
        """A card key as a curator reads it ("validation.map" → "Validation score"); keys without
        a name of their own show their parts, not dots."""
        names = {"validation.map": self.tr("Validation score (best epoch)"),
                 "validation.i2t": self.tr("Validation: photo → description"),
                 "validation.t2i": self.tr("Validation: description → photo"),
                 "validation.i2i": self.tr("Validation: photo → photo"),
                 "validation.t2t": self.tr("Validation: description → description"),
                 "validation.best_epoch": self.tr("Best epoch"),
                 "validation.epochs_run": self.tr("Epochs run")}
        return names.get(key) or " › ".join(part.replace("_", " ") for part in key.split("."))

    def _typed_facets(self) -> list[tuple[str, float, float, float | None, int]]:
        """(facet in words, P@10, chance, best possible P@10, queries) of typed label names, per facet
        (a few held-out photos may show a label fewer than ten times: "best possible" says so)."""
        facet_names = {"category": self.tr("garment"), "motif": self.tr("motif"), "colour": self.tr("colour"),
                       "technique": self.tr("technique"), "material": self.tr("material"), "era": self.tr("era"),
                       "region": self.tr("region")}
        groups = (self.report.get("typed") or {}).get("groups", {})
        out = []
        for facet in TYPED_FACETS:
            group = groups.get(f"facet:{facet}")
            if group is not None:
                best = group.get("best")
                out.append((facet_names[facet], float(group["p10"]), float(group["chance"]),
                            None if best is None else float(best), int(group["n"])))
        return out

    def _fill(self, headers: list[str], cells: list[list[str]]) -> None:
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(cells))
        for i, row in enumerate(cells):
            for j, text in enumerate(row):
                self.table.setItem(i, j, QTableWidgetItem(text))
