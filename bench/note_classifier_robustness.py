"""How the reference note classifier's family accuracy holds up when the audio is degraded.

    python bench/note_classifier_robustness.py [--model pipelines/note-classifier] [--clips 44]

The family checks of the generators (AudioGen's >= 80% goal) classify audio that went through a
codec or a GAN, so the classifier must not mistake an instrument for another once some noise or
a duller top end is added. Held-out notes (``_heldout.held_out_notes``) are classified clean and
after each degradation: white noise at a given SNR, a 6th-order Butterworth low-pass, 8-bit mu-law
and a gain change (which should change nothing: the classifier normalises loudness).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.signal
import torch
from _common import bench_parser, machine_line, parse_bench_args
from _heldout import held_out_notes

from hfsynth.audio.mulaw import mulaw_decode, mulaw_encode
from hfsynth.evaluation import ClassifierEvaluator

Degradation = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def white_noise(snr_db: float) -> Degradation:
    def degrade(clips: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        level = np.sqrt((clips**2).mean(axis=1, keepdims=True)) * 10.0 ** (-snr_db / 20.0)
        return clips + level * rng.standard_normal(clips.shape)

    return degrade


def low_pass(cutoff_hz: float, sampling_rate: int) -> Degradation:
    sos = scipy.signal.butter(6, cutoff_hz, fs=sampling_rate, output="sos")
    return lambda clips, rng: scipy.signal.sosfilt(sos, clips, axis=1)


def degradations(sampling_rate: int) -> dict[str, Degradation]:
    return {
        "clean": lambda clips, rng: clips,
        "white noise, 60 dB SNR": white_noise(60.0),
        "white noise, 40 dB SNR": white_noise(40.0),
        "white noise, 30 dB SNR": white_noise(30.0),
        "white noise, 20 dB SNR": white_noise(20.0),
        "low-pass 6 kHz": low_pass(6000.0, sampling_rate),
        "low-pass 4 kHz": low_pass(4000.0, sampling_rate),
        "8-bit mu-law": lambda clips, rng: mulaw_decode(mulaw_encode(torch.from_numpy(clips))).numpy(),
        "gain x 1/3": lambda clips, rng: clips / 3.0,
    }


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--model", default="pipelines/note-classifier")
    parser.add_argument("--clips", type=int, default=44, help="held-out notes (4 per family at 44)")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parse_bench_args(parser)
    classifier = ClassifierEvaluator.from_pretrained(args.model)
    rate = classifier.model.config.sampling_rate
    notes, families = held_out_notes(args.clips, args.seconds, rate, args.seed)
    clean = notes.numpy().astype(np.float64)
    print(machine_line())
    print(f"classifier {args.model}: {len(families)} held-out notes of {args.seconds:g} s\n")
    print("| audio | family accuracy |")
    print("| --- | --- |")
    for name, degrade in degradations(rate).items():
        clips = degrade(clean, np.random.default_rng(args.seed)).astype(np.float32)
        accuracy = classifier.score(list(clips), rate).family_accuracy(families)
        print(f"| {name} | {accuracy:.2f} |", flush=True)


if __name__ == "__main__":
    main()
