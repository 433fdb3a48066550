"""evaluate: retrieval metrics, precision-recall curves and plots (NumPy + matplotlib only).

The plotting helpers live in ``app.evaluate.plots`` and are not imported here, so that
computing metrics never pays for importing matplotlib.
"""

from app.evaluate.curves import (
    ClassPrecision,
    PRCurve,
    pr_curve_by_radius,
    precision_at_k_by_class,
)
from app.evaluate.metrics import (
    MapResult,
    MetricResult,
    mean_average_precision,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)

__all__ = [
    "ClassPrecision", "MapResult", "MetricResult", "PRCurve", "mean_average_precision",
    "ndcg_at_k", "pr_curve_by_radius", "precision_at_k", "precision_at_k_by_class",
    "recall_at_k",
]
