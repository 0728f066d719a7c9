"""Subcommands of ``python -m training``, one module each.

Every module exposes ``NAME`` (the command word), ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``, and imports torch only
inside ``run`` so ``--help`` stays quick. Modules written by other parts of the
project are listed here too; :mod:`training.cli` reports a listed module that
is not there yet instead of failing the whole CLI.
"""

COMMAND_MODULES: list[str] = [
    "training.commands.train",
    "training.commands.eval",
    "training.commands.predict",
    "training.commands.export",
    "training.commands.import_checkpoint",
    "training.commands.build_assets",
    "training.commands.personalize",
    "training.commands.eval_piaa",
    "training.commands.pseudo_label",
]
