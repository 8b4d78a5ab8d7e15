"""Musika generation speed and memory: real-time factor for 10 s, 60 s and 600 s, one-shot and streamed.

    python bench/musika_speed.py [--threads 2] [--quick]

Random weights at the default configs (``MusikaConfig()``: 16 kHz mono, chunks of 32 latent frames);
speed does not depend on the weights. "streamed xK" is ``MusikaPipeline.stream`` yielding pieces of K
chunks of ~1 s (K = 4 is the default; each piece is decoded with context on both sides, so K = 1 spends
1.7x the decoder work); "one-shot" generates all latents and decodes them in one pass.
Peak memory is the process's peak resident set size growth during the run (``ru_maxrss``), so runs are
ordered shortest first; the streamed runs come first, so their numbers are not hidden by a one-shot peak.
"""

from __future__ import annotations

import resource
import time

import torch
from _common import bench_parser, machine_line, parse_bench_args

from hfsynth.models.musika import MusikaConfig, MusikaGenerator, MusikaPipeline
from hfsynth.models.musika.generation_musika import one_pass_section


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


def main() -> None:
    args = parse_bench_args(bench_parser(__doc__, "10 s and 60 s only"))
    print(machine_line())
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
            print(f"| {name} | {seconds:g} | {wall:.2f} | {seconds / wall:.1f} | {peak_rss_mb() - before:.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()
