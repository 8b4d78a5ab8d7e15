"""Does AudioGen's codec keep what tells instruments apart? A linear probe on its reconstructions.

    python bench/audiogen_codec_timbre.py --codec runs/audiogen_codec_tiny_v2/final [--codec ANOTHER ...]

The note classifier names the family of only ~1 in 10 codec reconstructions (chance), but it
also loses half its accuracy to white noise at 30 dB SNR (bench/note_classifier_robustness.py),
so that alone cannot say whether the codec erased the timbre or the classifier is thrown by the
codec's artefacts. This bench asks with a probe trained for the purpose: a logistic regression on
each note's log-mel mean and spread over time, trained on notes of the eleven programs AudioGen
learns (velocities 50 and 100) and tested on other notes of them (velocity 75, other pitches):

* originals -> originals: how much the probe can read at all;
* codec -> codec: trained and tested on reconstructions: what the codec keeps;
* originals -> codec: trained on originals, tested on reconstructions: how far the codec moves
  the sound away from what a classifier of clean renders expects.
"""

from __future__ import annotations

import librosa
import numpy as np
import torch
from _common import bench_parser, machine_line, parse_bench_args
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from hfsynth.data import NoteDatasetConfig, as_torch, build_note_dataset
from hfsynth.data.notes import DEFAULT_PROGRAMS
from hfsynth.models.audiogen.codec_audiogen import load_codec
from hfsynth.modules.augmentation import codec_round_trip

RATE = 16000


def notes(velocities: tuple[int, ...], count: int, seconds: float, seed: int) -> tuple[torch.Tensor, np.ndarray]:
    """(count, samples) notes of AudioGen's programs and their families."""
    config = NoteDatasetConfig(programs=DEFAULT_PROGRAMS, pitches=(36, 84), velocities=velocities,
                               duration_in_s=(0.75 * seconds, seconds), max_examples=count, seed=seed)
    rows = as_torch(build_note_dataset(config, cache_dir=None), RATE, columns=["audio", "instrument_family"])
    rows = [rows[index] for index in range(len(rows))]
    return torch.stack([row["audio"] for row in rows]), np.array([int(row["instrument_family"]) for row in rows])


def features(clips: torch.Tensor) -> np.ndarray:
    """(N, 128): each clip's log-mel (64 bands) mean and standard deviation over time."""
    mel = librosa.feature.melspectrogram(y=clips.numpy(), sr=RATE, n_fft=1024, hop_length=256, n_mels=64)
    log_mel = np.log(mel + 1e-6)
    return np.concatenate([log_mel.mean(axis=-1), log_mel.std(axis=-1)], axis=-1)


def fit_probe(clips: torch.Tensor, families: np.ndarray) -> Pipeline:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.5)).fit(features(clips), families)


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--codec", action="append", required=True,
                        help="an EncodecModel or AudioGen folder (repeatable)")
    parser.add_argument("--train-notes", type=int, default=330)
    parser.add_argument("--test-notes", type=int, default=110)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parse_bench_args(parser)
    train_clips, train_families = notes((50, 100), args.train_notes, args.seconds, seed=3)
    test_clips, test_families = notes((75,), args.test_notes, args.seconds, seed=4)
    clean_probe = fit_probe(train_clips, train_families)
    print(machine_line())
    print(f"{len(train_families)} training / {len(test_families)} test notes of {args.seconds:g} s, 11 families "
          f"(chance 0.09)\n")
    print("| audio | originals -> originals | codec -> codec | originals -> codec |")
    print("| --- | --- | --- | --- |")
    print(f"| originals | {clean_probe.score(features(test_clips), test_families):.2f} | | |")
    for path in args.codec:
        codec = load_codec(path)
        train_codec, test_codec = codec_round_trip(codec, train_clips), codec_round_trip(codec, test_clips)
        kept = fit_probe(train_codec, train_families).score(features(test_codec), test_families)
        moved = clean_probe.score(features(test_codec), test_families)
        print(f"| codec {path} | | {kept:.2f} | {moved:.2f} |", flush=True)


if __name__ == "__main__":
    main()
