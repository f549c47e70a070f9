"""OTIO in: a cut from any editor (OTIO, FCP7 XML, EDL; one that came back from Resolve) into the reel's
sequencer, boards and takes where the cut has them."""

from .. import registration
from . import ops

register, unregister = registration.modules(ops)
