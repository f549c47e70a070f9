"""Boards: a still per shot camera, rendered into the project's ``boards/`` for generation to start from."""

from . import ops

register_order = (ops,)


def register() -> None:
    for module in register_order:
        module.register()


def unregister() -> None:
    for module in reversed(register_order):
        module.unregister()
