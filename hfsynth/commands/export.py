"""``hfsynth export``: a training checkpoint as a model folder (what a finished run writes to ``final/``).

    hfsynth export --checkpoint runs/gansynth_small_low/checkpoints/step-00001500 --out pipelines/gansynth-small
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="write a training checkpoint's model as a pipeline folder")
    parser.add_argument("--checkpoint", required=True, help="a runs/<run>/checkpoints/step-N folder")
    parser.add_argument("--out", required=True, help="the model folder to write")
    parser.add_argument("--config", help="the run file (default: run.yaml in the run's output folder)")
    parser.add_argument("--weights", choices=("ema", "raw"), default="ema",
                        help="the moving average (default, as final/ holds) or the live weights")
    parser.add_argument("--storage-dtype", choices=("float32", "float16"), default="float32",
                        help="float16 halves the weight files (for folders shipped in git); models load them as float32")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..training.export import export_checkpoint

    folder = export_checkpoint(args.checkpoint, args.out, args.config, args.weights, args.overwrite,
                               args.storage_dtype)
    print(f"exported {args.checkpoint} ({args.weights} weights) to {folder}")
    return 0
