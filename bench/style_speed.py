"""Style-transfer speed: real-time factor of MelGAN-VC and CycleGAN on 10 s clips (goal >= 5x on this CPU).

    python bench/style_speed.py [--threads 2] [--quick]

Untrained models (speed does not depend on the weights) at the sizes of
``configs/styletransfer_melganvc_small.yaml`` and ``configs/styletransfer_cyclegan_small.yaml``
(16 kHz, STFT 1024 / hop 256, 80 mels). A call is: log-mel -> generator over chunks overlapping by half
-> mel pseudo-inverse + fast Griffin-Lim (32 iterations). Prints a Markdown table with the time of each
part and the real-time factor (seconds of audio per second of compute; above 1 is faster than real time).
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
from _common import bench_parser, machine_line, parse_bench_args

import hfsynth  # noqa: F401
from hfsynth.models.style_transfer import StyleTransferPreTrainedModel
from hfsynth.training.train import build_recipe, load_run_config

CONFIGS = Path(__file__).parents[1] / "configs"
RUNS = ("styletransfer_melganvc_small", "styletransfer_cyclegan_small")
SECONDS = 10.0


def timed(run, repeats: int) -> float:
    """The fastest of ``repeats`` runs after one warm-up, in seconds."""
    run()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


@torch.inference_mode()
def parts(model: StyleTransferPreTrainedModel, audio: torch.Tensor, repeats: int) -> dict[str, float]:
    """Seconds for the spectrogram, the generator (chunked) and the inversion of one clip."""
    spectrogram = model.spectrogram.encode(audio)
    transferred = model.transfer_spectrogram(spectrogram)
    return {
        "spectrogram": timed(lambda: model.spectrogram.encode(audio), repeats),
        "generator": timed(lambda: model.transfer_spectrogram(spectrogram), repeats),
        "inversion": timed(lambda: model.spectrogram.decode(transferred, audio.shape[-1]), repeats),
    }


def main() -> None:
    args = parse_bench_args(bench_parser(__doc__, "one repeat: ~1 minute"))
    repeats = 1 if args.quick else 3
    print(machine_line())
    torch.manual_seed(0)
    print(f"\none clip: {SECONDS} s at 16 kHz, batch 1")
    print("| model | parameters | spectrogram (s) | generator (s) | inversion (s) | total (s) | x real time |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in RUNS:
        run = load_run_config(CONFIGS / f"{name}.yaml")
        model = build_recipe(run.recipe, run.recipe_args).modules()["model"].eval()
        audio = 0.1 * torch.randn(1, int(SECONDS * model.config.sampling_rate))
        times = parts(model, audio, repeats)
        total = sum(times.values())
        params = sum(p.numel() for p in model.parameters()) / 1e6
        cells = " | ".join(f"{value:.3f}" for value in times.values())
        print(f"| {type(model).__name__} ({name}) | {params:.2f} M | {cells} | {total:.3f} | {SECONDS / total:.1f} |",
              flush=True)


if __name__ == "__main__":
    main()
