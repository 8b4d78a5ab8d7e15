"""Constant-Q transform (numpy in, numpy out) through librosa.

The CQT's bins are geometrically spaced (a fixed number per octave), so every musical pitch gets the same
resolution: the natural input for pitch-aware models and timbre features. It runs on the CPU; it is a
feature and evaluation tool, not something to put inside a training graph.
"""

from __future__ import annotations

import librosa
import numpy as np

from ..validation import check_positive_int, check_sampling_rate
from .validation import check_waveform


def _check_cqt_params(
    sampling_rate: int, hop_length: int, n_bins: int, bins_per_octave: int, fmin: float | None
) -> tuple[int, int, int, int, float]:
    """Checks the settings shared by :func:`cqt` and :func:`icqt`; ``fmin=None`` is C1 (32.70 Hz)."""
    sampling_rate = check_sampling_rate(sampling_rate)
    hop_length = check_positive_int(hop_length, "hop_length")
    n_bins = check_positive_int(n_bins, "n_bins")
    bins_per_octave = check_positive_int(bins_per_octave, "bins_per_octave")
    fmin = float(librosa.note_to_hz("C1")) if fmin is None else float(fmin)
    if not fmin > 0:
        raise ValueError(f"fmin must be > 0 Hz; got {fmin}")
    fmax = fmin * 2.0 ** ((n_bins - 1) / bins_per_octave)
    if fmax >= sampling_rate / 2:
        raise ValueError(
            f"the highest CQT bin ({fmax:.1f} Hz = fmin {fmin:.1f} Hz * 2 ** ((n_bins - 1) / bins_per_octave)) "
            f"must lie below Nyquist ({sampling_rate / 2} Hz); lower fmin or n_bins"
        )
    return sampling_rate, hop_length, n_bins, bins_per_octave, fmin


def cqt(
    audio: np.ndarray,
    sampling_rate: int,
    hop_length: int = 512,
    n_bins: int = 84,
    bins_per_octave: int = 12,
    fmin: float | None = None,
) -> np.ndarray:
    """Complex CQT: (samples,) or (channels, samples) -> (..., n_bins, frames), complex64.

    librosa halves the rate once per octave, so ``hop_length`` should be divisible by
    ``2 ** (octaves - 1)`` for exact framing; librosa raises otherwise (reported here as ``ValueError``).
    """
    audio = check_waveform(audio)
    sampling_rate, hop_length, n_bins, bins_per_octave, fmin = _check_cqt_params(
        sampling_rate, hop_length, n_bins, bins_per_octave, fmin
    )
    try:
        spec = librosa.cqt(
            audio, sr=sampling_rate, hop_length=hop_length, fmin=fmin, n_bins=n_bins, bins_per_octave=bins_per_octave
        )
    except librosa.util.exceptions.ParameterError as error:
        raise ValueError(f"invalid CQT settings: {error}") from error
    return spec.astype(np.complex64, copy=False)


def cqt_magnitude(
    audio: np.ndarray,
    sampling_rate: int,
    hop_length: int = 512,
    n_bins: int = 84,
    bins_per_octave: int = 12,
    fmin: float | None = None,
) -> np.ndarray:
    """|CQT|, float32 (..., n_bins, frames)."""
    return np.abs(cqt(audio, sampling_rate, hop_length, n_bins, bins_per_octave, fmin))


def log_cqt(
    audio: np.ndarray,
    sampling_rate: int,
    hop_length: int = 512,
    n_bins: int = 84,
    bins_per_octave: int = 12,
    fmin: float | None = None,
    eps: float = 1e-6,
) -> np.ndarray:
    """``log(max(|CQT|, eps))``, float32 (..., n_bins, frames); the clamp keeps silence finite."""
    if eps <= 0:
        raise ValueError(f"eps must be > 0 so that log stays finite; got {eps}")
    magnitude = cqt_magnitude(audio, sampling_rate, hop_length, n_bins, bins_per_octave, fmin)
    return np.log(np.maximum(magnitude, eps)).astype(np.float32)


def icqt(
    spec: np.ndarray,
    sampling_rate: int,
    hop_length: int = 512,
    bins_per_octave: int = 12,
    fmin: float | None = None,
    length: int | None = None,
) -> np.ndarray:
    """Inverse CQT of a complex (..., n_bins, frames) CQT -> float32 (..., samples).

    Pass the settings used for :func:`cqt`. The CQT is not a tight frame, so reconstruction is
    approximate (see the tests for the measured SNR).
    """
    spec = np.asarray(spec)
    if not np.iscomplexobj(spec) or spec.ndim < 2 or spec.size == 0:
        raise ValueError(
            f"spec must be a non-empty complex CQT of shape (..., n_bins, frames); got {spec.dtype} {spec.shape}"
        )
    sampling_rate, hop_length, _, bins_per_octave, fmin = _check_cqt_params(
        sampling_rate, hop_length, spec.shape[-2], bins_per_octave, fmin
    )
    if length is not None:
        length = check_positive_int(length, "length")
    try:
        audio = librosa.icqt(
            spec, sr=sampling_rate, hop_length=hop_length, fmin=fmin, bins_per_octave=bins_per_octave, length=length
        )
    except librosa.util.exceptions.ParameterError as error:
        raise ValueError(f"invalid CQT settings: {error}") from error
    return audio.astype(np.float32, copy=False)
