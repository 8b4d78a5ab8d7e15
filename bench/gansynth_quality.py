"""The GANSynth issue's measurements of a trained generator, in one run.

    python bench/gansynth_quality.py --model pipelines/gansynth-small [--notes 200]

1. Pitch: ``--notes`` notes at random pitches of the model's range and random latents; the
   fraction whose pYIN median pitch is within 50 cents of the requested one (goal >= 0.85), and
   the note classifier's pitch accuracy on them (``pipelines/note-classifier``); both also for as
   many real training notes, the value a generator that matched its data would get.
2. Diversity: NDB/k (Richardson & Weiss 2018) of the generated notes against the training notes
   (``configs/gansynth_small.yaml``'s data), next to the NDB/k of as many *real* training notes
   drawn at random (the value a perfect generator would get with this sample size).
3. Timbre consistency: one latent plays 12 pitches; the spread of their spectral envelopes
   (MFCC 1-19 averaged over the note, standard deviation across the 12 pitches) is compared with
   12 pitches each played by a different latent. One latent should be the more consistent. The same
   comparison on real training notes (one instrument against a random instrument per pitch) shows
   how large that gap is when the timbre really is held.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np
import torch
import yaml
from _common import bench_parser, machine_line, parse_bench_args, write_report

from hfsynth.data import as_torch, build_note_dataset
from hfsynth.data.notes import NoteDatasetConfig
from hfsynth.evaluation.classifier import ClassifierEvaluator
from hfsynth.evaluation.ndb import log_spectrum_features, ndb
from hfsynth.evaluation.pitch import pitch_accuracy_pyin
from hfsynth.models.gansynth import GANSynthPipeline

TIMBRE_PITCHES = 12


def generate(pipe: GANSynthPipeline, pitches: np.ndarray, latents: torch.Tensor) -> list[np.ndarray]:
    """One note per (pitch, latent) row."""
    return [pipe(int(pitch), latents=latent).audios[0] for pitch, latent in zip(pitches, latents)]


@dataclass
class TrainingNotes:
    """The training config's note set: clips and, per clip, its MIDI pitch, program and velocity."""

    clips: list[np.ndarray]
    pitches: np.ndarray
    instruments: np.ndarray
    velocities: np.ndarray

    def clip(self, pitch: int, instrument: int, velocity: int) -> np.ndarray:
        index = np.flatnonzero((self.pitches == pitch) & (self.instruments == instrument) & (self.velocities == velocity))
        return self.clips[index[0]]


def training_notes(config_path: str, sampling_rate: int) -> TrainingNotes:
    data = yaml.safe_load(Path(config_path).read_text())["recipe_args"]["data"]
    dataset = build_note_dataset(NoteDatasetConfig(sampling_rate=sampling_rate, **data), cache_dir="cache/datasets")
    columns = as_torch(dataset, sampling_rate, columns=["audio", "pitch", "instrument", "velocity"])
    return TrainingNotes([clip.numpy() for clip in columns["audio"]], np.asarray(columns["pitch"]),
                         np.asarray(columns["instrument"]), np.asarray(columns["velocity"]))


def envelope_spread(notes: list[np.ndarray], sampling_rate: int) -> float:
    """Mean over MFCC 1-19 of their standard deviation across ``notes`` (each averaged over time)."""
    envelopes = [librosa.feature.mfcc(y=note, sr=sampling_rate, n_mfcc=20)[1:].mean(axis=1) for note in notes]
    return float(np.std(np.stack(envelopes), axis=0).mean())


def timbre_pitches(low: int, high: int) -> np.ndarray:
    return np.linspace(low, high, TIMBRE_PITCHES).round().astype(int)


def timbre_consistency(pipe: GANSynthPipeline, pitches: np.ndarray, trials: int) -> tuple[float, float]:
    """(mean spread with one latent per trial, mean spread with a new latent per note)."""
    same, mixed = [], []
    for trial in range(trials):
        one = pipe.model.sample_latents(1, torch.Generator().manual_seed(1000 + trial)).repeat(TIMBRE_PITCHES, 1)
        many = pipe.model.sample_latents(TIMBRE_PITCHES, torch.Generator().manual_seed(2000 + trial))
        rate = pipe.config.sampling_rate
        same.append(envelope_spread(generate(pipe, pitches, one), rate))
        mixed.append(envelope_spread(generate(pipe, pitches, many), rate))
    return float(np.mean(same)), float(np.mean(mixed))


def real_timbre_consistency(
    real: TrainingNotes, pitches: np.ndarray, sampling_rate: int, trials: int, seed: int
) -> tuple[float, float]:
    """(mean spread of one instrument at ``pitches``, mean spread of a random instrument per pitch), each
    trial at one random velocity: the gap that holding the timbre makes in real notes."""
    rng = np.random.default_rng(seed)
    instruments, velocities = np.unique(real.instruments), np.unique(real.velocities)
    same, mixed = [], []
    for _ in range(trials):
        velocity, instrument = rng.choice(velocities), rng.choice(instruments)
        one = [real.clip(pitch, instrument, velocity) for pitch in pitches]
        many = [real.clip(pitch, rng.choice(instruments), velocity) for pitch in pitches]
        same.append(envelope_spread(one, sampling_rate))
        mixed.append(envelope_spread(many, sampling_rate))
    return float(np.mean(same)), float(np.mean(mixed))


