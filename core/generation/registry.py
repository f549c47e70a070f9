"""Providers found by name: ``shotreel.generation.providers.<name>`` with a module-level ``create()``.

Adding a provider is adding one module to :mod:`shotreel.generation.providers` that defines
``create(**options) -> Provider``; nothing here changes. Options are provider settings chosen by the
user (a ComfyUI workflow file, a poll interval); API keys never pass through here, each provider
reads its own from the environment.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from . import providers as _providers
from .base import GenerationError, Provider

DEFAULT_PROVIDER = "animatic"
"""The offline provider: no account, no network (renders a take from the board with ffmpeg)."""

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class UnknownProvider(GenerationError):
    """No provider module of that name (or it does not follow the provider convention)."""


def provider_names() -> list[str]:
    """The names of the provider modules installed in :mod:`shotreel.generation.providers`, sorted."""
    return sorted(info.name for info in pkgutil.iter_modules(_providers.__path__)
                  if not info.name.startswith("_"))


def get_provider(name: str, **options: object) -> Provider:
    """The provider called ``name``, created with ``options`` (``create(**options)`` of its module).

    Raises :class:`UnknownProvider` naming the providers that exist when there is no such module.
    Errors the provider raises while being created (a missing key, a bad option) pass through.
    """
    known = provider_names()
    if not _NAME.match(name or "") or name not in known:
        listing = ", ".join(known) if known else "none installed"
        raise UnknownProvider(f"unknown provider {name!r} (known providers: {listing})")
    module_name = f"{_providers.__name__}.{name}"
    module = importlib.import_module(module_name)
    create = getattr(module, "create", None)
    if not callable(create):
        raise UnknownProvider(f"provider module {module_name} has no create(**options) function")
    try:
        provider = create(**options)
    except TypeError as exc:
        if "unexpected keyword argument" not in str(exc):
            raise
        option = str(exc).rsplit("argument", 1)[-1].strip()
        raise UnknownProvider(f"provider {name} has no option {option}") from None
    if not isinstance(provider, Provider):
        raise UnknownProvider(f"provider module {module_name}: create() did not return a Provider")
    if not provider.name:
        provider.name = name
    return provider
