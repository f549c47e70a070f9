"""The ``shotreel`` command: one subcommand per module in this package.

Each command module defines ``NAME``, ``HELP``, ``ORDER`` (its place in ``--help``),
``add_arguments(parser)`` and ``run(args) -> int``. Commands are found by listing this package,
so adding one is adding a module; a host's commands (``shotreel resolve …``) are modules of the host's
own package, found through the ``shotreel.commands`` entry point group, so the core imports no host. Errors a user can fix (:class:`~shotreel.errors.ShotreelError`)
are printed as one line per problem on stderr, with exit status 2 and no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from importlib.metadata import entry_points
from types import ModuleType

from .. import __version__
from ..errors import ShotreelError

EXIT_OK = 0
EXIT_FAILED = 1  # the command ran and found errors (e.g. `check` on a broken story)
EXIT_INPUT = 2  # bad input: the command could not run


def _command_names() -> list[str]:
    return [info.name for info in pkgutil.iter_modules(__path__)
            if not info.name.startswith("_") and info.name != "terminal"]


def _plugin_commands() -> dict[str, str]:
    """Commands other packages register (entry point group ``shotreel.commands``): name → module."""
    return {ep.name: ep.value for ep in entry_points(group="shotreel.commands")}


def _commands(only: str | None = None) -> list[ModuleType]:
    """The command modules; with ``only``, just that command's (so ``shotreel check`` does not pay
    for importing Pillow, ffmpeg helpers and every adapter). A command ``import-cut`` lives in
    ``import_cut.py``."""
    names = [f"{__name__}.{name}" for name in _command_names()]
    plugins = _plugin_commands()
    if only is not None and only.replace("-", "_") in _command_names():
        names = [f"{__name__}.{only.replace('-', '_')}"]
    elif only is not None and only in plugins:
        names = [plugins[only]]
    else:
        names += list(plugins.values())
    modules = []
    for name in names:
        module = importlib.import_module(name)
        if hasattr(module, "NAME") and hasattr(module, "run"):
            modules.append(module)
    return sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.NAME))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shotreel",
        description="Plan a short film as beats and shots, board it, generate takes, and conform the "
                    "edit as OpenTimelineIO for Resolve, Blender and every OTIO host.")
    parser.add_argument("--version", action="version", version=f"shotreel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _commands(only):
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.__doc__.strip().splitlines()[0]
                                 if module.__doc__ else module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``shotreel`` command; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    first = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(first if first and "-h" not in argv and "--help" not in argv else None)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return EXIT_INPUT
    try:
        return int(args._run(args) or EXIT_OK)
    except ShotreelError as exc:
        for problem in exc.problems:
            print(f"shotreel: error: {problem}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("shotreel: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
