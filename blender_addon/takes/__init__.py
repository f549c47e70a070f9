"""Takes: the reel in the Video Sequence Editor (boards below, every take of a shot above, the chosen one
playing) and choosing a take there, which the project's ``selects.yaml`` records."""

from .. import registration
from . import ops, ui

register, unregister = registration.modules(ops, ui)
