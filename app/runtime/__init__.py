"""Query-time inference with ONNX Runtime (no torch here): load a model folder, encode
photos, texts and label vectors into binary codes, and pack codes for the index."""
from app.runtime.codes import pack_codes, unpack_codes
from app.runtime.model import OnnxNetworks, load_model

__all__ = ["OnnxNetworks", "load_model", "pack_codes", "unpack_codes"]
