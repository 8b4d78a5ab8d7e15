"""Universal Music Translation decoding speed at the published size (one decoder of
``pretrained_musicnet``: 4 x 14 layers, 128 channels, a 64-channel latent repeated 800 times):
samples/s of hfsynth's incremental decoding, beside the original's Python generator.

    python bench/umt_speed.py [--threads 2] [--samples 1600] [--batch 1] [--reference-cmd "CMD"] [--quick]

The original's code is not a package, so this script neither imports nor ships it: ``--reference-cmd``
names a command of yours that times ``src/wavenet_generator.py``'s ``WavenetGenerator.generate``
(e.g. a script run with the music-translation repository's ``src/`` on its path). It is called as
``CMD --samples N --threads T --batch B`` and must print one JSON line ``{"samples": N, "seconds":
S}`` (N: generated samples per batch row). Without it the reference row says it was skipped.
Both sides decode random-init weights from a random latent; the work per sample does not depend
on the values.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time

import torch
from _common import bench_parser, machine_line, parse_bench_args

from hfsynth.models.music_translation import MusicTranslationConfig
from hfsynth.models.wavenet import WaveNetModel


def hfsynth_samples_per_second(samples: int, batch: int) -> tuple[float, int]:
    config = MusicTranslationConfig()
    decoder = WaveNetModel(config.decoder_config).eval()
    frames = max(1, samples // config.encoder_pool)
    latent = torch.randn(batch, config.latent_channels, frames, generator=torch.Generator().manual_seed(0))
    decoder.sample_waveform(64, mel=latent[:, :, :1], progress_bar=False)              # warm-up
    start = time.perf_counter()
    decoder.sample_waveform(frames * config.encoder_pool, mel=latent, generator=torch.Generator().manual_seed(0),
                            progress_bar=False)
    return frames * config.encoder_pool / (time.perf_counter() - start), frames * config.encoder_pool


def reference_samples_per_second(command: str, samples: int, threads: int, batch: int) -> tuple[float, int]:
    argv = [*shlex.split(command), "--samples", str(samples), "--threads", str(threads), "--batch", str(batch)]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["samples"] / result["seconds"], result["samples"]


def main() -> None:
    parser = bench_parser(__doc__, "800 samples (one latent frame; a smoke run)")
    parser.add_argument("--samples", type=int, default=1600, help="samples decoded per row (whole frames of 800)")
    parser.add_argument("--batch", type=int, default=1, help="rows decoded at once")
    parser.add_argument("--reference-cmd", help="a command timing the original's WavenetGenerator (see above)")
    args = parse_bench_args(parser)
    samples = 800 if args.quick else args.samples
    print(machine_line())
    print(f"command: python bench/umt_speed.py {' '.join(sys.argv[1:])}")
    print(f"Universal Music Translation, one published-size decoder, batch {args.batch}, 16 kHz")
    print("| implementation | decoding | samples per row | samples/s per row | x real time |")
    print("| --- | --- | --- | --- | --- |")
    speed = None
    if args.reference_cmd:
        speed, timed = reference_samples_per_second(args.reference_cmd, samples, args.threads, args.batch)
        print(f"| facebookresearch/music-translation | WavenetGenerator (Python, --py) | {timed} | {speed:,.0f} "
              f"| {speed / 16000:.3g} |")
    else:
        print("| facebookresearch/music-translation | WavenetGenerator | skipped: no --reference-cmd | | |")
    ours, timed = hfsynth_samples_per_second(samples, args.batch)
    print(f"| hfsynth | incremental (WaveNetModel.sample_waveform) | {timed} | {ours:,.0f} | {ours / 16000:.3g} |")
    if speed:
        print(f"\nhfsynth / original: {ours / speed:.2f}x")


if __name__ == "__main__":
    main()
