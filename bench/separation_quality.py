"""Separation quality on held-out chorales: SDR and SDR improvement per stem (dB).

    python bench/separation_quality.py --model pipelines/separation-small
    python bench/separation_quality.py --checkpoint runs/separation_small/checkpoints/step-00002000 \
        --export pipelines/separation-small         # EMA weights of a training checkpoint, saved as a model
    python bench/separation_quality.py --model pipelines/separation-small \
        --report model_cards/reports/separation-small.json   # the numbers its model card shows

The held-out clips are those of ``--config``'s music set whose score falls in its hold-out (by
score, so no bar of them was trained on); the model is the exported folder or a checkpoint's
averaged (EMA) weights (``--weights raw``: the raw ones).
"""

from __future__ import annotations

from pathlib import Path

from _common import bench_parser, machine, parse_bench_args, write_report
from hfsynth.models.separation import SeparationModel
from hfsynth.models.separation.data_separation import StemGrouping, separation_splits
from hfsynth.models.separation.evaluation_separation import SeparationScores, evaluate_separation
from hfsynth.training import checkpoint_modules
from hfsynth.training.train import load_run_config


def model_from_checkpoint(directory: Path, run_file: str, weights: str = "ema") -> SeparationModel:
    """A checkpoint's EMA (or raw) weights in the run's model. The average starts at the initial
    weights, so early checkpoints are better read with ``raw``; a run without EMA gives its raw weights."""
    weights = weights if (directory / "ema.safetensors").is_file() else "raw"
    return checkpoint_modules(directory, run_file, weights, names=["model"])[1]["model"].eval()


def main() -> None:
    parser = bench_parser(__doc__, quick_help="score only the first 20 held-out clips", report=True)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="an exported separation folder")
    source.add_argument("--checkpoint", help="a training checkpoint directory (step-XXXXXXXX)")
    parser.add_argument("--weights", choices=("ema", "raw"), default="ema", help="which weights of a checkpoint")
    parser.add_argument("--config", default="configs/separation_small.yaml", help="the run file naming the data")
    parser.add_argument("--export", help="save the evaluated model here (save_pretrained)")
    args = parse_bench_args(parser)

    run = load_run_config(args.config)
    recipe_args = run.recipe_args
    if args.model:
        model = SeparationModel.from_pretrained(args.model).eval()
    else:
        model = model_from_checkpoint(Path(args.checkpoint), args.config, args.weights)
    _, holdout = separation_splits(
        recipe_args.get("data"), model.config.sampling_rate, recipe_args.get("holdout_fraction", 0.15),
        recipe_args.get("cache_dir", "cache/datasets"),
    )
    grouping = StemGrouping(
        model.config.stem_names, recipe_args.get("family_stems"), recipe_args.get("default_stem", "other")
    )
    scores = evaluate_separation(model, holdout, grouping, max_clips=20 if args.quick else None)
    print(f"# {machine()}")
    print(f"# held-out clips of {args.config}: {len(holdout)}; model {args.model or args.checkpoint}")
    print("\n".join(scores.lines()))
    if args.export:
        model.save_pretrained(args.export)
        print(f"saved to {args.export}")
    if args.report:
        write_report(args.report, args.export or args.model or args.checkpoint, f"held-out chorales of {args.config}",
                     "audio-to-audio", scores.clips, report_metrics(scores))


def report_metrics(scores: SeparationScores) -> dict[str, float]:
    return {
        "sdr_improvement_db": scores.mean_sdr_improvement,
        "sdr_db": scores.mean_sdr,
        "baseline_mixture_over_k_sdr_improvement_db": scores.baseline_sdr_improvement,
        **{f"sdr_improvement_{name}_db": value for name, value in scores.sdr_improvement.items()},
    }


if __name__ == "__main__":
    main()