def by_octave(pyin, pitches: np.ndarray) -> list[str]:
    """Markdown rows: the pYIN result per octave of requested pitch (where GANSynth fails is telling)."""
    rows = ["| requested pitches | notes | pYIN within 50 cents | unvoiced |", "| --- | --- | --- | --- |"]
    correct, unvoiced = np.asarray(pyin.correct), np.isnan(np.asarray(pyin.median_midi))
    for low in range(int(pitches.min()) // 12 * 12, int(pitches.max()) + 1, 12):
        chosen = (pitches >= low) & (pitches < low + 12)
        if chosen.any():
            rows.append(f"| {low}-{low + 11} | {int(chosen.sum())} | {correct[chosen].mean():.2f} | "
                        f"{unvoiced[chosen].mean():.2f} |")
    return rows


def main() -> None:
    parser = bench_parser(__doc__, report=True)
    parser.add_argument("--model", required=True, help="a GANSynth folder")
    parser.add_argument("--config", default="configs/gansynth_small.yaml", help="its training config (for NDB)")
    parser.add_argument("--classifier", default="pipelines/note-classifier")
    parser.add_argument("--notes", type=int, default=200)
    parser.add_argument("--ndb-bins", type=int, default=20)
    parser.add_argument("--timbre-trials", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parse_bench_args(parser)

    pipe = GANSynthPipeline.from_pretrained(args.model)
    rate, rng = pipe.config.sampling_rate, np.random.default_rng(args.seed)
    pitches = rng.integers(pipe.config.pitch_min, pipe.config.pitch_max + 1, size=args.notes)
    latents = pipe.model.sample_latents(args.notes, torch.Generator().manual_seed(args.seed))
    timbre_notes = timbre_pitches(pipe.config.pitch_min, pipe.config.pitch_max)
    with torch.inference_mode():
        notes = generate(pipe, pitches, latents)
        same, mixed = timbre_consistency(pipe, timbre_notes, args.timbre_trials)
    pyin = pitch_accuracy_pyin(notes, rate, pitches)
    evaluator = ClassifierEvaluator.from_pretrained(args.classifier)
    classifier = evaluator.score(notes, rate).pitch_accuracy(pitches)

    training = training_notes(args.config, rate)
    real, real_pitches = training.clips, training.pitches
    real_same, real_mixed = real_timbre_consistency(training, timbre_notes, rate, args.timbre_trials, args.seed)
    real_features = log_spectrum_features(real, rate)
    generated_ndb = ndb(real_features, log_spectrum_features(notes, rate), k=args.ndb_bins)
    sample = rng.choice(len(real), size=min(args.notes, len(real)), replace=False)
    real_ndb = ndb(real_features, real_features[sample], k=args.ndb_bins)
    real_sample, real_sample_pitches = [real[i] for i in sample], real_pitches[sample]
    real_pyin = pitch_accuracy_pyin(real_sample, rate, real_sample_pitches)
    real_classifier = evaluator.score(real_sample, rate).pitch_accuracy(real_sample_pitches)

    print(machine_line())
    print(f"model {args.model}: {args.notes} notes at random pitches {pipe.config.pitch_min}-{pipe.config.pitch_max}, "
          f"seed {args.seed}\n")
    print("| measurement | value | reference |")
    print("|---|---|---|")
    print(f"| pYIN pitch within 50 cents | {pyin.accuracy:.3f} (voiced {pyin.voiced_fraction:.3f}) | goal >= 0.85; "
          f"{real_pyin.accuracy:.3f} (voiced {real_pyin.voiced_fraction:.3f}) for {len(sample)} real training notes |")
    print(f"| note-classifier pitch accuracy | {classifier:.3f} | {real_classifier:.3f} for the same real notes |")
    print(f"| NDB/k vs training notes (k={args.ndb_bins}) | {generated_ndb.fraction:.3f} | "
          f"{real_ndb.fraction:.3f} for {len(sample)} real training notes |")
    print(f"| spectral-envelope spread, one latent x {TIMBRE_PITCHES} pitches | {same:.2f} | "
          f"{mixed:.2f} with a latent per pitch ({args.timbre_trials} trials) |")
    print(f"| the same for real training notes, one instrument x {TIMBRE_PITCHES} pitches | {real_same:.2f} | "
          f"{real_mixed:.2f} with a random instrument per pitch ({args.timbre_trials} trials) |")
    print("\n" + "\n".join(by_octave(pyin, pitches)))
    if args.report:
        metrics = {"pyin_pitch_accuracy": pyin.accuracy, "pyin_voiced_fraction": pyin.voiced_fraction,
                   "classifier_pitch_accuracy": classifier, f"ndb_k{args.ndb_bins}": generated_ndb.fraction,
                   "pyin_pitch_accuracy_real": real_pyin.accuracy, "classifier_pitch_accuracy_real": real_classifier,
                   f"ndb_k{args.ndb_bins}_real_vs_real": real_ndb.fraction,
                   "envelope_spread_one_latent": same, "envelope_spread_latent_per_pitch": mixed,
                   "envelope_spread_real_one_instrument": real_same,
                   "envelope_spread_real_instrument_per_pitch": real_mixed}
        write_report(args.report, args.model, f"{args.notes} generated notes vs the notes of {args.config}",
                     "text-to-audio", args.notes, metrics)


if __name__ == "__main__":
    main()
