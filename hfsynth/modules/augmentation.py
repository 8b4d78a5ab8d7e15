"""Training-time audio augmentations on (batch, samples) rows: mixing, noise, a duller top end, a
codec round trip.

AudioGen mixes two clips (its mixing augmentation); the note classifier hears noise, low-pass
filtering and codec reconstructions, so that it still names the instrument of audio that went
through a codec or a GAN.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from transformers import EncodecModel


def mix_at_snr(first: torch.Tensor, second: torch.Tensor, snr_db: torch.Tensor) -> torch.Tensor:
    """``first + g * second`` with g giving ``first`` ``snr_db`` dB over ``second``; rows (batch, samples).

    A silent ``second`` adds nothing; a mix whose peak exceeds 1 is scaled down to peak 1.
    """
    gain = torch.sqrt(_power(first) / _power(second).clamp_min(1e-10) / 10 ** (snr_db[:, None] / 10))
    mixed = first + gain * second
    return mixed / mixed.abs().amax(dim=-1, keepdim=True).clamp_min(1.0)


def add_white_noise(audio: torch.Tensor, snr_db: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """(batch, samples) rows with white noise ``snr_db`` (batch,) dB below each row's power."""
    noise = torch.randn(audio.shape, generator=generator, device=audio.device, dtype=audio.dtype)
    return mix_at_snr(audio, noise, snr_db)


def low_pass(audio: torch.Tensor, cutoff_hz: torch.Tensor, sampling_rate: int) -> torch.Tensor:
    """(batch, samples) rows low-passed at ``cutoff_hz`` (batch,): a raised-cosine roll-off from
    0.8 x the cutoff (gain 1) to the cutoff (gain 0), applied to the whole row's spectrum."""
    spectrum = torch.fft.rfft(audio, dim=-1)
    frequencies = torch.fft.rfftfreq(audio.shape[-1], d=1.0 / sampling_rate).to(audio.device)
    cutoff = cutoff_hz.to(audio.device, audio.dtype)[:, None]
    ramp = ((cutoff - frequencies[None, :]) / (0.2 * cutoff)).clamp(0.0, 1.0)    # 1 below 0.8 cutoff, 0 above it
    gain = 0.5 - 0.5 * torch.cos(torch.pi * ramp)
    return torch.fft.irfft(spectrum * gain, n=audio.shape[-1], dim=-1)


@torch.no_grad()
def codec_round_trip(codec: EncodecModel, audio: torch.Tensor, batch_size: int = 32) -> torch.Tensor:
    """(batch, samples) rows encoded and decoded by ``codec`` at its full bandwidth, cut back to
    their length: what audio sounds like after a codec language model's decoder."""
    outputs = []
    for rows in audio.split(batch_size):
        codes = codec.encode(rows[:, None].to(codec.dtype)).audio_codes
        outputs.append(codec.decode(codes, [None]).audio_values[:, 0, : audio.shape[-1]].to(audio.dtype))
    return torch.cat(outputs)


class RandomRows:
    """One augmentation applied to a random ``probability`` of a batch's rows, with a setting (SNR,
    cutoff) drawn uniformly from ``bounds`` per row. ``names`` name the two settings in errors."""

    def __init__(self, probability: float, bounds: tuple[float, float], names: tuple[str, str]):
        _check_probability(probability, names[0])
        if len(bounds) != 2 or not 0 < bounds[0] <= bounds[1]:
            raise ValueError(f"{names[1]} must be (low, high) with 0 < low <= high; got {bounds!r}")
        self.probability, self.bounds = probability, (float(bounds[0]), float(bounds[1]))

    def apply(self, audio: torch.Tensor, degrade: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> torch.Tensor:
        """(batch, samples) with ``degrade(rows, settings)`` applied to the chosen rows."""
        chosen = torch.rand(audio.shape[0]) < self.probability
        settings = torch.empty(int(chosen.sum())).uniform_(*self.bounds)
        return _replace_rows(audio, chosen, lambda rows: degrade(rows, settings))


class CodecRoundTrip:
    """A random ``probability`` of a batch's rows replaced by ``codec``'s reconstruction of them
    (see ``codec_round_trip``). ``codec`` is frozen; it may be ``None`` only with probability 0."""

    def __init__(self, codec: EncodecModel | None, probability: float):
        _check_probability(probability, "codec_probability")
        if codec is None and probability > 0:
            raise ValueError("codec_probability > 0 needs a codec (an EncodecModel folder)")
        self.codec = codec.eval().requires_grad_(False) if codec is not None else None
        self.probability = probability

    def apply(self, audio: torch.Tensor) -> torch.Tensor:
        chosen = torch.rand(audio.shape[0]) < self.probability
        return _replace_rows(audio, chosen, lambda rows: codec_round_trip(self.codec, rows))


def _check_probability(value: float, name: str) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1]; got {value!r}")


def _replace_rows(audio: torch.Tensor, chosen: torch.Tensor, degrade: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """A copy of ``audio`` whose ``chosen`` rows are ``degrade(those rows)``; ``audio`` itself if none is chosen."""
    if not chosen.any():
        return audio
    audio = audio.clone()
    audio[chosen] = degrade(audio[chosen]).to(audio.dtype)
    return audio


def _power(audio: torch.Tensor) -> torch.Tensor:
    """(batch, samples) -> (batch, 1) mean square."""
    return audio.pow(2).mean(dim=-1, keepdim=True)
