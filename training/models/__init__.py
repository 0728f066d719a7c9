"""Model architectures, registered by name (see :mod:`training.models.registry`).

Importing this package registers every architecture; models take (N,3,H,W)
normalised float input:

* ``tanet`` (variant ava: (N,10) probabilities; tad66k: (N,1) score/10);
* ``nima`` ((N,10) probabilities);
* ``eat`` (DAT-Base; ava: (N,10) raw outputs scored by their weighted sum; tad66k: (N,1) raw score/10);
* ``elta`` (any backbone, EAT's included, + ELTA heads);
* ``rankiqa`` (RankIQA.PyTorch: ImageNet backbone + N raw outputs);
* ``distortion_ranker`` ((N,1) technical score), ``siamese_ranker`` ((N,1) logit that the
  first photo is better) and ``mobilenetv2_embedding`` ((N,1280) unit vectors): the
  shipped assets' models, registered here so checkpoints of them rebuild without
  importing the asset builders.
"""

from training.models import (  # noqa: F401  (registers the architectures)
    distortion_ranker,
    eat,
    elta,
    embedding,
    nima,
    rankiqa,
    siamese,
    tanet,
)
from training.models.registry import UnknownModel, create_model, list_models, register_model

__all__ = ["UnknownModel", "create_model", "list_models", "register_model"]
