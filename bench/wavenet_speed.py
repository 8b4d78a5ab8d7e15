"""WaveNet generation speed: naive (recompute the receptive field per sample) vs incremental
(per-layer conv queues), and against r9y9's wavenet_vocoder at its LJSpeech preset.

    python bench/wavenet_speed.py [--threads 2] [--quick]
    python bench/wavenet_speed.py --size ljspeech [--samples 512] [--reference-python /work/venvs/wavenet/bin/python]

``--size fields`` (default): receptive fields of about 250 / 1000 / 4000 samples, batch 1 and 16:
a Markdown table (samples generated per second, per batch item summed) and the incremental cost
per sample at two lengths (it should not grow with length).

``--size ljspeech``: vocoding 1 s of 22.05 kHz audio with r9y9's LJSpeech mixture-of-logistics
preset (24 layers in 4 stacks, 512 / 512 / 256 channels, 80 mels, hop 256, 10 logistics), in the
same run: r9y9's own ``incremental_forward`` (the PyPI package wavenet-vocoder 0.1.1 after
``make_generation_fast_()``, as its synthesis.py runs it, in the venv of ``--reference-python``),
then hfsynth's incremental generation of the same converted weights from the same mel with its
weights in float32, float16 and int8 (``config.incremental_weights``), and naive generation.
A few hundred samples are timed and extrapolated to 1 s (x real time = audio seconds per second).
Without the reference venv, hfsynth's rows are timed on a random-init model and the reference row
says it was skipped.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from _common import bench_parser, machine_line, parse_bench_args

from hfsynth.conversion.wavenet_r9y9 import convert, read_hparams, wavenet_config
from hfsynth.models.wavenet import WaveNetConfig, WaveNetModel
from hfsynth.modules.packed_linear import PRECISIONS

# (label, layers, stacks): kernel 3 gives receptive field 2 * sum(dilations) + 1.
SIZES = [("~250", 7, 1), ("~1000", 16, 2), ("~4000", 36, 4)]
REFERENCE_PYTHON = "/work/venvs/wavenet/bin/python"
LJSPEECH = "ljspeech_mixture"
HOP = 256

#: Runs in the reference venv (wavenet-vocoder 0.1.1 from PyPI): builds the LJSpeech preset's model
#: as its train.py does, saves its state dict for hfsynth to convert, times incremental_forward.
REFERENCE_SCRIPT = r"""
import json, sys, time
import numpy as np, torch
from wavenet_vocoder import builder

folder, threads = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = builder.wavenet(out_channels=30, layers=24, stacks=4, residual_channels=512, gate_channels=512,
                        skip_out_channels=256, cin_channels=80, gin_channels=-1, weight_normalization=True,
                        n_speakers=None, dropout=0.05, kernel_size=3, upsample_conditional_features=True,
                        upsample_scales=[4, 4, 4, 4], freq_axis_kernel_size=3, scalar_input=True, legacy=True).eval()
torch.save({"state_dict": model.state_dict(), "global_step": 0}, f"{folder}/checkpoint_step000000000.pth")
model.make_generation_fast_()
mel = torch.from_numpy(np.load(f"{folder}/mel.npy"))
with torch.no_grad():
    model.incremental_forward(torch.zeros(1, 1, 1), c=mel[:, :, :1], T=256, log_scale_min=float(np.log(1e-14)))
    start = time.perf_counter()
    model.incremental_forward(torch.zeros(1, 1, 1), c=mel, T=mel.shape[-1] * 256, log_scale_min=float(np.log(1e-14)))
    seconds = time.perf_counter() - start
