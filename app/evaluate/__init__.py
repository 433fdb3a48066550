"""evaluate: retrieval metrics, precision-recall curves and plots (NumPy + matplotlib only)."""

from app.evaluate.metrics import (
    MapResult, MetricResult, mean_average_precision, ndcg_at_k, precision_at_k, recall_at_k,
)

__all__ = [
    "MapResult", "MetricResult", "mean_average_precision", "ndcg_at_k", "precision_at_k",
    "recall_at_k",
]
