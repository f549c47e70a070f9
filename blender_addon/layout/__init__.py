"""Layout: the project's shots as one camera and one bound marker each, on a timeline the film's length."""

from . import ops, ui

register_order = (ops, ui)


def register() -> None:
    for module in register_order:
        module.register()


def unregister() -> None:
    for module in reversed(register_order):
        module.unregister()
