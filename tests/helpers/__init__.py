"""Builders the tests share: photos, libraries, ONNX models, corpora, tiny torch models."""
