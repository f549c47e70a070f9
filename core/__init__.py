"""shotreel: the spine of an AI short film, from story to a conformed edit.

The core knows nothing of any host. It loads a project folder into plain dataclasses
(:mod:`shotreel.model`), checks the story (:mod:`shotreel.checks`), draws boards
(:mod:`shotreel.boards`), builds the reel as OpenTimelineIO (:mod:`shotreel.reel`) and
reads and writes cuts in other editors' formats (:mod:`shotreel.interchange`).
"""

__version__ = "0.1.0"
