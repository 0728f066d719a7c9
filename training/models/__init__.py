"""Model architectures, registered by name (see :mod:`training.models.registry`).

Importing this package registers every architecture; models take (N,3,H,W)
normalised float input.
"""

from training.models.registry import create_model, list_models, register_model

__all__ = ["create_model", "list_models", "register_model"]
