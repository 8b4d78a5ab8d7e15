"""Pitch metrics: pYIN pitch accuracy and frame agreement, and classifier-based accuracy and entropy.

pYIN (Mauch & Dixon 2014, ``librosa.pyin``) costs about 0.1 s per 4-s clip over a two-octave search
range and 0.6 s over C2-C7 on one core; clips run in parallel processes with ``n_jobs`` (starting
them costs ~10 s, so parallelism pays off for hundreds of clips on otherwise idle cores).
The classifier metrics take probabilities from any note classifier (GANSynth, Engel et al. 2019).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import joblib
import librosa
import numpy as np

from ..audio.pitch import hz_to_midi, midi_to_hz
from ._inputs import AudioSet, as_clip_set, as_paired_sets, check_matrix, check_probabilities, common_sampling_rate

PYIN_FMIN = 65.40639  # C2, librosa's suggested pYIN range
PYIN_FMAX = 2093.0045  # C7


@dataclass
class PitchAccuracy:
    """Result of :func:`pitch_accuracy_pyin`.

    Args:
        accuracy: fraction of clips whose median voiced pitch is within the tolerance of the target
            (a clip with no voiced frame counts as wrong).
        voiced_fraction: fraction of clips with at least one voiced frame.
        median_midi: (N,) median pYIN pitch per clip as fractional MIDI; NaN where unvoiced.
        cents_error: (N,) median pitch minus target in cents; NaN where unvoiced.
        correct: (N,) whether each clip is within the tolerance.
    """

    accuracy: float
    voiced_fraction: float
    median_midi: np.ndarray
    cents_error: np.ndarray
    correct: np.ndarray


def _frame_length(sampling_rate: int, fmin: float) -> int:
    """Power of two spanning about 128 ms (2048 samples at 16 kHz) and two periods of ``fmin``
    (pYIN needs them to find it). Fixed sample counts fail: librosa's pYIN rejects 2048 at 8 kHz."""
    samples = max(2048 * sampling_rate / 16000, 2.0 * sampling_rate / fmin + 1.0)
    return 2 ** int(np.ceil(np.log2(samples)))


def _pyin(clip: np.ndarray, sampling_rate: int, fmin: float, fmax: float) -> tuple[np.ndarray, np.ndarray]:
    """(f0 in Hz, NaN where unvoiced; voiced flags) per frame of one clip."""
    f0, voiced, _ = librosa.pyin(
        clip, fmin=fmin, fmax=fmax, sr=sampling_rate, frame_length=_frame_length(sampling_rate, fmin)
    )
    return np.where(voiced, f0, np.nan), voiced


