"""``hfsynth train``: train a model from a run file (``configs/<model>.yaml``) in this process.

For several processes use ``accelerate launch --multi_gpu --num_processes N -m hfsynth.training.train --config ...``;
both read the same file and accept the same overrides.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="train a model from a configs/<model>.yaml run file")
    parser.add_argument(
        "--config", required=True, help="run file naming the recipe, its recipe_args and training settings"
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting, e.g. max_steps=100 or recipe_args.hidden_size=64 (repeatable)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..training.train import run as train

    overrides = []
    for item in args.overrides:
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise ValueError(f"--set expects KEY=VALUE; got {item!r}")
        overrides.append((key, value))
    result = train(args.config, overrides)
    print(f"trained {result.final_step} steps; model in {result.output_dir / 'final'}")
    return 0
