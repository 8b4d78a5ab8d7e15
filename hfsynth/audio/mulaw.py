"""Mu-law companding and quantisation, WaveNet's 8-bit output alphabet (van den Oord et al., 2016).

Companding ``f(x) = sign(x) ln(1 + mu |x|) / ln(1 + mu)`` spends the quantisation levels
logarithmically, so quiet samples keep fine steps: with 256 levels the reconstruction error grows with
|x| instead of being 1/128 everywhere, which is what makes a 256-way softmax over samples sound clean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


#: How a companded value in [-1, 1] becomes a code: the nearest level (hfsynth), or the level below
#: (``int((y + 1) / 2 * mu)``: nnmnkwii's ``mulaw_quantize``, which r9y9's WaveNet scripts use, and
#: the Universal Music Translation network's ``utils.mu_law``).
MULAW_ROUNDINGS = ("round", "floor")


@dataclass(frozen=True)
class MuLawCodec:
    """One mu-law quantiser: audio <-> integer codes, in one of the conventions published models use.

    Args:
        channels: number of codes, 0 .. channels - 1 (codes above are clipped to the last).
        mu: the companding constant; ``None`` is ``channels - 1``. r9y9's 0.1.1 scripts pass
            ``mu = channels = 256``, so silence is code 128 there and 127 with ``mu = 255``.
        rounding: see :data:`MULAW_ROUNDINGS`. ``"round"`` is :func:`mulaw_encode` exactly; ``"floor"``
            is computed in float64, as numpy computes it in those scripts.
        decode_levels: code ``c`` decodes to ``expand(2 c / decode_levels - 1)``; ``None`` is ``mu``
            (the inverse of the encoding). The Universal Music Translation network decodes with 256
            while it encodes with mu = 255 (its ``inv_mu_law``).

    The defaults are :func:`mulaw_encode` / :func:`mulaw_decode`.
    """

    channels: int = 256
    mu: float | None = None
    rounding: str = "round"
    decode_levels: float | None = None

    def __post_init__(self) -> None:
        _check_channels(self.channels)
        if self.mu is not None:
            _check_mu(self.mu)
        if self.rounding not in MULAW_ROUNDINGS:
            raise ValueError(f"mu-law rounding must be one of {MULAW_ROUNDINGS}; got {self.rounding!r}")
        if self.decode_levels is not None:
            _check_mu(self.decode_levels)

    @property
    def companding(self) -> float:
        return float(self.channels - 1 if self.mu is None else self.mu)

    def encode(self, audio: torch.Tensor) -> torch.Tensor:
        """Samples (..., samples), clipped to [-1, 1] -> int64 codes in [0, channels - 1]."""
        mu = self.companding
        if self.rounding == "round":
            codes = torch.round((mulaw_compress(audio, mu) + 1.0) * (mu / 2.0))
        else:
            companded = mulaw_compress(check_audio_tensor(audio).double(), mu)
            codes = torch.floor((companded + 1.0) / 2.0 * mu)
        return codes.long().clamp(max=self.channels - 1)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Integer codes -> float32 samples."""
        if codes.is_floating_point() or codes.is_complex():
            raise ValueError(f"codes must be an integer tensor; got dtype {codes.dtype}")
        levels = self.companding if self.decode_levels is None else self.decode_levels
        return mulaw_expand(codes.float() * (2.0 / levels) - 1.0, self.companding)
