"""The ``hfsynth`` command line. Each subcommand lives in ``hfsynth/commands/<name>.py``.

Errors the user can fix (bad paths, values, formats) end with a one-line message and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .commands import COMMANDS

USAGE_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hfsynth", description="Neural audio generators on Hugging Face.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"hfsynth.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError) as error:
        print(f"hfsynth {args.command}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
