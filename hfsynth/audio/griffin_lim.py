"""Phase recovery from a magnitude spectrogram: fast Griffin-Lim (Perraudin, Balazs & Sondergaard, 2013).

Models that generate magnitudes only (mel spectrograms through :func:`hfsynth.audio.mel.mel_to_linear`,
style transfer on spectrograms) need a phase to be heard. Griffin-Lim alternates two projections,
onto spectrograms with the target magnitude and onto spectrograms of some real signal (STFT of the
iSTFT); the fast variant adds a momentum step (alpha = 0.99 in the paper) that converges far faster.
"""

from __future__ import annotations

import math

import torch

from .metrics import spectral_convergence  # noqa: F401  (re-exported: GL's quality measure)
from .spectral import check_spectrogram, istft, stft
from ..validation import check_finite_number, check_positive_int
from .validation import check_stft_sizes


def griffin_lim(
    magnitude: torch.Tensor,
    n_fft: int,
    hop_length: int,
    n_iter: int = 64,
    momentum: float = 0.99,
    length: int | None = None,
    generator: torch.Generator | None = None,
    win_length: int | None = None,
    window: str = "hann",
    center: bool = True,
) -> torch.Tensor:
    """Audio (..., samples) whose STFT magnitude approximates ``magnitude`` (..., n_fft // 2 + 1, frames).

    Args:
        n_iter: projection rounds; more gives lower :func:`spectral_convergence`.
        momentum: the fast-GL extrapolation weight in [0, 1); 0 is the original Griffin-Lim.
        length: samples to return (the original length, if known).
        generator: seeds the random initial phase; the same generator state gives the same audio.
    """
    magnitude = check_spectrogram(magnitude, n_fft, name="magnitude")
    if magnitude.is_complex():
        raise ValueError("magnitude must be real and non-negative; pass spec.abs() for a complex spectrogram")
    n_fft, hop_length, win_length = check_stft_sizes(n_fft, hop_length, win_length)
    n_iter = check_positive_int(n_iter, "n_iter")
    if not 0.0 <= check_finite_number(momentum, "momentum") < 1.0:
        raise ValueError(f"momentum must be in [0, 1); got {momentum}")
    frames = magnitude.shape[-1]
    if length is not None:
        length = check_positive_int(length, "length")
        length_frames = length // hop_length + 1 if center else (length - n_fft) // hop_length + 1
        if length_frames != frames:
            raise ValueError(
                f"length={length} gives {length_frames} frames at hop_length={hop_length}; magnitude has {frames}"
            )
    framing = dict(win_length=win_length, window=window, center=center)

    def consistent(spec: torch.Tensor) -> torch.Tensor:
        """Projection onto spectrograms of a real signal: STFT of its inverse STFT."""
        return stft(istft(spec, n_fft, hop_length, length=length, **framing), n_fft, hop_length, **framing)

    random_device = generator.device if generator is not None else magnitude.device
    angles = torch.rand(magnitude.shape, generator=generator, device=random_device, dtype=magnitude.dtype)
    estimate = torch.polar(magnitude, 2 * math.pi * angles.to(magnitude.device))
    previous = projected = estimate
    for _ in range(n_iter):
        # The target magnitude with the phase of the nearest consistent spectrogram.
        projected = torch.polar(magnitude, consistent(estimate).angle())
        estimate = projected + momentum * (projected - previous)
        previous = projected
    return istft(projected, n_fft, hop_length, length=length, **framing)
