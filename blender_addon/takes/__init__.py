"""Takes: the reel in the Video Sequence Editor (boards below, every take of a shot above, the chosen one
playing) and choosing a take there, which the project's ``selects.yaml`` records."""

from . import ops, ui

register_order = (ops, ui)


def register() -> None:
    for module in register_order:
        module.register()


def unregister() -> None:
    for module in reversed(register_order):
        module.unregister()
