"""The "Personalize from my picks" hook.

The engine part comes from another issue. The button calls
``engine.personalize.personalize_from_picks(library_root, *, progress)`` when
that function exists; until then it is disabled and says so. Nothing is faked.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

ENGINE_MODULE = "engine.personalize"
ENGINE_FUNCTION = "personalize_from_picks"
UNAVAILABLE = ("Personalize from my picks is not available yet: this build has no "
               f"{ENGINE_MODULE}.{ENGINE_FUNCTION}.")


def personalize_function() -> Callable | None:
    """The engine's personalize entry point, or None when this build has none."""
    try:
        module = importlib.import_module(ENGINE_MODULE)
    except ImportError:
        return None
    function = getattr(module, ENGINE_FUNCTION, None)
    return function if callable(function) else None
