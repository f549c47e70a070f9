"""Generate: takes for the reel's shots made by the core's generation engine on a worker thread, landing in the
sequencer as they arrive, with progress in the panel."""

from .. import registration
from . import core, ops, ui

_register, _unregister = registration.modules(ops, ui)
register = _register


def unregister() -> None:
    core.stop_all()  # no worker left behind, no timer left registered
    _unregister()
