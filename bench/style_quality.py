"""Style-transfer quality on held-out paired renders: MelGAN-VC / CycleGAN vs reconstruction-only baselines.

    python bench/style_quality.py --model pipelines/styletransfer-piano-to-strings [--model ...]
    python bench/style_quality.py --checkpoint runs/styletransfer_melganvc_small/checkpoints/step-00001000
    python bench/style_quality.py --checkpoint ... --export pipelines/styletransfer-piano-to-strings

The clips come from the scores the run file's recipe held out (split by score, never trained on): the
same score rendered in domain A (input) and domain B (ground truth). For each system it prints the
log-mel L1 distance to the true B render (``hfsynth.evaluation.log_mel_l1``), its improvement over the
untouched input A (``1 - d(out, B) / d(A, B)``; goal >= 25%) and the chroma correlation with the source
A (``hfsynth.evaluation.chroma_correlation``; goal >= 0.8). Baselines: the input itself, the input and
the true B through the model's mel + Griffin-Lim round trip (what reconstruction alone costs), and with
``--wavenet`` a WaveNet vocoder's re-synthesis of the input.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from _common import machine_line, write_report
from transformers import AutoModel

import hfsynth  # noqa: F401  (registers the models)
from hfsynth.evaluation import chroma_correlation, log_mel_l1
from hfsynth.models.style_transfer import StyleSpectrogram, StyleTransferPreTrainedModel
from hfsynth.models.style_transfer.training_style_transfer import paired_splits
from hfsynth.training import checkpoint_modules
from hfsynth.training.train import load_run_config

DEFAULT_RUN = Path(__file__).parents[1] / "configs" / "styletransfer_melganvc_small.yaml"


def model_from_checkpoint(run_file: Path, checkpoint: Path, ema: bool = True) -> StyleTransferPreTrainedModel:
    """The recipe's ``model`` module with a training checkpoint's weights (its EMA weights if ``ema``
    and the run kept them)."""
    weights = "ema" if ema and (checkpoint / "ema.safetensors").exists() else "raw"
    return checkpoint_modules(checkpoint, run_file, weights, names=["model"])[1]["model"].eval()


def held_out_clips(run_file: Path, count: int, seconds: float) -> tuple[list[np.ndarray], list[np.ndarray], int]:
    """Up to ``count`` (A, B) pairs from the held-out scores, each cut to ``seconds``, spread over the scores."""
    run = load_run_config(run_file)
    args = run.recipe_args
    rate = int(args.get("model", {}).get("sampling_rate", 16000))
    data = {"sampling_rate": rate, **args["data"]}
    _, holdout = paired_splits(data, args.get("holdout_fraction", 0.2), args.get("cache_dir", "cache/datasets"))
    from hfsynth.data import as_torch

    holdout = as_torch(holdout, sampling_rate=rate, columns=["audio_a", "audio_b"])
    step = max(1, len(holdout) // count)
    samples = int(seconds * rate)
    pairs = [holdout[index] for index in range(0, len(holdout), step)][:count]
    clips_a = [pair["audio_a"][:samples].numpy() for pair in pairs]
    clips_b = [pair["audio_b"][:samples].numpy() for pair in pairs]
    return clips_a, clips_b, rate


def score(name: str, outputs: list[np.ndarray], clips_a: list[np.ndarray], clips_b: list[np.ndarray], rate: int,
          baseline: float | None) -> tuple[str, dict[str, float]]:
    """(table row, metrics): log-mel L1 to the true B, chroma correlation with A and, given the
    input's distance ``baseline``, the relative improvement over it."""
    distance = float(np.mean(log_mel_l1(np.stack(clips_b), np.stack(outputs), rate)))
    chroma = float(np.nanmean(chroma_correlation(np.stack(clips_a), np.stack(outputs), rate)))
    metrics = {"log_mel_l1_to_target": distance, "chroma_correlation_with_source": chroma}
    if baseline is not None:
        metrics.update(input_log_mel_l1_to_target=baseline, log_mel_improvement=1 - distance / baseline)
    improvement = "" if baseline is None else f"{100 * metrics['log_mel_improvement']:+.1f}%"
    return f"| {name} | {distance:.3f} | {improvement} | {chroma:.3f} |", metrics


def run_system(transfer: Callable[[np.ndarray], np.ndarray], clips: list[np.ndarray]) -> list[np.ndarray]:
    return [np.asarray(transfer(clip), dtype=np.float32)[: len(clip)] for clip in clips]


def model_transfer(model: StyleTransferPreTrainedModel, direction: str) -> Callable[[np.ndarray], np.ndarray]:
    return lambda clip: model.audio_to_audio(torch.from_numpy(clip).reshape(1, 1, -1), direction=direction).audio[0].numpy()


