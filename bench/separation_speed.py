"""Open-Unmix separation speed: hfsynth's converted architecture beside open-unmix's own Separator.

    python bench/separation_speed.py --size umxhq [--seconds 30] [--threads 2] [--repeats 3]
        [--reference-python /work/venvs/openunmix/bin/python]

Both sides build the published model's shape (``--size``: umxhq, umx, umxl or umxse, the settings
open-unmix hard-codes; random weights: speed does not depend on them) and separate the same input
(``--seconds`` of seeded noise at the model's rate and channels, 44.1 kHz stereo for the music
models) without the Wiener filter (``niter=0``) and with open-unmix's default one (``niter=1``,
``wiener_win_len=300``). open-unmix (PyPI ``openunmix``, run in its own venv by a subprocess, with
``torchaudio`` stubbed: it is imported for file I/O only) times ``Separator.forward``; hfsynth times
``SeparationModel.separate``, both under ``torch.no_grad`` with the same thread count, best of
``--repeats`` after one warm-up run. ``--no-reference`` times hfsynth alone.

Prints Markdown rows: seconds, x real time (seconds of audio separated per second), and hfsynth's
speed relative to open-unmix's in this run (above 1 is faster).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import torch
from _common import bench_parser, best_time, machine_line, parse_bench_args

from hfsynth.conversion.openunmix import PRESETS, build_config, preset_settings
from hfsynth.models.separation import SeparationModel

WIENER_WIN_LEN = 300
RUNS = {"no Wiener (niter=0)": 0, "Wiener (niter=1)": 1}

#: Run with the reference venv's python: argv[1] is a JSON of the settings; prints {run: seconds}.
REFERENCE_SCRIPT = r"""
import json, sys, time, types
import numpy as np
import torch
sys.modules["torchaudio"] = types.ModuleType("torchaudio")  # openunmix imports it for file I/O only
from openunmix.model import OpenUnmix, Separator

s = json.loads(sys.argv[1])
torch.set_num_threads(s["threads"])
torch.manual_seed(0)
audio = torch.from_numpy(np.load(s["audio"]))
targets = {t: OpenUnmix(nb_bins=s["n_fft"] // 2 + 1, nb_channels=s["channels"], hidden_size=s["hidden_size"],
                        max_bin=s["max_bin"]) for t in s["targets"]}
times = {}
for name, niter in s["runs"].items():
    separator = Separator(targets, niter=niter, wiener_win_len=s["wiener_win_len"], n_fft=s["n_fft"],
                          n_hop=s["hop_length"], nb_channels=s["channels"], sample_rate=s["sampling_rate"])
    separator.freeze()
    best = float("inf")
    with torch.no_grad():
        for repeat in range(s["repeats"] + 1):  # the first run warms up
            start = time.perf_counter()
            separator(audio)
            if repeat:
                best = min(best, time.perf_counter() - start)
    times[name] = best
print(json.dumps(times))
"""


def reference_times(python: str, size: str, audio: np.ndarray, threads: int, repeats: int) -> dict[str, float]:
    """open-unmix's seconds per run, from its own venv."""
    preset = PRESETS[size]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audio.npy"
        np.save(path, audio)
        settings = {"audio": str(path), "threads": threads, "repeats": repeats, "runs": RUNS,
                    "targets": list(preset.targets), "n_fft": preset.n_fft, "hop_length": preset.hop_length,
                    "channels": preset.channels, "hidden_size": preset.hidden_size, "max_bin": preset.max_bin,
                    "sampling_rate": float(preset.sampling_rate), "wiener_win_len": WIENER_WIN_LEN}
        done = subprocess.run([python, "-c", REFERENCE_SCRIPT, json.dumps(settings)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the open-unmix run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def hfsynth_times(size: str, audio: np.ndarray, repeats: int) -> dict[str, float]:
    """hfsynth's seconds per run for the same model shape and input."""
    config = build_config(preset_settings(size, None), PRESETS[size].max_bin, None, 1, WIENER_WIN_LEN)
    model = SeparationModel(config).eval()
    waveform = torch.from_numpy(audio)
    return {name: best_time(lambda: model.separate(waveform, niter=niter), repeats) for name, niter in RUNS.items()}


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--size", choices=list(PRESETS), default="umxhq", help="the published model's shape")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the input")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per setting (the best counts)")
    parser.add_argument("--reference-python", default="/work/venvs/openunmix/bin/python",
                        help="python of a venv with openunmix installed")
    parser.add_argument("--no-reference", action="store_true", help="time hfsynth only")
    args = parse_bench_args(parser)
    preset = PRESETS[args.size]
    samples = round(args.seconds * preset.sampling_rate)
    audio = 0.1 * np.random.default_rng(0).standard_normal((1, preset.channels, samples)).astype(np.float32)
    print(machine_line())
    print(f"command: python bench/separation_speed.py --size {args.size} --seconds {args.seconds:g} "
          f"--threads {args.threads} --repeats {args.repeats}")
    print(f"\n{args.size}: {len(preset.targets)} targets, hidden {preset.hidden_size}, STFT {preset.n_fft}/"
          f"{preset.hop_length}; {args.seconds:g} s of {preset.channels}-channel noise at {preset.sampling_rate} Hz")
    print("| implementation | post-filter | seconds | x real time | vs open-unmix |")
    print("| --- | --- | --- | --- | --- |")
    reference = {} if args.no_reference else reference_times(args.reference_python, args.size, audio,
                                                               args.threads, args.repeats)
    ours = hfsynth_times(args.size, audio, args.repeats)
    for name in RUNS:
        if name in reference:
            print(f"| open-unmix 1.3 Separator | {name} | {reference[name]:.3g} | {args.seconds / reference[name]:.3g} "
                  f"| 1.0x |")
        ratio = f"{reference[name] / ours[name]:.2f}x" if name in reference else "-"
        print(f"| hfsynth SeparationModel | {name} | {ours[name]:.3g} | {args.seconds / ours[name]:.3g} | {ratio} |",
              flush=True)


if __name__ == "__main__":
    main()
