"""Mu-law companding and quantisation, WaveNet's 8-bit output alphabet (van den Oord et al., 2016).

Companding ``f(x) = sign(x) ln(1 + mu |x|) / ln(1 + mu)`` spends the quantisation levels
logarithmically, so quiet samples keep fine steps: with 256 levels the reconstruction error grows with
|x| instead of being 1/128 everywhere, which is what makes a 256-way softmax over samples sound clean.
"""

from __future__ import annotations

import math

import torch

from ..validation import check_finite_number, check_positive_int
from .validation import check_audio_tensor


def _check_mu(mu: float) -> float:
    mu = check_finite_number(mu, "mu")
    if mu <= 0:
        raise ValueError(f"mu must be a positive number; got {mu!r}")
    return mu


def _check_channels(quantization_channels: int) -> int:
    channels = check_positive_int(quantization_channels, "quantization_channels")
    if channels < 2:
        raise ValueError(f"quantization_channels must be >= 2; got {channels}")
    return channels


def mulaw_compress(audio: torch.Tensor, mu: float = 255.0) -> torch.Tensor:
    """Continuous companding of samples in [-1, 1] to [-1, 1] (inputs outside are clipped first)."""
    audio = check_audio_tensor(audio).clamp(-1.0, 1.0)
    mu = _check_mu(mu)
    return torch.sign(audio) * torch.log1p(mu * audio.abs()) / math.log1p(mu)


def mulaw_expand(companded: torch.Tensor, mu: float = 255.0) -> torch.Tensor:
    """Inverse of :func:`mulaw_compress`: ``sign(y) ((1 + mu) ** |y| - 1) / mu``."""
    companded = check_audio_tensor(companded, name="companded").clamp(-1.0, 1.0)
    mu = _check_mu(mu)
    return torch.sign(companded) * torch.expm1(companded.abs() * math.log1p(mu)) / mu


def mulaw_encode(audio: torch.Tensor, quantization_channels: int = 256) -> torch.Tensor:
    """Samples in [-1, 1] (..., samples) -> integer codes in [0, Q - 1] (int64), with mu = Q - 1.

    The companded value is rounded to the nearest of Q evenly spaced levels in [-1, 1] (step 2 / mu).
    Samples outside [-1, 1] are clipped.
    """
    mu = _check_channels(quantization_channels) - 1
    companded = mulaw_compress(audio, mu)
    return torch.round((companded + 1.0) * (mu / 2.0)).long()


def mulaw_decode(codes: torch.Tensor, quantization_channels: int = 256) -> torch.Tensor:
    """Integer codes in [0, Q - 1] -> float32 samples in [-1, 1]; inverse of :func:`mulaw_encode`."""
    mu = _check_channels(quantization_channels) - 1
    if not isinstance(codes, torch.Tensor):
        codes = torch.as_tensor(codes)
    if codes.is_floating_point() or codes.is_complex():
        raise ValueError(f"codes must be an integer tensor; got dtype {codes.dtype}")
    if codes.numel() == 0:
        raise ValueError(f"codes is empty (shape {tuple(codes.shape)})")
    if codes.min() < 0 or codes.max() > mu:
        raise ValueError(f"codes must lie in [0, {mu}] for {mu + 1} channels; got [{codes.min()}, {codes.max()}]")
    companded = codes.float() * (2.0 / mu) - 1.0
    return mulaw_expand(companded, mu)
