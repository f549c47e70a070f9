"""Generate: takes for the reel's shots made by the core's generation engine on a worker thread, landing in the
sequencer as they arrive, with progress in the panel."""

from . import core, ops, ui

register_order = (ops, ui)


def register() -> None:
    for module in register_order:
        module.register()


def unregister() -> None:
    core.stop_all()
    for module in reversed(register_order):
        module.unregister()