def _pyin_all(
    clips: list[np.ndarray], sampling_rate: int, ranges: list[tuple[float, float]], n_jobs: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    calls = (joblib.delayed(_pyin)(clip, sampling_rate, fmin, fmax) for clip, (fmin, fmax) in zip(clips, ranges))
    return joblib.Parallel(n_jobs=n_jobs)(calls)


def _cents(f_a: np.ndarray, f_b: np.ndarray) -> np.ndarray:
    return 1200.0 * np.log2(np.asarray(f_a, dtype=np.float64) / np.asarray(f_b, dtype=np.float64))


def _check_targets(target: object, count: int, name: str) -> np.ndarray:
    targets = np.asarray(target, dtype=np.float64)
    if targets.ndim == 0:
        targets = np.full(count, float(targets))
    if targets.shape != (count,):
        raise ValueError(f"{name} must be one value or one per clip ({count}); got shape {targets.shape}")
    if not np.all(np.isfinite(targets)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return targets


def pitch_accuracy_pyin(
    audios: AudioSet,
    sampling_rate: int | None,
    target_midi: float | Sequence[float],
    tolerance_cents: float = 50.0,
    search_octaves: float = 1.0,
    n_jobs: int = 1,
) -> PitchAccuracy:
    """Fraction of clips whose pYIN pitch matches the target note (GANSynth-style pitch accuracy without a classifier).

    Each clip's pitch is the median pYIN f0 over its voiced frames, searched within
    ``search_octaves`` of the clip's target (so octave errors still count as wrong); it is correct
    within ``tolerance_cents`` of ``target_midi`` (one MIDI number, or one per clip). Clips with no
    voiced frame count as wrong; ``voiced_fraction`` says how many had one.
    ``n_jobs`` processes run pYIN in parallel (-1: all cores).
    """
    clip_set = as_clip_set(audios)
    sampling_rate = common_sampling_rate(sampling_rate, clip_set)
    targets = _check_targets(target_midi, len(clip_set), "target_midi")
    if not search_octaves > 0:
        raise ValueError(f"search_octaves must be > 0; got {search_octaves!r}")
    low = midi_to_hz(targets - 12.0 * search_octaves)
    high = np.minimum(midi_to_hz(targets + 12.0 * search_octaves), 0.45 * sampling_rate)  # below Nyquist
    if np.any(high <= low):
        raise ValueError(f"target_midi up to {targets.max():g} is too high to find at {sampling_rate} Hz")
    tracks = _pyin_all(clip_set.clips, sampling_rate, list(zip(low.tolist(), high.tolist())), n_jobs)
    medians = np.array([np.nanmedian(f0) if voiced.any() else np.nan for f0, voiced in tracks])
    with np.errstate(invalid="ignore"):
        cents_error = _cents(medians, midi_to_hz(targets))
        correct = np.abs(cents_error) <= tolerance_cents  # NaN (unvoiced) compares False
    return PitchAccuracy(
        accuracy=float(correct.mean()),
        voiced_fraction=float(np.isfinite(medians).mean()),
        median_midi=hz_to_midi(medians),
        cents_error=cents_error,
        correct=correct,
    )


def frame_pitch_agreement(
    reference: AudioSet,
    estimate: AudioSet,
    sampling_rate: int | None,
    cents: float = 50.0,
    fmin: float = PYIN_FMIN,
    fmax: float = PYIN_FMAX,
    n_jobs: int = 1,
) -> float | np.ndarray:
    """Fraction of the reference's voiced frames where the estimate's pYIN pitch is within ``cents`` of it.

    For vocoder / resynthesis checks on time-aligned clips of equal length: frames where the
    estimate is unvoiced count as disagreement. NaN for a clip whose reference has no voiced frame.
    """
    ref_set, est_set = as_paired_sets(reference=reference, estimate=estimate)
    sampling_rate = common_sampling_rate(sampling_rate, ref_set, est_set)
    n = len(ref_set)
    tracks = _pyin_all(ref_set.clips + est_set.clips, sampling_rate, [(fmin, fmax)] * (2 * n), n_jobs)
    agreement = np.empty(n, dtype=np.float64)
    for index, ((f_ref, voiced_ref), (f_est, _)) in enumerate(zip(tracks[:n], tracks[n:])):
        with np.errstate(invalid="ignore"):
            match = np.abs(_cents(f_est[voiced_ref], f_ref[voiced_ref])) <= cents
        agreement[index] = match.mean() if match.size else np.nan
    return ref_set.output(agreement)


def pitch_accuracy_classifier(probs: object, target: object, classes: Sequence[int] | None = None) -> float:
    """Fraction of clips whose most probable class is the target pitch (GANSynth, Engel et al. 2019).

    ``probs`` (N, K) may be probabilities or logits. ``target`` holds class indices, or labels
    (e.g. MIDI numbers) when ``classes`` maps each class index to its label.
    """
    scores = check_matrix(probs, "probs")
    targets = np.asarray(target)
    if targets.shape != (scores.shape[0],):
        raise ValueError(f"target must hold one label per row of probs ({scores.shape[0]}); got shape {targets.shape}")
    labels = np.arange(scores.shape[1]) if classes is None else np.asarray(classes)
    if labels.shape != (scores.shape[1],):
        raise ValueError(f"classes must name each of the {scores.shape[1]} classes; got shape {labels.shape}")
    return float(np.mean(labels[scores.argmax(axis=1)] == targets))


def pitch_entropy(probs: object) -> float:
    """Entropy (nats) of the mean predicted pitch distribution ``H(E_x p(y|x))`` (GANSynth's diversity check).

    ``log K`` when the predictions cover K pitches evenly; 0 when every clip gets the same pitch.
    """
    marginal = check_probabilities(probs).mean(axis=0)
    return float(-np.sum(marginal[marginal > 0] * np.log(marginal[marginal > 0])))
