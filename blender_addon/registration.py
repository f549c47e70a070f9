"""Registering the extension: each feature module lists its ``classes``, each package its modules, in order."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import bpy

classes = bpy.utils.register_classes_factory
"""``register, unregister = classes((Operator, Panel, …))``: registered in order, unregistered in reverse."""


def modules(*parts: ModuleType) -> tuple[Callable[[], None], Callable[[], None]]:
    """``register, unregister`` calling each module's own, in order and in reverse."""

    def register() -> None:
        for part in parts:
            part.register()

    def unregister() -> None:
        for part in reversed(parts):
            part.unregister()

    return register, unregister
