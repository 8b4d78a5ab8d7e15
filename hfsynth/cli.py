"""The ``hfsynth`` command line. Each subcommand lives in ``hfsynth/commands/<name>.py``.

Errors the user can fix (bad paths, values, formats, a model that cannot do what was asked) end
with a one-line message and exit code 2. Parsing needs neither torch nor transformers: the command
modules import what they use when they run, and the models are registered just before a command runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__, register
from .commands import COMMANDS

USAGE_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hfsynth", description="Neural audio generators on Hugging Face.")
    parser.add_argument("--version", action="version", version=f"hfsynth {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"hfsynth.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        register()
        return int(args.func(args) or 0)
    except (ValueError, OSError) as error:     # OSError: a missing file, or a model folder/Hub id that is not one
        print(f"hfsynth {args.command}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
