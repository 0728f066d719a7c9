"""Train, evaluate, score and export photocull's models: ``python -m training COMMAND``.

Exit codes: 0 ok, 1 the command ran but failed (bad data, bad checkpoint),
2 usage error (bad flags, unknown preset, a command that is not installed),
130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from training.commands import COMMAND_MODULES


def _load(module_name: str) -> ModuleType | None:
    """Import a command module; None when that module does not exist (yet)."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise


def _word(module_name: str) -> str:
    """``training.commands.import_checkpoint`` → ``import-checkpoint`` (the convention of the listed modules)."""
    return module_name.rsplit(".", 1)[1].replace("_", "-")


def build_parser() -> tuple[argparse.ArgumentParser, list[str]]:
    """The parser, plus the listed command modules that are missing."""
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    missing = []
    for module_name in COMMAND_MODULES:
        module = _load(module_name)
        if module is None:
            missing.append(module_name)
            continue
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    if missing:
        parser.epilog = "not installed in this checkout: " + ", ".join(_word(m) for m in missing)
    return parser, missing


def main(argv: Sequence[str] | None = None) -> int:
    parser, missing = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(_word(m) == argv[0] for m in missing if argv):
        print(f"python -m training: the '{argv[0]}' command is not available in this checkout "
              f"(its module is not installed yet)", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    from training.options import DeviceUnavailable

    try:
        return int(args.run(args))
    except DeviceUnavailable as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
