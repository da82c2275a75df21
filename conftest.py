"""Collection settings for the whole tree (the doctests of ``skrnn/`` included)."""

import importlib.util

#: skrnn.onnx imports its optional packages at once: without them its
#: doctests cannot even be collected (tests/test_onnx.py skips on its own)
ONNX_PACKAGES = ("onnx", "onnxruntime", "skl2onnx")
collect_ignore = (
    [] if all(importlib.util.find_spec(name) for name in ONNX_PACKAGES) else ["skrnn/onnx.py"]
)