print(json.dumps({"samples": mel.shape[-1] * 256, "seconds": seconds, "torch": torch.__version__}))
"""


def incremental_samples_per_second(model: WaveNetModel, batch: int, samples: int, mel: torch.Tensor | None = None
                                   ) -> float:
    start = time.perf_counter()
    model.sample_waveform(samples, mel=mel, batch_size=batch, generator=torch.Generator().manual_seed(0))
    return batch * samples / (time.perf_counter() - start)


@torch.inference_mode()
def naive_samples_per_second(model: WaveNetModel, batch: int, steps: int, mel: torch.Tensor | None = None) -> float:
    """Naive generation at steady state: every sample past the first receptive field re-runs the
    network over a full receptive-field window (what ``sample_waveform(incremental=False)``
    does per sample once the audio is longer than the receptive field)."""
    field = model.config.receptive_field
    window = torch.rand(batch, field) * 2 - 1
    local = None if mel is None else model.conditioning(field, mel, None, batch)[0]
    start = time.perf_counter()
    for _ in range(steps):
        model.logits_from_features(model.encode_inputs(window), local, None)[:, :, -1:]
    return batch * steps / (time.perf_counter() - start)


def receptive_field_sweep(quick: bool) -> None:
    naive_samples, fast_samples = (8, 200) if quick else (32, 1000)
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


@torch.inference_mode()
def output_error(model: WaveNetModel, mel: torch.Tensor, precision: str) -> float:
    """Relative RMS difference of the incremental outputs with ``precision`` weights from float32's,
    teacher-forced on one hop of a tone (the same inputs for both)."""
    tone = 0.5 * torch.sin(2 * torch.pi * 220 * torch.arange(HOP + 1) / model.config.sampling_rate)[None]
    local = model.conditioning(HOP, mel, None, 1)[0]
    outputs = {}
    for storage in ("float32", precision):
        model.config.incremental_weights = storage
        outputs[storage] = torch.cat(list(model._incremental_steps(tone, local, None)), dim=-1)
    model.config.incremental_weights = precision
    return ((outputs[precision] - outputs["float32"]).norm() / outputs["float32"].norm()).item()


def reference_run(python: str, folder: Path, threads: int) -> dict | None:
    """r9y9's timing (and its checkpoint in ``folder``), or None when its venv is absent."""
    if not Path(python).is_file():
        return None
    done = subprocess.run([python, "-c", REFERENCE_SCRIPT, str(folder), str(threads)], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def ljspeech(samples: int, naive_steps: int, reference_python: str, threads: int) -> None:
    frames = max(1, samples // HOP)
    mel = torch.rand(1, 80, frames, generator=torch.Generator().manual_seed(0))  # the features live in [0, 1]
    with tempfile.TemporaryDirectory() as folder:
        np.save(Path(folder) / "mel.npy", mel.numpy())
        reference = reference_run(reference_python, Path(folder), threads)
        if reference is None:
            model = WaveNetModel(wavenet_config(read_hparams(LJSPEECH, "v0.1"), "v0.1", None)).eval()
        else:
            converted = convert(Path(folder) / "checkpoint_step000000000.pth", LJSPEECH, Path(folder) / "hfsynth")
            model = WaveNetModel.from_pretrained(converted).eval()
        fast, error = {}, {}
        for precision in PRECISIONS:
            model.config.incremental_weights = precision
            model.sample_waveform(HOP, mel=mel[:, :, :1])                              # warm-up
            fast[precision] = incremental_samples_per_second(model, 1, frames * HOP, mel)
            error[precision] = output_error(model, mel[:, :, :1], precision)
        model.config.incremental_weights = "float32"
        field_frames = -(-model.config.receptive_field // HOP)                       # a mel covering one field
        field_mel = torch.rand(1, 80, field_frames, generator=torch.Generator().manual_seed(1))
        naive = naive_samples_per_second(model, 1, naive_steps, field_mel)
    rate = model.config.sampling_rate
    print(f"WaveNet, r9y9's LJSpeech preset ({sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters, "
          f"receptive field {model.config.receptive_field}), vocoding 1 s at {rate} Hz, batch 1")
    print("| implementation | generation | samples timed | samples/s | x real time |")
    print("| --- | --- | --- | --- | --- |")
    if reference is None:
        print(f"| r9y9 wavenet-vocoder 0.1.1 | incremental_forward | skipped: no {reference_python} | | |")
    else:
        speed = reference["samples"] / reference["seconds"]
        print(f"| r9y9 wavenet-vocoder 0.1.1 (torch {reference['torch']}) | incremental_forward after "
              f"make_generation_fast_() | {reference['samples']} | {speed:,.1f} | {speed / rate:.3g} |")
    for precision in PRECISIONS:
        print(f"| hfsynth, {precision} weights (output error {error[precision]:.1e}) | incremental | {frames * HOP} "
              f"| {fast[precision]:,.1f} | {fast[precision] / rate:.3g} |")
    print(f"| hfsynth | naive | {naive_steps} | {naive:,.1f} | {naive / rate:.3g} |")
    if reference is not None:
        ratios = ", ".join(f"{precision} {fast[precision] / speed:.2f}x" for precision in PRECISIONS)
        print(f"\nhfsynth incremental / r9y9 incremental_forward: {ratios} (goal >= 1.5x)")
    print("output error: relative RMS difference of the network's outputs (mixture parameters) from float32 "
          "weights', teacher-forced on one hop of a 220 Hz tone")


def main() -> None:
    parser = bench_parser(__doc__, "fewer samples (for a smoke run)")
    parser.add_argument("--size", choices=("fields", "ljspeech"), default="fields")
    parser.add_argument("--samples", type=int, default=512, help="ljspeech: samples timed (whole hops of 256)")
    parser.add_argument("--reference-python", default=REFERENCE_PYTHON,
                        help="ljspeech: the python of a venv with wavenet-vocoder 0.1.1 (PyPI)")
    args = parse_bench_args(parser)
    print(machine_line())
    print(f"command: python bench/wavenet_speed.py {' '.join(sys.argv[1:])}")
    if args.size == "fields":
        receptive_field_sweep(args.quick)
    else:
        ljspeech(HOP if args.quick else args.samples, 2 if args.quick else 8, args.reference_python, args.threads)


if __name__ == "__main__":
    main()
