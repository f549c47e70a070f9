"""shotreel for Blender: lay a shotreel project out as cameras and markers, and render its boards.

One subpackage per feature the artist sees (``layout``, ``boards``, ``takes``, ``generate``, ``otio``), each split into ``core`` (what is
done to Blender data), ``ops`` (operators) and ``ui`` (panels); ``props`` holds the scene's link to
its project and ``compat`` the differences between Blender 4.2, 4.5 and 5.0. Everything that is not
about Blender (the timeline, lenses, which board may be replaced) is in the ``shotreel`` core.
"""

from . import boards, generate, layout, otio, props, registration, takes, wheels

register, unregister = registration.modules(wheels, props, layout, boards, takes, generate, otio)
