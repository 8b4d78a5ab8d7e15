"""Musika generation speed and memory: real-time factor for 10 s, 60 s and 600 s, one-shot and streamed.

    python bench/musika_speed.py [--threads 2] [--quick]
    python bench/musika_speed.py --size published [--model DIR] [--reference-cmd CMD] [--threads 2] [--quick]

``--size small`` (default): random weights at hfsynth's own ``MusikaConfig()`` (16 kHz mono, chunks of
32 latent frames); speed does not depend on the weights. "streamed xK" is ``MusikaPipeline.stream``
yielding pieces of K chunks of ~1 s (K = 4 is the default; each piece is decoded with context on both
sides, so K = 1 spends 1.7x the decoder work); "one-shot" generates all latents and decodes them in one pass.

``--size published``: the published Musika (``MusikaReleaseConfig()``: 44.1 kHz stereo, 43.6 M
parameters; random weights, or ``--model`` a folder written by ``hfsynth convert musika``), streamed
(``MusikaReleasePipeline.stream``, one 11.9 s segment at a time) for 10, 60 and 600 s. With
``--reference-cmd CMD`` the authors' own generation runs beside it in the same run, as
``CMD --seconds 60 --threads N``: the command (kept outside this repository, since the authors' code
cannot be vendored) must print, as its last line, a JSON object with ``wall_s`` (generation only, after
a warm-up) and ``peak_rss_growth_mb``. Without it that row is skipped, and says so.

``--size published-22khz`` does the same for the repository's 22 kHz release
(``MusikaReleaseConfig(variant="22khz")``); the reference command is for the 44.1 kHz code only.

Peak memory is the process's peak resident set size growth during the run (``ru_maxrss``), so runs are
ordered shortest first; the streamed runs come first, so their numbers are not hidden by a one-shot peak.
"""

from __future__ import annotations

import json
import resource
import shlex
import subprocess
import sys
import time

import torch
from _common import bench_parser, machine_line, parse_bench_args

from hfsynth.models.musika import MusikaConfig, MusikaGenerator, MusikaPipeline, MusikaReleaseConfig, MusikaReleaseGenerator
from hfsynth.models.musika.generation_musika import one_pass_section

#: The length the published model is compared with its authors' code at.
REFERENCE_SECONDS = 60


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def streamed(chunks_per_yield: int):
    def run(pipe: MusikaPipeline, seconds: float) -> int:
        return sum(piece.shape[-1] for piece in pipe.stream(seconds, generator=torch.Generator().manual_seed(0),
                                                       chunks_per_yield=chunks_per_yield))
    return run


def one_shot(pipe: MusikaPipeline, seconds: float) -> int:
    samples = pipe.model.num_samples_for(seconds)
    return one_pass_section(pipe.model, samples, torch.Generator().manual_seed(0)).shape[-1]


def release_streamed(pipe: MusikaPipeline, seconds: float) -> int:
    return sum(piece.shape[-1] for piece in pipe.stream(seconds, generator=torch.Generator().manual_seed(0)))


def print_row(name: str, seconds: float, wall: float, memory: float) -> None:
    print(f"| {name} | {seconds:g} | {wall:.2f} | {seconds / wall:.1f} | {memory:.0f} |", flush=True)


def small(args) -> None:
    torch.manual_seed(0)
    pipe = MusikaPipeline(MusikaGenerator(MusikaConfig()).eval())
    streamed(4)(pipe, 2.0)                                                    # warm-up
    lengths = (10.0, 60.0) if args.quick else (10.0, 60.0, 600.0)
    print("| mode | audio (s) | wall (s) | x real time | peak RSS growth (MB) |")
    print("| --- | --- | --- | --- | --- |")
    for name, run in (("streamed x1", streamed(1)), ("streamed x4", streamed(4)), ("one-shot", one_shot)):
        for seconds in lengths:
            before = peak_rss_mb()
            start = time.perf_counter()
            samples = run(pipe, seconds)
            wall = time.perf_counter() - start
            assert samples == round(seconds * pipe.sampling_rate)
            print_row(name, seconds, wall, peak_rss_mb() - before)


def published(args) -> None:
    torch.manual_seed(0)
    variant = "22khz" if args.size == "published-22khz" else "44khz"
    model = (MusikaReleaseGenerator.from_pretrained(args.model) if args.model
             else MusikaReleaseGenerator(MusikaReleaseConfig(variant=variant))).eval()
    pipe = MusikaPipeline(model)
    print(f"model: {args.model or 'published size, random weights'} "
          f"({sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters, {pipe.sampling_rate} Hz)")
    release_streamed(pipe, 1.0)                                               # warm-up
    print("| implementation | audio (s) | wall (s) | x real time | peak RSS growth (MB) |")
    print("| --- | --- | --- | --- | --- |")
    lengths = (10.0, float(REFERENCE_SECONDS)) if args.quick else (10.0, float(REFERENCE_SECONDS), 600.0)
    ours = {}
    for seconds in lengths:
        before = peak_rss_mb()
        start = time.perf_counter()
        samples = release_streamed(pipe, seconds)
        ours[seconds] = time.perf_counter() - start
        assert samples == round(seconds * pipe.sampling_rate)
        print_row("hfsynth, streamed (one 11.9 s segment at a time)", seconds, ours[seconds], peak_rss_mb() - before)
    if not args.reference_cmd:
        print(f"| authors' code (TensorFlow) | {REFERENCE_SECONDS} | - | - | - |  (skipped: no --reference-cmd given)")
        return
    command = [*shlex.split(args.reference_cmd), "--seconds", str(REFERENCE_SECONDS), "--threads", str(args.threads)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"the reference command failed ({shlex.join(command)}):\n{result.stderr[-2000:]}")
    reference = json.loads(result.stdout.strip().splitlines()[-1])
    print_row("authors' code (TensorFlow, `musika_generate.py`'s generate_waveform)", REFERENCE_SECONDS,
              reference["wall_s"], reference["peak_rss_growth_mb"])
    print(f"\nhfsynth / authors at {REFERENCE_SECONDS} s: {reference['wall_s'] / ours[REFERENCE_SECONDS]:.2f}x their speed")


def main() -> None:
    parser = bench_parser(__doc__, "10 s and 60 s only")
    parser.add_argument("--size", choices=("small", "published", "published-22khz"), default="small",
                        help="hfsynth's own Musika (default), the published one, or the 22 kHz release")
    parser.add_argument("--model", help="--size published: a folder from hfsynth convert musika (default: random weights)")
    parser.add_argument("--reference-cmd", help="--size published: the command timing the authors' code (see above)")
    args = parse_bench_args(parser)
    print(machine_line())
    print(f"command: python bench/musika_speed.py {shlex.join(sys.argv[1:])}")
    (small if args.size == "small" else published)(args)


if __name__ == "__main__":
    main()
