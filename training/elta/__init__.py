"""ELTA's long-tail enhancers (Liu, He et al., ICML 2024; ELTA 2.0, IJCV 2026), usable with any backbone.

* :mod:`~training.elta.tfa` — Tail Feature Augmentation: feature-space mixup whose
  pairs are drawn by a two-stage, label-driven sampling (docs/models.md#elta).
* :mod:`~training.elta.flsa` — Feature–Label Similarity Alignment loss.
* :mod:`~training.elta.sharpening` — adaptive sharpening of pseudo-labels for
  self-training, and its (β, threshold) selection grid (1.0 and 2.0 forms).
* :mod:`~training.elta.sampler` — ELTA 2.0's tail-aware weighted sampler.
* :mod:`~training.elta.losses` — ELTA 2.0's SmoothL1-on-MOS and pairwise rank terms.
* :mod:`~training.elta.objective` — the training objective that wires them into
  :mod:`training.loop` for presets whose ``loss`` is ``"elta"``.

Models enhanced this way are built by :mod:`training.models.elta`: a backbone
giving pooled features plus ELTA's heads, with ``forward(x, mix=plan)`` applying
TFA inside the forward (so a DDP-wrapped model sees one ordinary forward call).
"""
