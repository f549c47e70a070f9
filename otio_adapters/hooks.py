"""The shotreel plugin's ``pre_adapter_write`` hook: a reel written by any OTIO tool is shaped for its
format exactly as ``shotreel reel`` shapes it (one flattened video track and a record start timecode
for EDL, ``file://`` URLs for FCP7 XML, MobIDs for AAF, unique media names for .otioz).

Every other timeline, and every file shotreel writes itself, passes through unchanged.
"""

from __future__ import annotations


def hook_function(in_timeline, argument_map=None):
    """Return ``in_timeline`` prepared for the file being written (``argument_map["_filepath"]``).

    OTIO calls hooks by keyword, so the parameter names are fixed: ``in_timeline``, ``argument_map``.
    """
    from shotreel.interchange import prepare_for_write_hook

    return prepare_for_write_hook(in_timeline, argument_map)
