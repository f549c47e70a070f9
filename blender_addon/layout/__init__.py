"""Layout: the project's shots as a camera, a bound marker and a Grease Pencil board each, on a timeline the
film's length, safe to build again; the sidebar shows the shot on screen."""

from .. import registration
from . import ops, ui

register, unregister = registration.modules(ops, ui)
