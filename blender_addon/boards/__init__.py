"""Boards: a still per shot camera, rendered into the project's ``boards/`` for generation to start from."""

from .. import registration
from . import ops, props

register, unregister = registration.modules(props, ops)
