"""Model architectures, registered by name (see :mod:`training.models.registry`).

Importing this package registers every architecture; models take (N,3,H,W)
normalised float input. ``tanet`` (variant ava: (N,10) probabilities; tad66k:
(N,1) score/10), ``nima`` ((N,10) probabilities), ``eat`` (DAT-Base; ava: (N,10) raw outputs scored
by their weighted sum; tad66k: (N,1) raw score/10) and ``elta`` (any backbone + ELTA heads).
"""

from training.models import eat, elta, nima, tanet  # noqa: F401  (registers the architectures)
from training.models.registry import create_model, list_models, register_model

__all__ = ["create_model", "list_models", "register_model"]
