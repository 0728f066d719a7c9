"""The training tests need torch; an app-only install (no ``[train]`` extra) leaves them out."""

from __future__ import annotations

import importlib.util

TRAINING_STACK = ("torch", "torchvision", "timm")
MISSING = [name for name in TRAINING_STACK if importlib.util.find_spec(name) is None]

# Not collected at all: importing these files would fail on ``import torch``.
collect_ignore_glob = ["test_*.py"] if MISSING else []


def pytest_report_header(config) -> str | None:
    if MISSING:
        return f"tests/training left out: {', '.join(MISSING)} not installed (pip install -e '.[train]')"
    return None
