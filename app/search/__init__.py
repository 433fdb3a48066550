"""search: exact Hamming index (NumPy), row filters."""

from app.search.filters import RowFilter, label_mask
from app.search.index import HammingIndex

__all__ = ["HammingIndex", "RowFilter", "label_mask"]
