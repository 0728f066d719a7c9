"""Subcommands of ``python -m training``, one module each.

Every module exposes ``NAME`` (the command word), ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``, and imports torch only
inside ``run`` so ``--help`` stays quick.
"""

from training.commands import (
    build_assets,
    eval,
    eval_piaa,
    export,
    import_checkpoint,
    personalize,
    predict,
    pseudo_label,
    train,
)

COMMANDS = (train, eval, predict, export, import_checkpoint, build_assets, personalize, eval_piaa, pseudo_label)
