"""Reconstruction metrics shared by the DSP tests and the evaluation code."""

from __future__ import annotations

import torch

from .spectral import check_spectrogram
from .validation import check_audio_tensor


def snr_db(reference: torch.Tensor, estimate: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Signal-to-noise ratio ``10 log10(|reference|^2 / |reference - estimate|^2)`` over the last dim.

    Waveform SNR punishes any phase error, so it measures exact reconstructions (STFT, IF round trips),
    not perceptual quality. ``eps`` keeps a perfect or silent reconstruction finite.
    """
    reference, estimate = check_audio_tensor(reference, "reference"), check_audio_tensor(estimate, "estimate")
    if reference.shape != estimate.shape:
        raise ValueError(f"reference {tuple(reference.shape)} and estimate {tuple(estimate.shape)} differ")
    signal = reference.pow(2).sum(-1).clamp(min=eps)
    noise = (reference - estimate).pow(2).sum(-1).clamp(min=eps)
    return 10.0 * torch.log10(signal / noise)


def spectral_convergence(target_mag: torch.Tensor, estimate_mag: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """``||target - estimate||_F / ||target||_F`` over (freq, frames): (..., freq, frames) -> (...).

    0 is a perfect match. The denominator is clamped at ``eps``, so a silent target gives a finite value
    (0 for a silent estimate), never NaN.
    """
    check_spectrogram(target_mag, name="target_mag")
    if target_mag.shape != estimate_mag.shape:
        raise ValueError(f"target_mag {tuple(target_mag.shape)} and estimate_mag {tuple(estimate_mag.shape)} differ")
    error = torch.linalg.vector_norm(target_mag - estimate_mag, dim=(-2, -1))
    return error / torch.linalg.vector_norm(target_mag, dim=(-2, -1)).clamp(min=eps)
