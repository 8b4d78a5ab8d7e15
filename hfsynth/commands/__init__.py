"""``hfsynth`` subcommands: one module each, exposing ``register(subparsers)``.

A module's ``register`` adds its parser and sets ``func`` (``args -> exit code``) as default.
"""

COMMANDS = ("generate", "transform", "data", "train", "export", "evaluate", "push", "space", "convert")
