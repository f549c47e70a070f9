"""Install the shotreel extension zip into a clean Blender as an artist does, enable it and use it.

Run by ``test_package.py`` as ``python -S -E _installed.py ZIP PROJECT RESULT BLENDER_PATH``: a Python that sees
only what Blender ships (``bpy`` and the modules Blender bundles, on ``BLENDER_PATH``), with
``BLENDER_USER_RESOURCES`` pointing at an empty folder, so everything shotreel needs must come from the
zip's wheels. Writes what it saw as JSON to ``RESULT``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

zip_path, project, result_path, blender_path = sys.argv[1:5]
sys.path.append(blender_path)
result: dict = {}


def save() -> None:
    Path(result_path).write_text(json.dumps(result, indent=1), encoding="utf-8")


try:
    import shotreel

    result["shotreel_before_install"] = shotreel.__file__
except ImportError:
    result["shotreel_before_install"] = None

import bpy  # noqa: I001  (first: it puts Blender's own modules, addon_utils …, on the path)
import addon_utils

REPO = "user_default"  # the "User Default" repository Install from Disk puts a zip in
MODULE = f"bl_ext.{REPO}.shotreel"

# Edit ▸ Preferences ▸ Get Extensions ▸ Install from Disk: the operator the file browser runs
result["install"] = sorted(bpy.ops.extensions.package_install_files(filepath=zip_path, repo=REPO,
                                                                    enable_on_install=True))
result["enabled"] = bool(addon_utils.check(MODULE)[1])
save()

import imageio_ffmpeg
import shotreel

result["shotreel"] = shotreel.__file__
result["extensions"] = bpy.utils.user_resource("EXTENSIONS")
ffmpeg = Path(imageio_ffmpeg.get_ffmpeg_exe())
result["ffmpeg"] = str(ffmpeg)
result["ffmpeg_runs"] = os.access(ffmpeg, os.X_OK)
ffmpeg.chmod(0o644)  # as Blender's unpacking leaves it: enabling makes it runnable again
addon_utils.disable(MODULE)
addon_utils.enable(MODULE, default_set=True)
result["ffmpeg_runs_after_enable"] = os.access(ffmpeg, os.X_OK)
save()

from shotreel.boards import draw_boards  # (the bundled core, Pillow and fonts)
from shotreel.project import load_project

film = load_project(project)
draw_boards(film)
bpy.ops.wm.read_homefile(use_empty=True)
scene = bpy.context.scene
result["build_layout"] = sorted(bpy.ops.shotreel.build_layout(directory=project))
result["cameras"] = sorted(obj["shotreel_shot"] for obj in scene.objects if "shotreel_shot" in obj)
result["load_reel"] = sorted(bpy.ops.shotreel.load_reel())
reel = bpy.data.scenes[f"{film.title} reel"]
editor = reel.sequence_editor
strips = editor.strips if hasattr(editor, "strips") else editor.sequences
for strip in strips:
    strip.select = strip.name == "sh010"
reel.shotreel.provider = "animatic"
result["generate"] = sorted(bpy.ops.shotreel.generate_takes(scene_name=reel.name))
generation = sys.modules[f"{MODULE}.generate.core"]
run = generation.running(reel)
run.thread.join(120)
generation.tick()
result["status"] = reel.shotreel.generation_status
all_strips = editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all
result["take_strips"] = {s["shotreel"]["shot"]: s.frame_final_duration for s in all_strips
                         if "shotreel" in s and s["shotreel"].get("kind") == "take"}
save()

addon_utils.disable(MODULE, default_set=True)
repo_index = next(i for i, repo in enumerate(bpy.context.preferences.extensions.repos) if repo.module == REPO)
result["uninstall"] = sorted(bpy.ops.extensions.package_uninstall(repo_index=repo_index, pkg_id="shotreel"))
result["left_installed"] = (Path(bpy.utils.user_resource("EXTENSIONS")) / REPO / "shotreel").exists()
save()
