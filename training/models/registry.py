"""Model registry: architectures are looked up by name, like timm's ``create_model``.

Each architecture module registers a factory function with ``@register_model``.
Presets and checkpoints store only ``(name, kwargs)``; :func:`create_model`
turns that back into a module. Registration happens when ``training.models`` is
imported (it imports every architecture module), so there is no hidden global
state beyond this one dictionary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from torch import nn

ModelFactory = TypeVar("ModelFactory", bound=Callable[..., nn.Module])

_FACTORIES: dict[str, Callable[..., nn.Module]] = {}


class UnknownModel(KeyError):
    """A model name nothing registered (a preset or checkpoint naming an architecture this checkout lacks)."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


def register_model(name: str) -> Callable[[ModelFactory], ModelFactory]:
    """Decorator: make ``factory(**kwargs) -> nn.Module`` available as ``create_model(name, **kwargs)``."""

    def decorate(factory: ModelFactory) -> ModelFactory:
        if name in _FACTORIES and _FACTORIES[name] is not factory:
            raise ValueError(f"model name {name!r} is already registered")
        _FACTORIES[name] = factory
        return factory

    return decorate


def create_model(name: str, **kwargs: Any) -> nn.Module:
    """Build a registered model. Unknown names raise :class:`UnknownModel` (a ``KeyError``) listing what exists."""
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise UnknownModel(f"unknown model {name!r}; registered: {', '.join(list_models())}") from None
    return factory(**kwargs)


def list_models() -> list[str]:
    return sorted(_FACTORIES)
