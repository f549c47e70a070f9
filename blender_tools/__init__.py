"""shotreel's tools for the Blender extension that run outside Blender: ``shotreel blender package`` builds the
zips an artist installs with Install from Disk. Nothing here imports Blender; the extension itself is
``blender_addon/``."""
