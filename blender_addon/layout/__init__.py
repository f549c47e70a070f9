"""Layout: the project's shots as one camera and one bound marker each, on a timeline the film's length."""

from .. import registration
from . import ops, ui

register, unregister = registration.modules(ops, ui)
