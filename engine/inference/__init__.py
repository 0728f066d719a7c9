"""Running ONNX models: the runtime and its provider, the model contract, the registry, preprocessing."""
