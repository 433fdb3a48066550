"""Wenyang (纹样): cross-modal search and labelling for museum costume collections."""

__version__ = "0.1.0"
