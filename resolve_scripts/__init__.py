"""shotreel's DaVinci Resolve scripts: import the reel, conform media, takes in the take selector, send
choices back.

Resolve glue only: every decision (where an item goes, which frames it plays, which takes a shot has,
what the editor's timeline means for ``selects.yaml``) is the core's (:mod:`shotreel.nle`,
:mod:`shotreel.sync`). One module per action the editor runs (:mod:`.importer`, :mod:`.conform`,
:mod:`.takes`, :mod:`.send`), one for reaching Resolve (:mod:`.connect`), one for every difference
between Resolve versions and editions (:mod:`.compat`), one for the Workspace ▸ Scripts menu
(:mod:`.install`, :mod:`.menu`), and the ``shotreel resolve`` command (:mod:`.cli`).
"""
