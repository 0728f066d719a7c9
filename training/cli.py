"""Train, evaluate, score and export photocull's models: ``python -m training COMMAND``.

Exit codes: 0 ok, 1 the command ran but failed (bad data, bad checkpoint),
2 usage error (bad flags, unknown preset), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from training.commands import COMMANDS


def build_parser() -> argparse.ArgumentParser:
    """One subparser per module of :data:`training.commands.COMMANDS`."""
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
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
