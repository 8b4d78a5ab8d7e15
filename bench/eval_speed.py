"""Evaluation speed: the metric set without pYIN on 1,000 4-second 16 kHz clips, then pYIN's cost apart.

    python bench/eval_speed.py [--clips 1000] [--seconds 4] [--threads 2] [--pyin-clips 16] [--n-jobs 2]

Clips are synthetic notes (harmonic tones with decays and a little noise); the "estimate" set is the
same notes with added noise and a gain change, as a vocoder's output would be. Prints a Markdown
table (seconds per metric) and one Markdown results line with machine, date and command; the goal is
under 2 minutes for the whole set on a 2-core CPU. pYIN runs on ``--pyin-clips`` clips and is
extrapolated to the full set.
"""

from __future__ import annotations

import datetime
import os
import sys
import time

import numpy as np
from _common import bench_parser, machine, parse_bench_args

from hfsynth.evaluation import (
    chroma_correlation,
    evaluate_pairs,
    frechet_distance,
    log_mel_l1,
    log_spectrum_features,
    multi_resolution_stft_distance,
    ndb,
    onset_rate,
    pitch_accuracy_pyin,
    pitch_class_clarity,
    si_sdr,
    spectral_flatness,
)


def synthetic_notes(clips: int, seconds: float, sampling_rate: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(clips, samples) float32 notes with random pitch, timbre and decay, and their MIDI pitches."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sampling_rate)) / sampling_rate
    pitches = rng.integers(36, 85, size=clips)
    audio = np.empty((clips, t.size), dtype=np.float32)
    for index, pitch in enumerate(pitches):
        f0 = 440.0 * 2.0 ** ((pitch - 69) / 12.0)
        harmonics = np.arange(1, 7)[: max(1, int(sampling_rate / 2 / f0) - 1)]
        amplitudes = rng.uniform(0.2, 1.0, harmonics.size) / harmonics
        note = amplitudes @ np.sin(2 * np.pi * f0 * harmonics[:, None] * t)
        audio[index] = note * np.exp(-t * rng.uniform(0.3, 2.0)) * 0.3 + 0.003 * rng.standard_normal(t.size)
    return audio, pitches


def timed(label: str, results: list[tuple[str, float]], function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    results.append((label, time.perf_counter() - start))
    return value


def time_classifier_metrics(folder: str, reference: np.ndarray, estimate: np.ndarray, sr: int) -> None:
    """The pretrained-network metrics' offline analogue: classifier scores of both sets, then IS,
    pitch entropy and the Fréchet distance between their embeddings."""
    from hfsynth.evaluation import ClassifierEvaluator

    evaluator = ClassifierEvaluator.from_pretrained(folder)
    start = time.perf_counter()
    generated, real = evaluator.score(estimate, sr), evaluator.score(reference, sr)
    summary = generated.summary(real)
    seconds = time.perf_counter() - start
    print(f"\n| classifier scores of both sets + IS / pitch entropy / Fréchet distance | {seconds:.1f} s | "
          f"FD {summary['frechet_distance']:.3f}, IS(pitch) {summary['inception_score_pitch']:.2f} |")


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--clips", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--sampling-rate", type=int, default=16000)
    parser.add_argument("--pyin-clips", type=int, default=16, help="clips for the pYIN timing (0: skip)")
    parser.add_argument("--n-jobs", type=int, default=2, help="pYIN processes")
    parser.add_argument("--classifier", default="pipelines/note-classifier",
                        help="reference classifier for IS / pitch entropy / Fréchet distance ('' to skip)")
    args = parse_bench_args(parser)
    sr = args.sampling_rate

    start = time.perf_counter()
    reference, pitches = synthetic_notes(args.clips, args.seconds, sr)
    rng = np.random.default_rng(1)
    estimate = (0.9 * reference + 0.01 * rng.standard_normal(reference.shape)).astype(np.float32)
    print(f"synthesised 2 x {args.clips} clips of {args.seconds:g} s at {sr} Hz in {time.perf_counter() - start:.1f} s")

    core: list[tuple[str, float]] = []
    values = [
        timed("MR-STFT distance (512/1024/2048)", core, multi_resolution_stft_distance, reference, estimate),
        timed("log-mel L1", core, log_mel_l1, reference, estimate, sr),
        timed("SI-SDR (dB)", core, si_sdr, reference, estimate),
        timed("spectral flatness", core, spectral_flatness, estimate),
        timed("onset rate (/s)", core, onset_rate, estimate, sr),
        timed("chroma correlation", core, chroma_correlation, reference, estimate, sr),
        timed("pitch-class clarity", core, pitch_class_clarity, estimate, sr),
    ]
    total = sum(seconds for _, seconds in core)
    combined: list[tuple[str, float]] = []
    timed("evaluate_pairs (all of the above, shared spectrograms)", combined, evaluate_pairs, reference, estimate, sr)

    extra: list[tuple[str, float]] = []
    features_ref = timed("log-spectrum features (both sets)", extra, log_spectrum_features, reference, sr)
    features_est = log_spectrum_features(estimate, sr)
    ndb_result = timed("NDB (k=50)", extra, ndb, features_ref, features_est, k=50)
    timed("Fréchet distance (on the 1024-D features)", extra, frechet_distance, features_ref, features_est)

    print(f"\nmachine: {machine()}; {datetime.date.today()}\n")
    print(f"| metric ({args.clips} clips x {args.seconds:g} s @ {sr} Hz) | seconds | mean value |")
    print("| --- | --- | --- |")
    for (label, seconds), value in zip(core, values):
        print(f"| {label} | {seconds:.1f} | {np.nanmean(value):.3f} |")
    print(f"| **total, one metric at a time** | **{total:.1f}** | |")
    print(f"| **{combined[0][0]}** | **{combined[0][1]:.1f}** | |")
    for label, seconds in extra:
        print(f"| {label} | {seconds:.1f} | |")
    print(f"| (NDB/k of estimate vs reference: {ndb_result.fraction:.2f}) | | |")

    pyin_note = "pYIN skipped"
    if args.pyin_clips > 0:
        subset = slice(0, min(args.pyin_clips, args.clips))
        pyin_times = []
        for n_jobs in sorted({1, args.n_jobs}):
            start = time.perf_counter()
            pitch_accuracy_pyin(estimate[:n_jobs], sr, pitches[:n_jobs], n_jobs=n_jobs)  # start the processes
            print(f"pYIN warm-up (n_jobs={n_jobs}: process start, numba compile): {time.perf_counter() - start:.1f} s")
            start = time.perf_counter()
            result = pitch_accuracy_pyin(estimate[subset], sr, pitches[subset], n_jobs=n_jobs)
            pyin_times.append((n_jobs, (time.perf_counter() - start) / len(pitches[subset])))
        print(
            f"\npYIN pitch accuracy on {len(pitches[subset])} clips: {result.accuracy:.2f} "
            f"(voiced {result.voiced_fraction:.2f})"
        )
        for n_jobs, per_clip in pyin_times:
            print(
                f"| pYIN, n_jobs={n_jobs} | {per_clip:.2f} s/clip | ~{per_clip * args.clips / 60:.1f} min for "
                f"{args.clips} clips |"
            )
        pyin_note = "; ".join(f"pYIN {per_clip:.2f} s/clip (n_jobs={n_jobs})" for n_jobs, per_clip in pyin_times)

    if args.classifier and os.path.isdir(args.classifier):
        time_classifier_metrics(args.classifier, reference, estimate, sr)

    command = "python " + " ".join(sys.argv)
    breakdown = ", ".join(f"{label.split(' (')[0]} {seconds:.1f} s" for label, seconds in core)
    print(
        f"\n| {datetime.date.today()} | {machine()} | `{command}` | {args.clips} x {args.seconds:g} s @ {sr} Hz "
        f"without pYIN: **{combined[0][1]:.1f} s** with evaluate_pairs, {total:.1f} s one metric at a time "
        f"({breakdown}) | {pyin_note} |"
    )


if __name__ == "__main__":
    main()
