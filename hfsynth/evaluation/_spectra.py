"""Spectra for the metrics on (B, samples) tensors, on top of :mod:`hfsynth.audio`'s STFT and filterbanks.

Magnitudes use zero ("constant") padding of centred frames, librosa's default, so descriptors built
on them (flatness, chroma) agree with their librosa counterparts and short clips need no reflection.
A :class:`Spectra` holds one chunk of clips and computes each spectrogram once, however many
metrics read it (see :func:`hfsynth.evaluation.evaluate_pairs`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import lru_cache

import librosa
import torch

from ..audio.mel import mel_filterbank
from ..audio.spectral import stft


@lru_cache(maxsize=16)
def chroma_filterbank(sampling_rate: int, n_fft: int) -> torch.Tensor:
    """(12, n_fft // 2 + 1) chroma filterbank (librosa's ``chroma_stft``), C first, A440 tuning."""
    return torch.from_numpy(librosa.filters.chroma(sr=sampling_rate, n_fft=n_fft, tuning=0.0))


class Spectra:
    """A chunk of equal-length clips ``audio`` (B, samples) and its spectrograms, memoised by settings."""

    def __init__(self, audio: torch.Tensor):
        self.audio = audio
        self._memo: dict[Hashable, torch.Tensor] = {}

    def memo(self, key: Hashable, compute: Callable[[], torch.Tensor]) -> torch.Tensor:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def magnitude(self, n_fft: int, hop_length: int) -> torch.Tensor:
        """(B, n_fft // 2 + 1, frames) magnitude of the Hann-windowed, zero-padded centred STFT."""
        return self.memo(
            ("magnitude", n_fft, hop_length), lambda: stft(self.audio, n_fft, hop_length, pad_mode="constant").abs()
        )

    def mel(self, sampling_rate: int, n_fft: int, hop_length: int, n_mels: int, power: float = 1.0) -> torch.Tensor:
        """(B, n_mels, frames) Slaney mel spectrogram of ``magnitude ** power``."""

        def compute() -> torch.Tensor:
            magnitude = self.magnitude(n_fft, hop_length)
            return mel_filterbank(sampling_rate, n_fft, n_mels) @ (magnitude if power == 1.0 else magnitude**power)

        return self.memo(("mel", sampling_rate, n_fft, hop_length, n_mels, power), compute)

    def chroma_energy(self, sampling_rate: int, n_fft: int, hop_length: int) -> torch.Tensor:
        """(B, 12, frames) chroma of the power spectrum, not normalised."""
        return self.memo(
            ("chroma", sampling_rate, n_fft, hop_length),
            lambda: chroma_filterbank(sampling_rate, n_fft) @ self.magnitude(n_fft, hop_length).square(),
        )
