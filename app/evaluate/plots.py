"""PNG plots of evaluation results: PR curves and MAP by code length.

Figures are built with ``matplotlib.figure.Figure`` and the Agg canvas directly, never
through ``pyplot``: pyplot keeps global figure state (a leak in a long-running GUI) and
may pick an interactive backend; this module works the same in a worker thread, a test
or a headless CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def _new_figure(title: str, xlabel: str, ylabel: str):
    fig = Figure(figsize=(5.5, 4.2), dpi=110)
    FigureCanvasAgg(fig)  # attaches itself to fig; needed for savefig without pyplot
    ax = fig.add_subplot(1, 1, 1)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    return fig, ax


def _save(fig: Figure, ax, path) -> Path:
    if ax.has_data():
        ax.legend(loc="best", fontsize="small")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", bbox_inches="tight")
    return path


def _precision_recall(curve):
    """Accept a (precision, recall) pair or an object with those attributes."""
    if hasattr(curve, "precision") and hasattr(curve, "recall"):
        return np.asarray(curve.precision, float), np.asarray(curve.recall, float)
    precision, recall = curve
    return np.asarray(precision, float), np.asarray(recall, float)


def plot_pr_curves(curves: Mapping[str, object], path, title: str = "Precision–recall "
                   "by Hamming radius") -> Path:
    """Write a PNG with one precision-recall line per entry of ``curves``.

    Values are ``(precision, recall)`` array pairs or ``PRCurve`` objects.  Points with
    undefined (NaN) precision are dropped, not drawn as zero.
    """
    fig, ax = _new_figure(title, "recall", "precision")
    for name, curve in curves.items():
        precision, recall = _precision_recall(curve)
        ok = np.isfinite(precision) & np.isfinite(recall)
        ax.plot(recall[ok], precision[ok], marker=".", markersize=3, label=name)
    ax.set_xlim(0.0, 1.02)
    ax.set_ylim(0.0, 1.02)
    return _save(fig, ax, path)


def plot_map_by_bits(table: Mapping[str, Mapping[int, float]], path,
                     title: str = "MAP by code length", ylabel: str = "MAP") -> Path:
    """Write a PNG with MAP against code length, one line per method/task.

    ``table`` maps a name (e.g. "I→T SSAH") to ``{bits: map}``.
    """
    fig, ax = _new_figure(title, "code length (bits)", ylabel)
    all_bits: set[int] = set()
    for name, by_bits in table.items():
        bits = sorted(by_bits)
        all_bits.update(bits)
        ax.plot(bits, [by_bits[b] for b in bits], marker="o", label=name)
    if all_bits:
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(all_bits), [str(b) for b in sorted(all_bits)])
        ax.minorticks_off()
    return _save(fig, ax, path)
