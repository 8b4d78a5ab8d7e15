"""Instantaneous frequency (IF): the phase representation GANSynth generates (Engel et al., 2019).

Raw STFT phase wraps around every 2 pi and looks like noise to a network; its time derivative, the
instantaneous frequency, is smooth and constant for a steady partial. Here the IF is the finite
difference along time of the phase unwrapped along time, divided by pi so it lies in [-1, 1]; the first
frame keeps the initial phase, so a cumulative sum gives the phase back exactly (modulo 2 pi).

Spectrograms have shape (..., freq, frames); every function is batched over the leading dims.
"""

from __future__ import annotations

import functools
import math

import librosa
import numpy as np
import torch

from .mel import nonnegative_inverse
from .spectral import check_spectrogram, istft, log_magnitude, magnitude_phase, polar_spectrogram, stft
from ..validation import check_positive_int
from .validation import check_frequency_range


def wrap_phase(phase: torch.Tensor) -> torch.Tensor:
    """Maps angles to [-pi, pi)."""
    return torch.remainder(phase + math.pi, 2 * math.pi) - math.pi


def unwrap_phase(phase: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Removes the 2 pi jumps along ``dim``: each step becomes the wrapped difference (|step| <= pi)."""
    steps = wrap_phase(phase.diff(dim=dim))
    first = phase.narrow(dim, 0, 1)
    return torch.cat([first, first + steps.cumsum(dim)], dim=dim)


def instantaneous_frequency(phase: torch.Tensor, time_axis: int = -1) -> torch.Tensor:
    """IF = diff(unwrap(phase)) / pi along ``time_axis``, the first frame keeping ``phase / pi``.

    The difference of the unwrapped phase equals the wrapped difference of the phase, which is how it
    is computed here (no large unwrapped values, so no float32 drift). The result is in [-1, 1]
    whenever the first frame is in [-pi, pi], as it is for STFT phases and for their mel averages.
    """
    steps = wrap_phase(phase.diff(dim=time_axis))
    return torch.cat([phase.narrow(time_axis, 0, 1), steps], dim=time_axis) / math.pi


def phase_from_instantaneous_frequency(if_: torch.Tensor, time_axis: int = -1) -> torch.Tensor:
    """Inverse of :func:`instantaneous_frequency`: ``cumsum(if_ * pi)``, the phase unwrapped along time."""
    return torch.cumsum(if_ * math.pi, dim=time_axis)


def _check_pair(log_mag: torch.Tensor, if_: torch.Tensor) -> None:
    check_spectrogram(log_mag, name="log_mag")
    check_spectrogram(if_, name="if_")
    if log_mag.shape != if_.shape:
        raise ValueError(f"log_mag {tuple(log_mag.shape)} and if_ {tuple(if_.shape)} must have the same shape")


def mag_if_from_audio(
    audio: torch.Tensor,
    n_fft: int,
    hop_length: int,
    win_length: int | None = None,
    window: str = "hann",
    center: bool = True,
    eps: float = 1e-6,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Audio (..., samples) -> (log-magnitude, IF), each (..., n_fft // 2 + 1, frames)."""
    spec = stft(audio, n_fft, hop_length, win_length=win_length, window=window, center=center)
    _, phase = magnitude_phase(spec)
    return log_magnitude(spec, eps), instantaneous_frequency(phase)


def audio_from_mag_if(
    log_mag: torch.Tensor,
    if_: torch.Tensor,
    n_fft: int,
    hop_length: int,
    length: int | None = None,
    win_length: int | None = None,
    window: str = "hann",
    center: bool = True,
) -> torch.Tensor:
    """Inverse of :func:`mag_if_from_audio`: integrate the IF to phase, then inverse STFT -> (..., samples)."""
    _check_pair(log_mag, if_)
    spec = polar_spectrogram(log_mag.exp(), phase_from_instantaneous_frequency(if_))
    return istft(spec, n_fft, hop_length, length=length, win_length=win_length, window=window, center=center)


@functools.lru_cache(maxsize=16)
def _mel_warp_matrices(
    sampling_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float
) -> tuple[np.ndarray, np.ndarray]:
    """``(warp, unwarp)``: (n_mels, freq) and (freq, n_mels) float32 matrices between the two axes.

    ``warp`` rows are triangles centred on mel-spaced frequencies (endpoints included), each at least one
    FFT bin wide on either side, normalised to sum to 1: a mel band is a weighted average of bins,
    which is linear interpolation where bands are denser than bins and averaging where they are
    sparser. Averages keep each band's phase steps within [-pi, pi], so the mel IF stays in [-1, 1].
    ``unwarp`` is the least-squares inverse (pseudo-inverse): exact wherever bands are at least as dense
    as bins. (Interpolating back instead loses ~35 dB there: neighbouring bins of one partial differ in
    phase by about pi, and interpolation mixes them.)
    """
    centers = librosa.mel_frequencies(n_mels, fmin=fmin, fmax=fmax)
    bins = np.linspace(0.0, sampling_rate / 2, n_fft // 2 + 1)
    bin_width = sampling_rate / n_fft
    spacing = np.diff(centers)
    lower = centers - np.maximum(np.concatenate([spacing[:1], spacing]), bin_width)
    upper = centers + np.maximum(np.concatenate([spacing, spacing[-1:]]), bin_width)
    rising = (bins[None] - lower[:, None]) / (centers - lower)[:, None]
    falling = (upper[:, None] - bins[None]) / (upper - centers)[:, None]
    warp = np.clip(np.minimum(rising, falling), 0.0, None)
    warp /= warp.sum(axis=1, keepdims=True)
    unwarp = np.linalg.pinv(warp.astype(np.float64))
    return warp.astype(np.float32), unwarp.astype(np.float32)


def mel_warp_matrices(
    sampling_rate: int,
    n_fft: int,
    n_mels: int,
    fmin: float = 0.0,
    fmax: float | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The linear<->mel frequency warp used by the mel-IF representation; see :func:`_mel_warp_matrices`."""
    sampling_rate, fmin, fmax = check_frequency_range(sampling_rate, fmin, fmax)
    n_fft = check_positive_int(n_fft, "n_fft")
    n_mels = check_positive_int(n_mels, "n_mels")
    if n_mels < 2:
        raise ValueError(f"n_mels must be >= 2 for a frequency warp; got {n_mels}")
    warp, unwarp = _mel_warp_matrices(sampling_rate, n_fft, n_mels, fmin, fmax)
    return torch.tensor(warp, device=device, dtype=dtype), torch.tensor(unwarp, device=device, dtype=dtype)


def mel_if_from_audio(
    audio: torch.Tensor,
    sampling_rate: int,
    n_fft: int,
    hop_length: int,
    n_mels: int | None = None,
    fmin: float = 0.0,
    fmax: float | None = None,
    win_length: int | None = None,
    window: str = "hann",
    center: bool = True,
    eps: float = 1e-6,
) -> tuple[torch.Tensor, torch.Tensor]:
    """GANSynth's IF-Mel: audio (..., samples) -> (log mel magnitude, mel IF), each (..., n_mels, frames).

    The magnitude and the time-unwrapped phase are both warped onto the mel axis, and the IF is taken
    from the warped phase. ``n_mels=None`` keeps as many bands as linear bins (GANSynth's choice): finer
    than the bins at low frequencies, coarser at high ones, where detail is lost.
    """
    spec = stft(audio, n_fft, hop_length, win_length=win_length, window=window, center=center)
    n_mels = spec.shape[-2] if n_mels is None else n_mels
    warp, _ = mel_warp_matrices(sampling_rate, n_fft, n_mels, fmin, fmax, spec.device, spec.real.dtype)
    magnitude, phase = magnitude_phase(spec)
    mel_phase = warp @ unwrap_phase(phase)  # (..., n_mels, frames)
    return log_magnitude(warp @ magnitude, eps), instantaneous_frequency(mel_phase)


def audio_from_mel_if(
    log_mel_mag: torch.Tensor,
    mel_if: torch.Tensor,
    sampling_rate: int,
    n_fft: int,
    hop_length: int,
    fmin: float = 0.0,
    fmax: float | None = None,
    length: int | None = None,
    win_length: int | None = None,
    window: str = "hann",
    center: bool = True,
    n_iter: int = 50,
) -> torch.Tensor:
    """Inverse of :func:`mel_if_from_audio` -> (..., samples).

    The mel IF is integrated to mel phase and mapped back to linear frequency with the least-squares
    inverse of the warp; the magnitude is unwarped by non-negative least squares (``n_iter`` steps).
    Near-exact (measured 46 dB SNR on a 220 Hz harmonic note) for content where mel bands are at least
    as dense as FFT bins: below about 2.8 kHz at 16 kHz with ``n_mels = n_fft // 2 + 1``. Above that,
    phase detail is lost: white noise comes back at about 1 dB SNR, spectral convergence 0.48.
    """
    _check_pair(log_mel_mag, mel_if)
    warp, unwarp = mel_warp_matrices(
        sampling_rate, n_fft, log_mel_mag.shape[-2], fmin, fmax, log_mel_mag.device, log_mel_mag.dtype
    )
    phase = unwarp @ phase_from_instantaneous_frequency(mel_if)  # (..., freq, frames)
    magnitude = nonnegative_inverse(warp, log_mel_mag.exp(), n_iter)
    spec = polar_spectrogram(magnitude, phase)
    return istft(spec, n_fft, hop_length, length=length, win_length=win_length, window=window, center=center)
