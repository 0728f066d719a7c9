"""Training, evaluation, checkpoint import and ONNX export (torch, torchvision, timm).

Run ``python -m training --help``. The only thing that passes to the app is an
ONNX file plus its manifest (``engine.inference.contract``).
"""
