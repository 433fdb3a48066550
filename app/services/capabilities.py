"""What this installation can do. The viewer bundle carries ONNX Runtime but no PyTorch: it
searches, labels, evaluates and exports with models trained elsewhere, and cannot train.

Kept free of heavy imports: the check asks the import system, it never imports torch.
"""
from __future__ import annotations

import importlib.util

TRAINING_MODULES = frozenset({"torch", "torchvision", "onnx", "onnxscript"})
TRAINING_NEEDS_FULL = ("Training needs the full installation of Wenyang (with PyTorch): the full "
                       "bundle, or the application installed from source. This installation "
                       "searches, labels and exports with models trained elsewhere.")


def training_available() -> bool:
    """True when PyTorch can be imported here (a source install or the full bundle)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def missing_training_module(exc: BaseException) -> bool:
    """True for the ModuleNotFoundError an installation without PyTorch raises when asked to train."""
    name = getattr(exc, "name", None) or ""
    return isinstance(exc, ModuleNotFoundError) and name.split(".")[0] in TRAINING_MODULES
