"""``hfsynth evaluate``: a model on a dataset -> report.json + report.md (for model cards)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("evaluate", help="evaluate a model on a dataset; writes report.json and report.md")
    parser.add_argument("--model", required=True, help="pipelines/<name> folder")
    parser.add_argument("--data", required=True, help="dataset folder from 'hfsynth data ...' or a folder of audio")
    parser.add_argument("--out", required=True, help="folder for report.json and report.md")
    parser.add_argument("--max-examples", type=int, default=None, help="evaluate at most N examples")
    parser.add_argument("--holdout-fraction", type=float, default=None,
                        help="keep only the examples training held out (same fraction as the recipe)")
    parser.add_argument("--classifier", default=None, help="reference classifier for generators (pipelines/note-classifier)")
    parser.add_argument("--pyin", action="store_true", help="also measure pYIN frame pitch agreement (slow)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..evaluation.report import evaluate_model

    if args.max_examples is not None and args.max_examples < 1:
        raise ValueError(f"--max-examples must be >= 1; got {args.max_examples}")
    report = evaluate_model(args.model, args.data, args.max_examples, args.holdout_fraction, args.classifier, args.pyin)
    json_path, md_path = report.write(args.out)
    print(report.to_markdown())
    print(f"wrote {json_path} and {md_path}")
    return 0
