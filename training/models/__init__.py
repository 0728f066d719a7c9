"""Model architectures, registered by name (see :mod:`training.models.registry`).

Importing this package registers every architecture; models take (N,3,H,W)
normalised float input. ``tanet`` (variant ava: (N,10) probabilities; tad66k:
(N,1) score/10) and ``nima`` ((N,10) probabilities).
"""

from training.models import eat, elta, nima, tanet  # noqa: F401  (registers the architectures)
from training.models.registry import create_model, list_models, register_model

__all__ = ["create_model", "list_models", "register_model"]
