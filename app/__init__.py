"""Wenyang (纹样): cross-modal search and labelling for museum costume collections."""

__version__ = "0.1.0"

import os as _os

# ONNX Runtime writes a telemetry store (device id, OS, interpreter path, errors) under the
# user's cache folder and a session file in the temp folder as soon as it is imported, unless
# this is set first. A museum workstation collects nothing: every entry point imports ``app``
# before ``onnxruntime``, so this line runs first.
_os.environ["ORT_DISABLE_TELEMETRY"] = "1"
