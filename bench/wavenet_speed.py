"""WaveNet generation speed: naive (recompute the receptive field per sample) vs incremental
(per-layer conv queues), at receptive fields of about 250 / 1000 / 4000 samples, batch 1 and 16.

    python bench/wavenet_speed.py [--threads 2] [--quick]

Prints a Markdown table (samples generated per second, per batch item summed) and the
incremental cost per sample at two lengths (it should not grow with length).
"""

from __future__ import annotations

import time

import torch
from _common import bench_parser, machine_line, parse_bench_args

from hfsynth.models.wavenet import WaveNetConfig, WaveNetModel

# (label, layers, stacks): kernel 3 gives receptive field 2 * sum(dilations) + 1.
SIZES = [("~250", 7, 1), ("~1000", 16, 2), ("~4000", 36, 4)]


def incremental_samples_per_second(model: WaveNetModel, batch: int, samples: int) -> float:
    start = time.perf_counter()
    model.sample_waveform(samples, batch_size=batch, generator=torch.Generator().manual_seed(0))
    return batch * samples / (time.perf_counter() - start)


@torch.inference_mode()
def naive_samples_per_second(model: WaveNetModel, batch: int, steps: int) -> float:
    """Naive generation at steady state: every sample past the first receptive field re-runs the
    network over a full receptive-field window (what ``sample_waveform(incremental=False)``
    does per sample once the audio is longer than the receptive field)."""
    window = torch.rand(batch, model.config.receptive_field) * 2 - 1
    start = time.perf_counter()
    for _ in range(steps):
        model.logits_from_features(model.encode_inputs(window), None, None)[:, :, -1:]
    return batch * steps / (time.perf_counter() - start)


def main() -> None:
    args = parse_bench_args(bench_parser(__doc__, "fewer samples (for a smoke run)"))
    naive_samples, fast_samples = (8, 200) if args.quick else (32, 1000)
    print(machine_line())
    print("| receptive field | layers | batch | naive samples/s | incremental samples/s | speed-up |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, layers, stacks in SIZES:
        config = WaveNetConfig(layers=layers, stacks=stacks, residual_channels=64, gate_channels=128,
                               skip_channels=64, kernel_size=3)
        model = WaveNetModel(config).eval()
        for batch in (1, 16):
            naive = naive_samples_per_second(model, batch, naive_samples)
            fast = incremental_samples_per_second(model, batch, fast_samples)
            print(f"| {config.receptive_field} ({label}) | {layers} | {batch} | {naive:,.0f} | {fast:,.0f} "
                  f"| {fast / naive:.1f}x |", flush=True)
    model = WaveNetModel(WaveNetConfig(layers=16, stacks=2, residual_channels=64, gate_channels=128,
                                       skip_channels=64)).eval()
    short, long = fast_samples // 2, fast_samples * 2
    per_short = 1e3 / incremental_samples_per_second(model, 1, short)
    per_long = 1e3 / incremental_samples_per_second(model, 1, long)
    print(f"\nincremental ms/sample at {short} samples: {per_short:.3f}; at {long} samples: {per_long:.3f} "
          f"(ratio {per_long / per_short:.2f}: constant cost per sample means linear total cost)")


if __name__ == "__main__":
    main()