def round_trip(model: StyleTransferPreTrainedModel) -> Callable[[np.ndarray], np.ndarray]:
    """The model's spectrogram and inversion without the generator: what reconstruction alone costs."""
    transform = StyleSpectrogram(model.config)

    def run(clip: np.ndarray) -> np.ndarray:
        audio = torch.from_numpy(clip).reshape(1, -1)
        with torch.inference_mode():
            return transform.decode(transform.encode(audio), audio.shape[-1], torch.Generator().manual_seed(0))[0].numpy()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", default=[], help="an exported style-transfer folder (repeatable)")
    parser.add_argument("--checkpoint", action="append", default=[], help="a training checkpoint folder (repeatable)")
    parser.add_argument("--run-file", type=Path, default=None, help="the checkpoint's run file (default: from its run)")
    parser.add_argument("--no-ema", action="store_true", help="use a checkpoint's raw weights, not its EMA")
    parser.add_argument("--wavenet", default=None, help="a WaveNet vocoder folder: adds its re-synthesis of the input")
    parser.add_argument("--direction", choices=("a_to_b", "b_to_a"), default="a_to_b",
                        help="b_to_a: the input is the B render and the target the A render (CycleGAN's other way)")
    parser.add_argument("--clips", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--export", type=Path, default=None, help="save the (single) checkpoint's model here")
    parser.add_argument("--report", type=Path, default=None,
                        help="write the (single) system's metrics as a JSON evaluation report (model_cards/reports/)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    systems: list[tuple[str, StyleTransferPreTrainedModel]] = []
    for path in args.model:
        systems.append((f"{type(AutoModel.from_pretrained(path)).__name__} {path}", AutoModel.from_pretrained(path).eval()))
    for path in map(Path, args.checkpoint):
        run_file = args.run_file or _run_file_of(path)
        model = model_from_checkpoint(run_file, path, ema=not args.no_ema)
        systems.append((f"{type(model).__name__} {path.parent.parent.name}/{path.name}{'' if args.no_ema else ' (EMA)'}", model))
    if not systems:
        parser.error("give at least one --model or --checkpoint")
    if (args.export or args.report) and len(systems) != 1:
        parser.error("--export and --report take exactly one system")
    if args.export is not None:
        systems[0][1].save_pretrained(args.export)
        print(f"exported to {args.export}")

    clips_a, clips_b, rate = held_out_clips(args.run_file or DEFAULT_RUN, args.clips, args.seconds)
    if args.direction == "b_to_a":  # the rows below read "A" as the input domain, "B" as the target
        clips_a, clips_b = clips_b, clips_a
    print(machine_line())
    print(f"\n{len(clips_a)} held-out pairs of {args.seconds} s at {rate} Hz, direction {args.direction}")
    print("| system | log-mel L1 to true B | improvement vs input A | chroma corr. with A |")
    print("| --- | --- | --- | --- |")
    line, input_metrics = score("input A (no transfer)", clips_a, clips_a, clips_b, rate, None)
    baseline = input_metrics["log_mel_l1_to_target"]
    print(line)
    reference = systems[0][1]
    print(score("input A through mel + Griffin-Lim", run_system(round_trip(reference), clips_a), clips_a, clips_b, rate, baseline)[0])
    print(score("true B through mel + Griffin-Lim (ceiling)", run_system(round_trip(reference), clips_b), clips_a, clips_b, rate, baseline)[0])
    if args.wavenet:
        vocoder = AutoModel.from_pretrained(args.wavenet).eval()
        resynth = run_system(lambda clip: vocoder.audio_to_audio(torch.from_numpy(clip).reshape(1, 1, -1)).audio[0].numpy(), clips_a)
        print(score("input A through WaveNet vocoder", resynth, clips_a, clips_b, rate, baseline)[0])
    for name, model in systems:
        line, metrics = score(name, run_system(model_transfer(model, args.direction), clips_a), clips_a, clips_b, rate, baseline)
        print(line, flush=True)
    if args.report is not None:
        write_report(args.report, args.export or args.model[0], f"held-out paired renders ({len(clips_a)} clips of "
                     f"{args.seconds} s)", "audio-to-audio", len(clips_a), metrics)


def _run_file_of(checkpoint: Path) -> Path:
    """A checkpoint's run file: configs/<run name>.yaml."""
    candidate = Path(__file__).parents[1] / "configs" / f"{checkpoint.parent.parent.name}.yaml"
    if not candidate.exists():
        raise SystemExit(f"cannot find the run file of {checkpoint}; pass --run-file")
    return candidate


if __name__ == "__main__":
    main()
